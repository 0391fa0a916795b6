/**
 * IAM checked against the code: for every handler function in the synthesized templates, each AWS request its
 * code can make (test/support/sdk-calls.ts reads them from the code, test/support/sdk-iam.ts maps them to IAM
 * actions and ARNs) must be allowed by the policies CDK attached to that function's role, as evaluated by
 * @cloud-copilot/iam-simulate. And the other way round: every action and resource those policies grant must
 * be needed by one of those requests, so a grant no code uses fails too.
 */
import * as path from 'node:path';
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../lambdas/core/catalog/types';
import { HANDLER_NAMES } from '../../lambdas/runtime/env';
import { buildApp } from '../../lib/app';
import { ALARM_METADATA_KEY, ALARM_RESOURCE_TYPE } from '../../lib/canary-alarms';
import { HANDLER_METADATA_KEY, PROJECT_ROOT } from '../../lib/sluice-function';
import { SluiceService } from '../../lib/sluice-service';
import {
  ACCOUNT,
  type PolicyDocument,
  ResolvedStack,
  type RolePolicy,
  type Statement,
} from '../support/cfn-iam';
import { SdkCallAnalyzer } from '../support/sdk-calls';
import {
  type FunctionScope,
  type IamRequest,
  platformRequests,
  type ReleasedService,
  requestsFor,
} from '../support/sdk-iam';
import { service, testApp } from './fixtures';

/** Grants kept although no request derived from the code needs them, each with the reason. */
const KEPT_WITHOUT_A_DERIVED_NEED: readonly { action: string; reason: string }[] = [
  {
    action: 'codedeploy:GetApplicationRevision',
    reason:
      "CodeDeploy's permissions reference asks for GetApplicationRevision or RegisterApplicationRevision with " +
      'CreateDeployment without saying which an AppSpecContent revision checks: both are granted.',
  },
  {
    action: 'codedeploy:RegisterApplicationRevision',
    reason: 'The other half of the pair above.',
  },
];

const catalog: Catalog = {
  version: 1,
  services: [
    service('checkout', {
      deploy: {
        alarms: {
          errorRatePercent: 5,
          p99LatencyMs: 800,
          business: {
            namespace: 'Shop',
            metricName: 'Orders',
            statistic: 'Sum',
            threshold: 1,
            direction: 'below',
            periods: 2,
            dimensions: {},
          },
        },
      },
    }),
    service('docs', {
      mode: 'delivery',
      source: { provider: 'github', repository: 'acme/docs' },
      deploy: { strategy: 'Linear10PercentEvery1Minute' },
      approval: { approvers: ['a@example.com'], required: 1, expiresAfterHours: 24, channels: ['email'] },
    }),
  ],
};

interface CheckedFunction {
  readonly scope: FunctionScope;
  readonly roleArn: string;
  readonly policies: readonly RolePolicy[];
  readonly requests: readonly IamRequest[];
}

let functions: CheckedFunction[] = [];
let unsupported: string[] = [];
let resourcePolicies: ReturnType<ResolvedStack['resourcePolicies']> = [];

beforeAll(async () => {
  const app = testApp();
  const built = buildApp({ app, catalog, nag: false });
  // The post-traffic smoke hook lives in a service stack; build one service with it.
  const hookStack = new Stack(app, 'SluiceServiceWithHook');
  const hooked = service('orders');
  new SluiceService(hookStack, 'Service', { service: hooked, postTrafficSmoke: true });

  const resolved = (stack: Stack) =>
    new ResolvedStack(stack.stackName, Template.fromStack(stack).toJSON() as never);
  const pipeline = resolved(built.pipeline);
  const serviceStacks = new Map<string, ResolvedStack>([
    ...[...built.services].map(([name, stack]) => [name, resolved(stack)] as const),
    [hooked.name, resolved(hookStack)],
  ]);
  const released = new Map(
    [...catalog.services, hooked].map((s) => [
      s.name,
      releasedService(s.name, serviceStacks.get(s.name)!, catalog),
    ]),
  );
  resourcePolicies = [pipeline, ...serviceStacks.values()].flatMap((stack) => stack.resourcePolicies());
  const stateMachineArns = Object.entries(pipeline.resources)
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
    .map(([id]) => pipeline.arn(id));

  const scopes: FunctionScope[] = [];
  for (const [stackServices, stack] of [
    [[...catalog.services.map((s) => released.get(s.name)!)], pipeline] as const,
    ...[...serviceStacks].map(([name, stack]) => [[released.get(name)!], stack] as const),
  ]) {
    for (const [id, fn] of stack.functions()) {
      const handler = fn.Metadata?.[HANDLER_METADATA_KEY];
      if (typeof handler !== 'string') continue;
      scopes.push({
        handler,
        stack,
        functionId: id,
        environment: stack.environmentOf(id),
        services: stackServices,
        stateMachineArns,
      });
    }
  }

  const entryOf = (handler: string) => path.join(PROJECT_ROOT, 'lambdas', handler, 'index.ts');
  const analyzer = new SdkCallAnalyzer(PROJECT_ROOT, [...new Set(scopes.map((s) => entryOf(s.handler)))]);
  functions = [];
  unsupported = [];
  for (const scope of scopes) {
    const calls = analyzer.analyze(entryOf(scope.handler));
    unsupported.push(...calls.unsupported.map((u) => `${scope.handler}: ${u}`));
    const requests = [...platformRequests(scope)];
    for (const site of calls.commands) requests.push(...(await requestsFor(site, scope)));
    const roleId = scope.stack.roleOf(scope.functionId);
    functions.push({
      scope,
      roleArn: scope.stack.arn(roleId),
      policies: scope.stack.policiesOf(roleId),
      requests: dedupe(requests),
    });
  }
}, 240_000);

