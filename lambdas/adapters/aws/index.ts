/**
 * The AWS adapters behind the ports in ../ports.ts. Handlers should import the one file they need
 * (e.g. './aws/s3-artifact-store') so their bundle pulls only that adapter's SDK client.
 */
export * from './cloudwatch-service-alarms';
export * from './codecommit-source';
export * from './emf-release-metrics';
export * from './errors';
export * from './github-source';
export * from './lambda-codedeploy-target';
export * from './provider-source';
export * from './s3-artifact-store';
export * from './s3-catalog-store';
export * from './scheduler-expiry';
export * from './secrets-manager-github-token';
export * from './secrets-manager-signing-keys';
export * from './secrets-manager-slack';
export * from './sfn-task-callbacks';
export * from './sns-notifier';
