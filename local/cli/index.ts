export * from './command';
export * from './dispatch';
export * from './overlays';
export * from './registry';
export * from './validate';
