/**
 * Reads IAM out of synthesized CloudFormation templates: every intrinsic (Ref, Fn::GetAtt, Fn::Join, Fn::Sub,
 * Fn::Select, Fn::Split) resolved to a concrete string for one fixed account, region and partition, so a
 * policy simulator can evaluate the policies a role really gets against the ARNs a function really uses.
 *
 * Physical names: a resource's name property when the template sets one, else its logical id (CloudFormation
 * would generate one; any stable stand-in works, because grants reach it through Ref/GetAtt too).
 */

export const ACCOUNT = '111111111111';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly Statement[];
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** A policy attached to a role, resolved; `source` names where it came from (for messages). */
export interface RolePolicy {
  readonly source: string;
  readonly document: PolicyDocument;
}

interface TypeRule {
  /** The property that names the resource, if the template may set one. */
  readonly nameProperty?: string;
  /** What `Ref` returns. */
  readonly ref: 'name' | 'arn';
  /** The ARN, from the physical name. */
  readonly arn?: (name: string, id: string) => string;
  /** Other Fn::GetAtt attributes. */
  readonly attributes?: Record<string, (name: string, id: string, t: ResolvedStack) => string>;
}

const arnOf = (service: string, resource: string, region = REGION, account = ACCOUNT) =>
  `arn:${PARTITION}:${service}:${region}:${account}:${resource}`;

