import { Aws, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CODECOMMIT_DETAIL_TYPE, PUSH_DETAIL_TYPE, PUSH_EVENT_SOURCES } from '../lambdas/core/push-routing';
import { ENV } from '../lambdas/runtime/env';
import { DeadLetters } from './dead-letters';
import { grantCatalogRead, grantCodeCommitRead, grantSecretValue } from './grants';
import type { ReleaseStateMachine } from './release-state-machine';
import { SluiceFunction } from './sluice-function';

/**
 * Context key the local runtime sets when it synthesizes the pipeline: its rule on the Sluice bus then also takes
 * the local git watchers' pushes (`sluice.local-git`). In AWS nothing but the GitHub webhook starts a release
 * from that bus.
 */
export const LOCAL_GIT_PUSHES_CONTEXT = 'sluice:localGitPushes';

export interface SluiceTriggersProps {
  /** The release state machine the router starts executions of. */
  readonly releases: Pick<ReleaseStateMachine, 'stateMachineArn' | 'grantStartExecution'>;
  /** The catalog the router maps repositories and branches to services with. */
  readonly catalogAsset: s3assets.Asset;
  /**
   * The catalog's CodeCommit repositories: the router may read their differences (and no other repository's).
   * @default [] - no CodeCommit repository is read
   */
  readonly codeCommitRepositories?: readonly string[];
  /** @default - CloudWatch Logs' own encryption at rest */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * Name of the Sluice event bus that carries normalized push events.
   * @default - `<stack name>-events`
   */
  readonly eventBusName?: string;
  /**
   * Where a push goes when the router keeps failing.
   * @default - a DeadLetters of its own
   */
  readonly deadLetters?: DeadLetters;
}

/**
 * What starts releases: an EventBridge rule on CodeCommit's `Repository State Change` events (created or updated
 * branches), the GitHub webhook (a function URL that checks the signature and puts a normalized push on the
 * Sluice event bus), a rule on that bus, and the router both rules invoke. Nothing here grows with the catalog.
 */
export class SluiceTriggers extends Construct {
  readonly eventBus: events.EventBus;
  readonly webhookSecret: secretsmanager.Secret;
  readonly webhook: SluiceFunction;
  readonly webhookUrl: lambda.FunctionUrl;
  readonly router: SluiceFunction;
  readonly codeCommitRule: events.Rule;
  readonly pushRule: events.Rule;

  constructor(scope: Construct, id: string, props: SluiceTriggersProps) {
    super(scope, id);
    validateProps(props);

    // EventBridge encrypts events at rest with an AWS owned key; a customer key would require every publisher to
    // hold kms:GenerateDataKey as well, and the events carry no secret (repository, branch, commit, paths).
    this.eventBus = new events.EventBus(this, 'Bus', {
      eventBusName: props.eventBusName ?? `${Aws.STACK_NAME}-events`,
      description: 'Sluice: normalized push events (GitHub webhook, local git watchers)',
    });

    this.webhookSecret = this.newWebhookSecret();
    this.webhook = this.newWebhook(props.logEncryptionKey);
    // GitHub cannot sign AWS requests: the HMAC signature on every delivery is the credential.
    this.webhookUrl = this.webhook.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    this.letOnlyTheWebhookPutEvents();
    this.router = this.newRouter(props);

    const target = new targets.LambdaFunction(
      this.router.function,
      (props.deadLetters ?? new DeadLetters(this, 'DeadLetters')).targetOptions({
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
      }),
    );
    this.codeCommitRule = new events.Rule(this, 'CodeCommitPush', {
      description: 'Sluice: a CodeCommit branch was created or updated; route it to the services it releases',
      eventPattern: {
        source: ['aws.codecommit'],
        detailType: [CODECOMMIT_DETAIL_TYPE],
        detail: { event: ['referenceCreated', 'referenceUpdated'], referenceType: ['branch'] },
      },
      targets: [target],
    });
    this.pushRule = new events.Rule(this, 'NormalizedPush', {
      description:
        'Sluice: a normalized push (the GitHub webhook; locally also the git watchers); route it to the services it releases',
      eventBus: this.eventBus,
      eventPattern: {
        source:
          this.node.tryGetContext(LOCAL_GIT_PUSHES_CONTEXT) === true
            ? [PUSH_EVENT_SOURCES.github, PUSH_EVENT_SOURCES.localGit]
            : [PUSH_EVENT_SOURCES.github],
        detailType: [PUSH_DETAIL_TYPE],
      },
      targets: [target],
    });

    this.addOutputs();
  }

