/** The approval gate's CDK wiring: the Slack secret, the expiry schedules and each approval handler's IAM. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { defined } from '../../lambdas/core/defined';
import { ENV, type HandlerName } from '../../lambdas/runtime/env';
import { SluicePipelineStack } from '../../lib/pipeline-stack';
import { catalogOf, propsOf, resourcesOf, testApp } from './fixtures';

const stack = new SluicePipelineStack(testApp(), 'SluicePipeline', { catalog: catalogOf(2) });
const template = Template.fromStack(stack);
const resources = resourcesOf(template);

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

const functionOf = Object.fromEntries(
  Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).map(([id, r]) => [
    r.Metadata?.['Sluice::Handler'],
    id,
  ]),
) as Record<HandlerName, string>;

function roleStatements(roleId: string): Statement[] {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => (propsOf(p).PolicyDocument as { Statement: Statement[] }).Statement);
}
const roleOf = (handler: HandlerName) =>
  (
    propsOf(defined(resources[functionOf[handler]], 'resources[functionOf[handler]]')).Role as {
      'Fn::GetAtt': [string];
    }
  )['Fn::GetAtt'][0];
const statementsOf = (handler: HandlerName) => roleStatements(roleOf(handler));
const actions = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
const envOf = (handler: HandlerName) =>
  (
    propsOf(defined(resources[functionOf[handler]], 'resources[functionOf[handler]]')).Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;

const idOf = (type: string, match: (p: Record<string, unknown>) => boolean) =>
  Object.entries(resourcesOf(template, type)).find(([, r]) => match(propsOf(r)))?.[0];
const slackSecretId = idOf('AWS::SecretsManager::Secret', (p) =>
  JSON.stringify(p.Description).includes('Slack'),
) as string;
const signingSecretId = idOf('AWS::SecretsManager::Secret', (p) =>
  JSON.stringify(p.Description).includes('approval links'),
) as string;
const tableId = Object.keys(resourcesOf(template, 'AWS::DynamoDB::Table'))[0];

describe('ApprovalGate', () => {
  it('creates the Slack secret as JSON with a generated signing secret and an empty webhook URL', () => {
    expect(slackSecretId).toBeDefined();
    expect(
      propsOf(defined(resources[slackSecretId], 'resources[slackSecretId]')).GenerateSecretString,
    ).toMatchObject({
      SecretStringTemplate: JSON.stringify({ webhookUrl: '' }),
      GenerateStringKey: 'signingSecret',
    });
    expect(envOf('approval-api')[ENV.slackSecretArn]).toEqual({ Ref: slackSecretId });
    expect(envOf('request-approval')[ENV.slackSecretArn]).toEqual({ Ref: slackSecretId });
  });

  it('lets EventBridge Scheduler (this account only) invoke the expiry handler and dead-letter into the pipeline queue, nothing else', () => {
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'SluicePipeline-approvals' });
    const roleId = idOf('AWS::IAM::Role', (p) =>
      JSON.stringify(p.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'),
    ) as string;
    expect(propsOf(defined(resources[roleId], 'resources[roleId]')).AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
    });
    const [queueId] = Object.keys(resourcesOf(template, 'AWS::SQS::Queue'));
    expect(roleStatements(roleId)).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [functionOf['approval-expiry'], 'Arn'] },
      },
      // Scheduler sends a dead-letter event with the execution role: to the pipeline's one alarmed queue only.
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    ]);
    const env = envOf('request-approval');
    expect(env[ENV.scheduleDeadLetterArn]).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
    expect(env[ENV.expiryFunctionArn]).toEqual({ 'Fn::GetAtt': [functionOf['approval-expiry'], 'Arn'] });
    expect(env[ENV.schedulerRoleArn]).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    expect(env[ENV.scheduleGroup]).toBe('SluicePipeline-approvals');
    // RequestApproval may create schedules in the gate's group only, and pass the role only to Scheduler.
    const statements = statementsOf('request-approval');
    expect(statements.find((s) => s.Action === 'scheduler:CreateSchedule')?.Resource).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':scheduler:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':schedule/SluicePipeline-approvals/*',
        ],
      ],
    });
    expect(statements.find((s) => s.Action === 'iam:PassRole')).toEqual({
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: { 'Fn::GetAtt': [roleId, 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    });
  });

  it('gives the approval API only task responses on this machine, the ledger and its two secrets', () => {
    const statements = statementsOf('approval-api');
    const services = new Set(actions(statements).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'logs', 'secretsmanager', 'states', 'xray']);
    expect(
      actions(statements)
        .filter((a) => a.startsWith('states:'))
        .sort(),
    ).toEqual(['states:SendTaskSuccess']); // a rejection resumes the task too, with the decision
    const dynamo = statements.filter((s) => actions([s]).some((a) => a.startsWith('dynamodb:')));
    for (const s of dynamo) {
      expect(JSON.stringify(s.Resource)).toContain(tableId);
    }
    const secrets = statements
      .filter((s) => actions([s]).some((a) => a.startsWith('secretsmanager:')))
      .map((s) => JSON.stringify(s.Resource));
    expect(secrets.sort()).toEqual(
      [JSON.stringify({ Ref: signingSecretId }), JSON.stringify({ Ref: slackSecretId })].sort(),
    );
  });

  it('gives the expiry handler only task failures and the ledger', () => {
    const services = new Set(actions(statementsOf('approval-expiry')).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'logs', 'states', 'xray']);
    expect(actions(statementsOf('approval-expiry')).filter((a) => a.startsWith('states:'))).toEqual([
      'states:SendTaskFailure',
    ]);
  });

  it('outputs the Slack interactions URL under the approval function URL', () => {
    template.hasOutput('SlackInteractionsUrl', {
      Value: {
        'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.anyValue(), 'FunctionUrl'] }, 'slack/interactions']],
      },
    });
  });

  it('refuses a schedule group name Scheduler would reject, naming the value and the fix', () => {
    const long = `Sluice${'x'.repeat(60)}`;
    expect(() => new SluicePipelineStack(testApp(), long, { catalog: catalogOf(1) })).toThrow(
      new RegExp(`scheduleGroupName must be 1-64 .*"${long}-approvals".*shorter scheduleGroupName`),
    );
  });
});