function releasedService(name: string, stack: ResolvedStack, from: Catalog): ReleasedService {
  const ofType = (type: string) => Object.entries(stack.resources).filter(([, r]) => r.Type === type);
  const fn = ofType('AWS::Lambda::Function').find(([id]) => stack.physicalName(id) === `sluice-${name}`);
  const [groupId, group] = ofType('AWS::CodeDeploy::DeploymentGroup')[0] ?? [];
  if (!fn || !groupId || !group)
    throw new Error(`service stack of ${name} has no function or deployment group`);
  const source = [...from.services].find((s) => s.name === name)?.source;
  return {
    name,
    functionArn: stack.arn(fn[0]),
    applicationName: stack.resolveString(group.Properties?.ApplicationName),
    deploymentGroupName: stack.physicalName(groupId),
    deploymentConfigName: stack.resolveString(group.Properties?.DeploymentConfigName),
    // The canary alarms are created by custom resources, each carrying its definition in its Metadata.
    alarmNames: ofType(ALARM_RESOURCE_TYPE).map(
      ([id, r]) => (r.Metadata?.[ALARM_METADATA_KEY] as { AlarmName?: string } | undefined)?.AlarmName ?? id,
    ),
    ...((source?.provider ?? 'codecommit') === 'codecommit'
      ? { codeCommitRepository: source?.repository ?? `${name}-repo` }
      : {}),
  };
}

function dedupe(requests: IamRequest[]): IamRequest[] {
  const seen = new Map<string, IamRequest>();
  for (const r of requests) {
    const key = `${r.action} ${r.resource} ${JSON.stringify(r.context)}`;
    if (!seen.has(key)) seen.set(key, r);
  }
  return [...seen.values()];
}

async function isAllowed(fn: CheckedFunction, request: IamRequest, granted = fn.policies): Promise<boolean> {
  // A request on `*` (an action without resource-level permissions, or DescribeAlarms for composite alarms) is
  // allowed only by a statement on `*`; the simulator reads a `*` resource as "any one resource" instead.
  const policies = request.resource === '*' ? granted.map(onlyStarGrants) : granted;
  for (const action of request.alternatives ?? [request.action]) {
    const simulation: Simulation = {
      request: {
        principal: fn.roleArn,
        action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        // The SDK always calls over TLS (bucket policies deny anything else); AWS sets aws:PrincipalArn on every
        // request (the role's ARN for its sessions), the simulator only when told.
        contextVariables: {
          'aws:SecureTransport': 'true',
          'aws:PrincipalArn': fn.roleArn,
          ...request.context,
        },
      },
      identityPolicies: policies.map((p) => ({ name: p.source, policy: p.document as never })),
      ...resourcePolicyOf(request.resource),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    };
    if (request.unvalidated) {
      if (runUnsafeSimulation(simulation, {}) === 'Allowed') return true;
      continue;
    }
    const result = await runSimulation(simulation, {});
    if (result.resultType === 'error') {
      throw new Error(`simulating ${action} on ${request.resource}: ${JSON.stringify(result.errors)}`);
    }
    if (result.overallResult === 'Allowed') return true;
  }
  return false;
}

function onlyStarGrants(policy: RolePolicy): RolePolicy {
  const statements = policy.document.Statement.filter(
    (s) => s.Effect !== 'Allow' || s.NotResource !== undefined || list(s.Resource).includes('*'),
  );
  return { source: policy.source, document: { ...policy.document, Statement: statements } };
}