  private newWebhookSecret(): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'WebhookSecret', {
      description: "Sluice: the GitHub webhook's shared secret (paste it into the webhook's Secret field)",
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret is shared with GitHub, which cannot read it from Secrets Manager: rotating it means pasting the ' +
        'new value into each webhook, so it is rotated by hand (put-secret-value, then update GitHub).',
    });
    return secret;
  }

  private newWebhook(logEncryptionKey: kms.IKey | undefined): SluiceFunction {
    return new SluiceFunction(this, 'GithubWebhook', {
      handler: 'github-webhook',
      description: 'Sluice GitHub webhook: verifies X-Hub-Signature-256, puts pushes on the Sluice event bus',
      timeout: Duration.seconds(10),
      logEncryptionKey,
      environment: {
        [ENV.webhookSecretArn]: this.webhookSecret.secretArn,
        [ENV.eventBusName]: this.eventBus.eventBusName,
      },
    });
  }

  /** The webhook may put events on the bus and read its secret; the bus refuses every other principal. */
  private letOnlyTheWebhookPutEvents(): void {
    this.eventBus.grantPutEventsTo(this.webhook);
    // A push event names no sender, so whoever may PutEvents on the bus could start releases: in the account,
    // every principal with events:PutEvents on `*`. The bus refuses all but the webhook's role, whatever their
    // own policies allow.
    this.eventBus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheGitHubWebhookPutsEvents',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.eventBus.eventBusArn],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': this.webhook.role.roleArn } },
      }),
    );
    grantSecretValue(this.webhook, this.webhookSecret);
  }

  /** The router, allowed to start releases, read the catalog and ask CodeCommit for a push's changed paths. */
  private newRouter(props: SluiceTriggersProps): SluiceFunction {
    const router = new SluiceFunction(this, 'Router', {
      handler: 'router',
      description: 'Sluice router: maps a push to services and starts one release each (deterministic names)',
      timeout: Duration.seconds(30),
      logEncryptionKey: props.logEncryptionKey,
      environment: {
        [ENV.stateMachineArn]: props.releases.stateMachineArn,
        [ENV.catalogBucket]: props.catalogAsset.s3BucketName,
        [ENV.catalogKey]: props.catalogAsset.s3ObjectKey,
      },
    });
    props.releases.grantStartExecution(router);
    grantCatalogRead(router, props.catalogAsset);
    // CodeCommit events carry no file list; the router asks for it when a service filters by paths.
    grantCodeCommitRead(router, ['codecommit:GetDifferences'], props.codeCommitRepositories ?? []);
    return router;
  }

  private addOutputs(): void {
    // On the stack itself, so the output keys are the names the README uses (no construct-path hash).
    const stack = Stack.of(this);
    new CfnOutput(stack, 'WebhookUrl', {
      description: 'GitHub webhook Payload URL (content type application/json, push events)',
      value: this.webhookUrl.url,
    });
    new CfnOutput(stack, 'WebhookSecretArn', {
      description:
        'GitHub webhook secret: aws secretsmanager get-secret-value --secret-id <this>, paste into GitHub',
      value: this.webhookSecret.secretArn,
    });
    new CfnOutput(stack, 'EventBusName', {
      description: 'Sluice event bus',
      value: this.eventBus.eventBusName,
    });
  }
}

function validateProps(props: SluiceTriggersProps): void {
  if (!props.releases || !props.catalogAsset) {
    throw new Error(
      `SluiceTriggers: releases and catalogAsset are required; received ${JSON.stringify(Object.keys(props ?? {}))}. ` +
        'Pass the ReleaseStateMachine and the catalog asset of the pipeline stack.',
    );
  }
  if (props.eventBusName !== undefined && !/^[A-Za-z0-9._-]{1,256}$/.test(props.eventBusName)) {
    throw new Error(
      `SluiceTriggers: eventBusName must be 1-256 letters, digits, '.', '_' or '-'; received ${JSON.stringify(props.eventBusName)}.`,
    );
  }
}
