export * from './alarms';
export * from './deployment';
export * from './events';
export * from './load-generator';
export * from './local-deploy-target';
export * from './router';
export * from './strategy';