/** The resource-based policy that governs `arn` (a key policy, a bucket policy, ...), if any. */
function resourcePolicyOf(arn: string): Pick<Simulation, 'resourcePolicy'> {
  const found = resourcePolicies.find((p) => p.arn === arn || (p.nested && arn.startsWith(`${p.arn}/`)));
  return found ? { resourcePolicy: found.document as never } : {};
}

async function denied(
  fn: CheckedFunction,
  policies = fn.policies,
  requests = fn.requests,
): Promise<IamRequest[]> {
  const out: IamRequest[] = [];
  for (const request of requests) if (!(await isAllowed(fn, request, policies))) out.push(request);
  return out;
}

const describeRequest = (fn: CheckedFunction, r: IamRequest) =>
  `${fn.scope.handler}: ${r.action} on ${r.resource}${Object.keys(r.context).length ? ` ${JSON.stringify(r.context)}` : ''} (${r.because})`;

function list(value: string | readonly string[] | undefined): string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
}

function matches(pattern: string, value: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return regex.test(value);
}

/** The policies with one statement changed (or removed, when `change` returns undefined). */
function withStatement(
  policies: readonly RolePolicy[],
  at: { policy: number; statement: number },
  change: (s: Statement) => Statement | undefined,
): RolePolicy[] {
  return policies.map((p, i) => {
    if (i !== at.policy) return p;
    const statements = p.document.Statement.flatMap((s, j) => {
      if (j !== at.statement) return [s];
      const changed = change(s);
      return changed ? [changed] : [];
    });
    return { source: p.source, document: { ...p.document, Statement: statements } as PolicyDocument };
  });
}

const fnOf = (handler: string) => {
  const found = functions.find((f) => f.scope.handler === handler);
  if (!found) throw new Error(`no function runs ${handler}`);
  return found;
};

