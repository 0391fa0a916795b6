export * from '../aws/cloudwatch/events';
export * from '../aws/codedeploy/deployment';
export * from '../aws/codedeploy/events';
export * from '../aws/codedeploy/local-codedeploy';
export * from '../aws/codedeploy/strategy';
export * from '../aws/lambda/alias';
export * from './load-generator';
export * from './local-deploy-target';
