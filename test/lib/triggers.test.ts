import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { defined } from '../../lambdas/core/defined';
import { ENV } from '../../lambdas/runtime/env';
import { SluicePipelineStack } from '../../lib/pipeline-stack';
import { LOCAL_GIT_PUSHES_CONTEXT } from '../../lib/triggers';
import { type CfnResource, catalogOf, nagFindings, propsOf, resourcesOf, testApp } from './fixtures';

const stack = new SluicePipelineStack(testApp(), 'SluicePipeline', { catalog: catalogOf(2) });
const template = Template.fromStack(stack);
const resources = resourcesOf(template);

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

function functionId(handler: string): string {
  const entry = Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).find(
    ([, r]: [string, CfnResource]) => r.Metadata?.['Sluice::Handler'] === handler,
  );
  if (!entry) throw new Error(`no function for ${handler}`);
  return entry[0];
}

/** Every statement of every policy on the handler's role, minus logs and X-Ray (which every handler has). */
function ownStatements(handler: string): Statement[] {
  const roleRef = (
    propsOf(defined(resources[functionId(handler)], 'resources[functionId(handler)]')).Role as {
      'Fn::GetAtt': [string];
    }
  )['Fn::GetAtt'][0];
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([{ Ref: roleRef }]))
    .flatMap((p) => (propsOf(p).PolicyDocument as { Statement: Statement[] }).Statement)
    .filter((s) => !JSON.stringify(s.Action).match(/"(logs|xray):/));
}

function logicalId(type: string, prefix: string): string {
  const id = Object.keys(resourcesOf(template, type)).find((k) => k.startsWith(prefix));
  if (!id) throw new Error(`no ${type} ${prefix}`);
  return id;
}

describe('SluiceTriggers', () => {
  it('routes created and updated CodeCommit branches (not tags, not deletions) to the router', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.codecommit'],
        'detail-type': ['CodeCommit Repository State Change'],
        detail: { event: ['referenceCreated', 'referenceUpdated'], referenceType: ['branch'] },
      },
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [functionId('router'), 'Arn'] },
          Id: 'Target0',
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        },
      ],
    });
    const codeCommitRule = Object.values(resourcesOf(template, 'AWS::Events::Rule')).find((r) =>
      JSON.stringify(r.Properties?.EventPattern).includes('aws.codecommit'),
    );
    expect(codeCommitRule?.Properties).not.toHaveProperty('EventBusName');
  });

  it("routes the GitHub webhook's push events on the Sluice bus to the router, and only those in AWS", () => {
    const bus = logicalId('AWS::Events::EventBus', 'TriggersBus');
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: bus },
      EventPattern: { source: ['sluice.github'], 'detail-type': ['Sluice Push'] },
      Targets: [expectTarget()],
    });
    // The local runtime's synth (its git watchers publish `sluice.local-git`) is the one place that takes more.
    const local = Template.fromStack(
      new SluicePipelineStack(testApp({ [LOCAL_GIT_PUSHES_CONTEXT]: true }), 'SluicePipeline', {
        catalog: catalogOf(2),
      }),
    );
    local.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['sluice.github', 'sluice.local-git'], 'detail-type': ['Sluice Push'] },
    });
    function expectTarget() {
      return {
        Arn: { 'Fn::GetAtt': [functionId('router'), 'Arn'] },
        Id: 'Target0',
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
      };
    }
  });

  it('gives the Sluice bus a policy that denies PutEvents to every principal but the webhook role', () => {
    const bus = logicalId('AWS::Events::EventBus', 'TriggersBus');
    const webhookRole = (
      propsOf(defined(resources[functionId('github-webhook')], "resources[functionId('github-webhook')]"))
        .Role as { 'Fn::GetAtt': [string] }
    )['Fn::GetAtt'][0];
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: { Ref: bus },
      Statement: {
        Sid: 'cdk-OnlyTheGitHubWebhookPutsEvents',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'events:PutEvents',
        Resource: { 'Fn::GetAtt': [bus, 'Arn'] },
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [webhookRole, 'Arn'] } } },
      },
    });
  });

  it('lets the webhook only put events on the Sluice bus and read its own secret', () => {
    const bus = logicalId('AWS::Events::EventBus', 'TriggersBus');
    const secret = logicalId('AWS::SecretsManager::Secret', 'TriggersWebhookSecret');
    expect(ownStatements('github-webhook')).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [bus, 'Arn'] } },
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: secret },
      },
    ]);
    const env = (
      propsOf(defined(resources[functionId('github-webhook')], "resources[functionId('github-webhook')]"))
        .Environment as { Variables: Record<string, unknown> }
    ).Variables;
    expect(env).toEqual({ [ENV.webhookSecretArn]: { Ref: secret }, [ENV.eventBusName]: { Ref: bus } });
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [functionId('github-webhook'), 'Arn'] },
    });
  });

  it('lets the router only start executions of the release state machine (plus the catalog, diffs and GitHub token it reads)', () => {
    const statements = ownStatements('router');
    const states = statements.filter((s) => JSON.stringify(s.Action).includes('states:'));
    expect(states).toEqual([
      {
        Effect: 'Allow',
        Action: 'states:StartExecution',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':states:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':stateMachine:SluicePipeline-Release',
            ],
          ],
        },
      },
    ]);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
    expect(actions).toEqual([
      'codecommit:GetDifferences',
      's3:GetObject',
      'secretsmanager:GetSecretValue',
      'states:StartExecution',
    ]);
    // Only the catalog's CodeCommit repositories, by name.
    const diffs = statements.find((s) => s.Action === 'codecommit:GetDifferences');
    const repositories = ((diffs?.Resource ?? []) as { 'Fn::Join': [string, unknown[]] }[]).map((r) =>
      String(r['Fn::Join'][1].at(-1)),
    );
    expect(repositories).toEqual([':svc-0-repo', ':svc-1-repo']);
    const tokenRead = statements.find((s) => JSON.stringify(s.Action).includes('secretsmanager:'));
    expect(JSON.stringify(tokenRead?.Resource)).toMatch(/"Ref":"GitHubTokenSecret/);
    const catalogRead = statements.find((s) => s.Action === 's3:GetObject');
    expect(JSON.stringify(catalogRead?.Resource)).toMatch(/[0-9a-f]{64}\.json/);
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});