describe('IAM against the code', () => {
  it('checks every handler: each Sluice function in the templates, none without a role to check', () => {
    expect(functions.map((f) => f.scope.handler).sort()).toEqual([...HANDLER_NAMES, 'smoke-hook'].sort());
    expect(unsupported).toEqual([]);
    for (const fn of functions) expect(fn.policies.length, fn.scope.handler).toBeGreaterThan(0);
  });

  it('finds the commands in the code, through ports and waiters (Stage)', () => {
    const actions = new Set(fnOf('stage').requests.map((r) => r.action));
    for (const action of [
      'lambda:UpdateFunctionCode',
      'lambda:GetFunction', // waitUntilFunctionUpdatedV2
      'lambda:PublishVersion',
      'lambda:InvokeFunction',
      's3:GetObject', // UpdateFunctionCode from S3, as the caller
    ]) {
      expect(actions, action).toContain(action);
    }
  });

  it('follows constants and flags from the call site: the hook invokes `live`, no handler overrides alarms', () => {
    const hook = fnOf('smoke-hook').requests.filter((r) => r.action === 'lambda:InvokeFunction');
    expect(hook.map((r) => r.resource)).toEqual([expect.stringMatching(/:function:sluice-orders:live$/)]);
    // Only `sluice rollback` (operator credentials) sets ignoreAlarms, which adds overrideAlarmConfiguration.
    for (const handler of ['deploy', 'record', 'deployment-events']) {
      const actions = fnOf(handler).requests.map((r) => r.action);
      expect(actions, handler).toContain('codedeploy:CreateDeployment');
      expect(actions, handler).not.toContain('codedeploy:UpdateDeploymentGroup');
    }
  });

  it('allows every request each handler’s code can make, on the ARNs it uses', async () => {
    const problems: string[] = [];
    for (const fn of functions) {
      const required = fn.requests.filter((r) => !r.optional);
      for (const request of await denied(fn, fn.policies, required))
        problems.push(describeRequest(fn, request));
    }
    expect(problems).toEqual([]);
  });

  it('grants nothing the code does not need: every action and resource of every statement is used', async () => {
    const unneeded: string[] = [];
    for (const fn of functions) unneeded.push(...(await unneededGrants(fn)));
    expect(unneeded).toEqual([]);
  });

  it('fails when a grant is removed: Stage without its UpdateFunctionCode statement', async () => {
    const stage = fnOf('stage');
    const at = locate(stage, 'lambda:UpdateFunctionCode');
    const without = withStatement(stage.policies, at, () => undefined);
    const lost = (await denied(stage, without)).map((r) => r.action);
    expect(lost).toContain('lambda:UpdateFunctionCode');
    expect(await denied(stage)).toEqual([]);
  });

  it('lets Stage reach no alias, so never `live`: UpdateAlias and CreateAlias are denied on every service', async () => {
    const stage = fnOf('stage');
    for (const fn of ['sluice-checkout', 'sluice-checkout:live', 'sluice-docs']) {
      for (const action of ['lambda:UpdateAlias', 'lambda:CreateAlias', 'lambda:DeleteAlias']) {
        const request = {
          action,
          resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${fn}`,
          context: {},
          because: 'probe',
        };
        expect(await isAllowed(stage, request), `${action} ${fn}`).toBe(false);
      }
    }
    // What it does need is still there: publish and invoke the new version.
    expect(await denied(stage)).toEqual([]);
  });

  it('lets only the webhook put events on the Sluice bus: its resource policy denies every other principal', async () => {
    const bus = resourcePolicies.find((p) => p.arn.includes(':event-bus/'));
    if (!bus) throw new Error('the Sluice bus has no resource policy');
    const putEvents = { action: 'events:PutEvents', resource: bus.arn, context: {}, because: 'probe' };
    const allowed: string[] = [];
    for (const fn of functions) if (await isAllowed(fn, putEvents)) allowed.push(fn.scope.handler);
    expect(allowed).toEqual(['github-webhook']);
    // An operator or CI role of the account with events:* everywhere is refused too: the Deny is explicit.
    const admin = {
      ...fnOf('github-webhook'),
      roleArn: `arn:aws:iam::${ACCOUNT}:role/deployer`,
      policies: [
        {
          source: 'AdministratorAccess',
          document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
        } as RolePolicy,
      ],
    };
    expect(await isAllowed(admin, putEvents)).toBe(false);
    const simulated = await runSimulation(
      {
        request: {
          principal: admin.roleArn,
          action: 'events:PutEvents',
          resource: { resource: bus.arn, accountId: ACCOUNT },
          contextVariables: { 'aws:PrincipalArn': admin.roleArn },
        },
        identityPolicies: admin.policies.map((p) => ({ name: p.source, policy: p.document as never })),
        resourcePolicy: bus.document as never,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    expect(simulated.resultType === 'single' && simulated.result.analysis?.result).toBe('ExplicitlyDenied');
  });

  it('fails when a grant is widened with an operation no code sends: DeleteItem on the ledger', async () => {
    const record = fnOf('record');
    const at = locate(record, 'dynamodb:UpdateItem');
    const widened = withStatement(record.policies, at, (s) => ({
      ...s,
      Action: [...list(s.Action), 'dynamodb:DeleteItem'],
    }));
    const before = await unneededGrants(record);
    const after = await unneededGrants(record, widened);
    expect(after.filter((u) => !before.includes(u))).toEqual([
      expect.stringMatching(/^record: dynamodb:DeleteItem on /),
    ]);
  });
});

/**
 * The grants of `policies` no request of `fn` needs: an action, or a resource of a statement, whose removal
 * leaves every request allowed.
 */
async function unneededGrants(fn: CheckedFunction, policies = fn.policies): Promise<string[]> {
  const kept = new Set(KEPT_WITHOUT_A_DERIVED_NEED.map((k) => k.action));
  const unneeded: string[] = [];
  for (const [p, policy] of policies.entries()) {
    for (const [s, statement] of policy.document.Statement.entries()) {
      if (statement.Effect !== 'Allow') continue;
      const actions = list(statement.Action);
      const resources = list(statement.Resource);
      for (const action of actions) {
        if (kept.has(action)) continue;
        const affected = fn.requests.filter((r) =>
          (r.alternatives ?? [r.action]).some((a) => matches(action, a)),
        );
        const without = withStatement(policies, { policy: p, statement: s }, (st) => {
          const rest = actions.filter((a) => a !== action);
          return rest.length ? { ...st, Action: rest } : undefined;
        });
        if (affected.length === 0 || (await denied(fn, without, affected)).length === 0) {
          unneeded.push(`${fn.scope.handler}: ${action} on ${resources.join(', ')}`);
        }
      }
      if (actions.every((a) => kept.has(a))) continue;
      for (const resource of resources) {
        const affected = fn.requests.filter((r) => actions.some((a) => matches(a, r.action)));
        const without = withStatement(policies, { policy: p, statement: s }, (st) => {
          const rest = resources.filter((r) => r !== resource);
          return rest.length ? { ...st, Resource: rest } : undefined;
        });
        if ((await denied(fn, without, affected)).length === 0) {
          unneeded.push(`${fn.scope.handler}: ${actions.join(', ')} on ${resource}`);
        }
      }
    }
  }
  return unneeded;
}

function locate(fn: CheckedFunction, action: string): { policy: number; statement: number } {
  for (const [p, policy] of fn.policies.entries()) {
    const statement = policy.document.Statement.findIndex((s) => list(s.Action).includes(action));
    if (statement >= 0) return { policy: p, statement };
  }
  throw new Error(`${fn.scope.handler} has no statement granting ${action}`);
}
