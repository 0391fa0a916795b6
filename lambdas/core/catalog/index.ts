export * from './load';
export * from './types';
export * from './validate';