/** How each resource type answers Ref and Fn::GetAtt; a type not here fails loudly when referenced. */
const TYPES: Record<string, TypeRule> = {
  'AWS::DynamoDB::Table': {
    nameProperty: 'TableName',
    ref: 'name',
    arn: (n) => arnOf('dynamodb', `table/${n}`),
  },
  'AWS::S3::Bucket': {
    nameProperty: 'BucketName',
    ref: 'name',
    arn: (n) => `arn:${PARTITION}:s3:::${n}`,
    attributes: { DomainName: (n) => `${n}.s3.amazonaws.com` },
  },
  'AWS::SecretsManager::Secret': {
    nameProperty: 'Name',
    ref: 'arn',
    // Secrets Manager appends six random characters to the name.
    arn: (n) => arnOf('secretsmanager', `secret:${n}-AbCdEf`),
  },
  'AWS::SNS::Topic': {
    nameProperty: 'TopicName',
    ref: 'arn',
    arn: (n) => arnOf('sns', n),
    attributes: { TopicArn: (n) => arnOf('sns', n), TopicName: (n) => n },
  },
  'AWS::SQS::Queue': {
    nameProperty: 'QueueName',
    ref: 'name',
    arn: (n) => arnOf('sqs', n),
    attributes: {
      QueueName: (n) => n,
      QueueUrl: (n) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${n}`,
    },
  },
  'AWS::StepFunctions::StateMachine': {
    nameProperty: 'StateMachineName',
    ref: 'arn',
    arn: (n) => arnOf('states', `stateMachine:${n}`),
    attributes: { Name: (n) => n },
  },
  'AWS::Lambda::Function': {
    nameProperty: 'FunctionName',
    ref: 'name',
    arn: (n) => arnOf('lambda', `function:${n}`),
  },
  'AWS::Lambda::Alias': { nameProperty: 'Name', ref: 'arn', arn: (n, id) => `${id}:${n}` },
  'AWS::Lambda::Version': { ref: 'arn', attributes: { Version: () => '1' } },
  'AWS::Lambda::Url': {
    ref: 'arn',
    attributes: { FunctionUrl: (_n, id) => `https://${id.toLowerCase()}.lambda-url.${REGION}.on.aws/` },
  },
  'AWS::Lambda::LayerVersion': { ref: 'arn' },
  'AWS::IAM::Role': {
    nameProperty: 'RoleName',
    ref: 'name',
    arn: (n) => `arn:${PARTITION}:iam::${ACCOUNT}:role/${n}`,
    attributes: { RoleId: (_n, id) => `AROA${id.toUpperCase()}` },
  },
  'AWS::IAM::ManagedPolicy': { ref: 'arn' },
  'AWS::KMS::Key': { ref: 'name', arn: (n) => arnOf('kms', `key/${n}`), attributes: { KeyId: (n) => n } },
  'AWS::Events::EventBus': {
    nameProperty: 'Name',
    ref: 'name',
    arn: (n) => arnOf('events', `event-bus/${n}`),
    attributes: { Name: (n) => n },
  },
  'AWS::Events::Rule': { nameProperty: 'Name', ref: 'name', arn: (n) => arnOf('events', `rule/${n}`) },
  'AWS::Logs::LogGroup': {
    nameProperty: 'LogGroupName',
    ref: 'name',
    arn: (n) => arnOf('logs', `log-group:${n}:*`),
  },
  'AWS::Scheduler::ScheduleGroup': {
    nameProperty: 'Name',
    ref: 'name',
    arn: (n) => arnOf('scheduler', `schedule-group/${n}`),
  },
  'AWS::CodeDeploy::Application': { nameProperty: 'ApplicationName', ref: 'name' },
  'AWS::CodeDeploy::DeploymentGroup': { nameProperty: 'DeploymentGroupName', ref: 'name' },
  'AWS::CloudWatch::Alarm': {
    nameProperty: 'AlarmName',
    ref: 'name',
    arn: (n) => arnOf('cloudwatch', `alarm:${n}`),
  },
  'AWS::CloudWatch::Dashboard': { nameProperty: 'DashboardName', ref: 'name' },
};

/** One synthesized stack with its intrinsics resolvable. */
export class ResolvedStack {
  constructor(
    readonly stackName: string,
    readonly template: CfnTemplate,
  ) {}

  get resources(): Record<string, CfnResource> {
    return this.template.Resources;
  }

  resource(id: string): CfnResource {
    const found = this.template.Resources[id];
    if (!found) throw new Error(`${this.stackName}: no resource ${id}`);
    return found;
  }

  /** The physical name: the name property when set, else the logical id. */
  physicalName(id: string): string {
    const resource = this.resource(id);
    const rule = TYPES[resource.Type];
    const named = rule?.nameProperty ? resource.Properties?.[rule.nameProperty] : undefined;
    return named === undefined ? id : this.resolveString(named);
  }

  /** The resource's ARN (Fn::GetAtt Arn). */
  arn(id: string): string {
    const resource = this.resource(id);
    if (resource.Type === 'AWS::Lambda::Alias') {
      const fn = this.resolveString(resource.Properties?.FunctionName);
      const functionArn = fn.startsWith('arn:') ? fn : arnOf('lambda', `function:${fn}`);
      return `${functionArn}:${this.resolveString(resource.Properties?.Name)}`;
    }
    const rule = this.rule(id);
    if (!rule.arn) throw new Error(`${this.stackName}: no ARN rule for ${resource.Type} (${id})`);
    return rule.arn(this.physicalName(id), id);
  }

  /** Resolves any template value; strings come out as strings, lists and objects resolved inside. */
  resolve(value: unknown): unknown {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    if (value === null || value === undefined) return value;
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = object[key];
      switch (key) {
        case 'Ref':
          return this.ref(arg as string);
        case 'Fn::GetAtt': {
          const [id, attribute] = (typeof arg === 'string' ? arg.split('.') : arg) as [string, string];
          return this.getAtt(id, attribute);
        }
        case 'Fn::Join': {
          const [delimiter, items] = arg as [string, unknown[]];
          return (this.resolve(items) as unknown[]).map((item) => this.asString(item)).join(delimiter);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          const items = this.resolve(list) as unknown[];
          return items[Number(this.resolve(index))];
        }
        case 'Fn::Split': {
          const [delimiter, text] = arg as [string, unknown];
          return this.resolveString(text).split(delimiter);
        }
        case 'Fn::Sub':
          return this.sub(arg);
        case 'Fn::ImportValue':
        case 'Fn::If':
        case 'Fn::FindInMap':
          throw new Error(
            `${this.stackName}: ${key} is not supported by this resolver: ${JSON.stringify(arg)}`,
          );
      }
    }
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, this.resolve(v)]));
  }

  resolveString(value: unknown): string {
    return this.asString(this.resolve(value));
  }

  private asString(value: unknown): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new Error(`${this.stackName}: expected a string, resolved ${JSON.stringify(value)}`);
  }

  private rule(id: string): TypeRule {
    const type = this.resource(id).Type;
    const rule = TYPES[type];
    if (!rule)
      throw new Error(`${this.stackName}: no resolution rule for ${type} (${id}); add it to cfn-iam.ts`);
    return rule;
  }

  private ref(id: string): string {
    switch (id) {
      case 'AWS::Partition':
        return PARTITION;
      case 'AWS::Region':
        return REGION;
      case 'AWS::AccountId':
        return ACCOUNT;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return arnOf('cloudformation', `stack/${this.stackName}/00000000-0000-0000-0000-000000000000`);
    }
    const rule = this.rule(id);
    if (rule.ref === 'name') return this.physicalName(id);
    return this.arn(id);
  }

  private getAtt(id: string, attribute: string): string {
    const rule = this.rule(id);
    if (attribute === 'Arn') return this.arn(id);
    const custom = rule.attributes?.[attribute];
    if (custom) return custom(this.physicalName(id), id, this);
    if (attribute === 'FunctionArn' || attribute === 'AliasArn') {
      const fn =
        this.resource(id).Properties?.TargetFunctionArn ?? this.resource(id).Properties?.FunctionName;
      return this.resolveString(fn);
    }
    throw new Error(`${this.stackName}: no rule for Fn::GetAtt ${id}.${attribute}`);
  }

  private sub(arg: unknown): string {
    const [text, variables] = (typeof arg === 'string' ? [arg, {}] : arg) as [
      string,
      Record<string, unknown>,
    ];
    return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (name in variables) return this.resolveString(variables[name]);
      if (name.includes('.')) {
        const [id, attribute] = name.split('.') as [string, string];
        return this.getAtt(id, attribute);
      }
      return this.ref(name);
    });
  }

  /** The Lambda functions in this stack, by logical id. */
  functions(): [string, CfnResource][] {
    return Object.entries(this.resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
  }

  /** A function's environment variables, resolved. */
  environmentOf(functionId: string): Record<string, string> {
    const variables = (
      this.resource(functionId).Properties?.Environment as { Variables?: unknown } | undefined
    )?.Variables;
    return Object.fromEntries(
      Object.entries((variables ?? {}) as Record<string, unknown>).map(([k, v]) => [
        k,
        this.resolveString(v),
      ]),
    );
  }

  /** The logical id of a function's role (its Role must be Fn::GetAtt <role>.Arn). */
  roleOf(functionId: string): string {
    const role = this.resource(functionId).Properties?.Role as
      | { 'Fn::GetAtt'?: [string, string] }
      | undefined;
    const id = role?.['Fn::GetAtt']?.[0];
    if (!id)
      throw new Error(`${this.stackName}: ${functionId} has no role of this stack (${JSON.stringify(role)})`);
    return id;
  }

  /**
   * Every policy that applies to a role: its inline Policies, and the AWS::IAM::Policy and
   * AWS::IAM::ManagedPolicy resources that name it. An AWS managed policy ARN cannot be read offline: it fails.
   */
  policiesOf(roleId: string): RolePolicy[] {
    const role = this.resource(roleId);
    const policies: RolePolicy[] = [];
    for (const inline of (role.Properties?.Policies ?? []) as {
      PolicyName: unknown;
      PolicyDocument: unknown;
    }[]) {
      policies.push({
        source: `${roleId}/${this.resolveString(inline.PolicyName)}`,
        document: this.resolve(inline.PolicyDocument) as PolicyDocument,
      });
    }
    const managed = (role.Properties?.ManagedPolicyArns ?? []) as unknown[];
    for (const arn of managed) {
      const value = arn as { Ref?: string };
      if (value.Ref && this.template.Resources[value.Ref]?.Type === 'AWS::IAM::ManagedPolicy') continue;
      throw new Error(
        `${this.stackName}: ${roleId} has a managed policy ${JSON.stringify(arn)} this check cannot read`,
      );
    }
    for (const [id, resource] of Object.entries(this.resources)) {
      if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const roles = (resource.Properties?.Roles ?? []) as { Ref?: string }[];
      const attached =
        roles.some((r) => r.Ref === roleId) || managed.some((m) => (m as { Ref?: string }).Ref === id);
      if (!attached) continue;
      policies.push({
        source: id,
        document: this.resolve(resource.Properties?.PolicyDocument) as PolicyDocument,
      });
    }
    return policies;
  }

  /**
   * The resource-based policies of this stack, each with the ARN it governs and whether it also governs the
   * ARNs under it (a bucket policy covers the bucket's objects): key policies, bucket, topic, secret and event
   * bus policies.
   */
  resourcePolicies(): {
    readonly arn: string;
    readonly nested: boolean;
    readonly document: PolicyDocument;
  }[] {
    const out: { arn: string; nested: boolean; document: PolicyDocument }[] = [];
    const idOf = (value: unknown): string => {
      const id = this.findByValue(this.resolveString(value));
      if (!id)
        throw new Error(
          `${this.stackName}: a resource policy names ${JSON.stringify(value)}, not a resource here`,
        );
      return id;
    };
    for (const [id, r] of Object.entries(this.resources)) {
      const props = r.Properties ?? {};
      switch (r.Type) {
        case 'AWS::KMS::Key':
          out.push({
            arn: this.arn(id),
            nested: false,
            document: this.resolve(props.KeyPolicy) as PolicyDocument,
          });
          break;
        case 'AWS::S3::BucketPolicy':
          out.push({
            arn: this.arn(idOf(props.Bucket)),
            nested: true,
            document: this.resolve(props.PolicyDocument) as PolicyDocument,
          });
          break;
        case 'AWS::SNS::TopicPolicy':
          for (const topic of props.Topics as unknown[]) {
            out.push({
              arn: this.arn(idOf(topic)),
              nested: false,
              document: this.resolve(props.PolicyDocument) as PolicyDocument,
            });
          }
          break;
        case 'AWS::SecretsManager::ResourcePolicy':
          out.push({
            arn: this.arn(idOf(props.SecretId)),
            nested: false,
            document: this.resolve(props.ResourcePolicy) as PolicyDocument,
          });
          break;
        case 'AWS::Events::EventBusPolicy': {
          const statement = props.Statement ? [this.resolve(props.Statement) as Statement] : [];
          const policy = props.Policy ? (this.resolve(props.Policy) as PolicyDocument) : undefined;
          out.push({
            arn: this.arn(idOf(props.EventBusName)),
            nested: false,
            document: policy ?? { Version: '2012-10-17', Statement: statement },
          });
          break;
        }
      }
    }
    return out;
  }

  /** The logical id of the resource a resolved string names (its ARN, Ref value or name), if any. */
  findByValue(value: string): string | undefined {
    for (const id of Object.keys(this.resources)) {
      const rule = TYPES[this.resources[id]?.Type ?? ''];
      if (!rule) continue;
      try {
        if (this.ref(id) === value || (rule.arn && this.arn(id) === value) || this.physicalName(id) === value)
          return id;
      } catch {
        // A resource whose name cannot be resolved offline cannot be what `value` names.
      }
    }
    return undefined;
  }
}
