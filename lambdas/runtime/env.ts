/** Environment variable names shared by the CDK constructs (which set them) and the handlers (which read them). */
export const ENV = {
  tableName: 'SLUICE_TABLE_NAME',
  artifactBucket: 'SLUICE_ARTIFACT_BUCKET',
  catalogBucket: 'SLUICE_CATALOG_BUCKET',
  catalogKey: 'SLUICE_CATALOG_KEY',
  signingSecretArn: 'SLUICE_SIGNING_SECRET_ARN',
  approvalBaseUrl: 'SLUICE_APPROVAL_BASE_URL',
  approvalTopicArn: 'SLUICE_APPROVAL_TOPIC_ARN',
  stateMachineArn: 'SLUICE_STATE_MACHINE_ARN',
  webhookSecretArn: 'SLUICE_WEBHOOK_SECRET_ARN',
  eventBusName: 'SLUICE_EVENT_BUS_NAME',
  slackSecretArn: 'SLUICE_SLACK_SECRET_ARN',
  expiryFunctionArn: 'SLUICE_EXPIRY_FUNCTION_ARN',
  schedulerRoleArn: 'SLUICE_SCHEDULER_ROLE_ARN',
  scheduleGroup: 'SLUICE_SCHEDULE_GROUP',
  scheduleDeadLetterArn: 'SLUICE_SCHEDULE_DEAD_LETTER_ARN',
  githubTokenSecretArn: 'SLUICE_GITHUB_TOKEN_SECRET_ARN',
  testRunnerFunctionArn: 'SLUICE_TEST_RUNNER_FUNCTION_ARN',
} as const;

/** Handler folders under lambdas/; each has index.ts exporting `handler`. Also the `Sluice::Handler` metadata value. */
export const HANDLER_NAMES = [
  'load-service',
  'build',
  'run-tests',
  'stage',
  'request-approval',
  'deploy',
  'record',
  'deployment-events',
  'approval-api',
  'github-webhook',
  'router',
  'approval-expiry',
  'alarm-events',
  'execution-events',
  'alarm-provider',
  'test-runner',
] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];
