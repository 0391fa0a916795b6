import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ArnFormat,
  Aws,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { Catalog } from '../lambdas/core/catalog/types';
import { DORA_NAMESPACE } from '../lambdas/core/release-metrics';
import { ENV, type HandlerName } from '../lambdas/runtime/env';
import { AlarmProvider } from './alarm-provider';
import { ApprovalGate } from './approval-gate';
import { ContinuousDeployment } from './continuous-deployment';
import { DeadLetters } from './dead-letters';
import { grantDependencyInstall, grantNpmrcSecrets, npmrcSecretsOf } from './dependency-grants';
import { DoraDashboard } from './dora-dashboard';
import { GitHubToken } from './github-token';
import {
  codeCommitRepositoriesOf,
  grantArtifacts,
  grantCatalogRead,
  grantCodeCommitRead,
  grantCodeDeploy,
  grantSecretValue,
  grantServiceFunctions,
} from './grants';
import { LEDGER_ACCESS, LedgerTable, type StepHandlerName } from './ledger-table';
import { endReleasesOnAbnormalExecutionEnd, resumeReleasesOnDeploymentEnd } from './release-event-rules';
import { ReleaseStateMachine } from './release-state-machine';
import type { SluiceFunction } from './sluice-function';
import { createStepFunctions } from './step-functions';
import { TestRunner } from './test-runner';
import { SluiceTriggers } from './triggers';

export interface SluicePipelineStackProps extends StackProps {
  /** The validated catalog. Its services are data: the stack's resources do not grow with their number. */
  readonly catalog: Catalog;
  /**
   * Path of the catalog JSON file to ship to the load-service handler.
   * @default - `catalog`, written as JSON to a temporary folder at synth time
   */
  readonly catalogFile?: string;
  /**
   * Physical name of the release state machine (a fixed name lets grants use its ARN without a reference).
   * @default - `<stack name>-Release`
   */
  readonly stateMachineName?: string;
  /**
   * Days after which an artifact's current version expires from the artifact bucket.
   * @default 90
   */
  readonly artifactRetentionDays?: number;
}

/**
 * The Sluice pipeline: the release state machine, its handlers, the ledger, artifacts, approvals and the
 * CodeDeploy event wiring. One stack for any number of services: per-service resources (function, alias,
 * deployment group, alarms) live in each service's own stack (SluiceService).
 */
export class SluicePipelineStack extends Stack {
  readonly ledger: LedgerTable;
  readonly artifactBucket: s3.Bucket;
  readonly releases: ReleaseStateMachine;
  readonly approvalUrl: lambda.FunctionUrl;
  readonly signingSecret: secretsmanager.Secret;
  readonly approvalTopic: sns.Topic;
  readonly approvalGate: ApprovalGate;
  readonly key: kms.Key;
  readonly catalogAsset: s3assets.Asset;
  /** The catalog file shipped in `catalogAsset`: `catalogFile`, or the one written at synth. */
  readonly catalogSource: string;
  /** The alarm state-change rule and the preflight / stop-deployment grants. */
  readonly continuousDeployment: ContinuousDeployment;
  /** The handler functions, by handler name. */
  readonly functions: Readonly<Record<HandlerName, SluiceFunction>>;
  /** CodeCommit rule, GitHub webhook, event bus and router. */
  readonly triggers: SluiceTriggers;
  /** DORA metrics per mode and per service. */
  readonly dora: DoraDashboard;
  /** The GitHub token the source-reading handlers use for services on GitHub. */
  readonly githubToken: GitHubToken;
  /** The dead-letter queue (and its alarm) of every EventBridge target. */
  readonly deadLetters: DeadLetters;
  /** The sandbox the Test handler runs service tests in: its role may only write its own logs. */
  readonly testRunner: SluiceFunction;
  /** Creates and deletes the service stacks' canary alarms (their `Custom::SluiceServiceAlarm`). */
  readonly alarmProvider: AlarmProvider;

  constructor(scope: Construct, id: string, props: SluicePipelineStackProps) {
    super(scope, id, props);
    validateProps(props);

    this.key = this.newKey();
    this.ledger = new LedgerTable(this, 'Ledger');
    this.artifactBucket = this.newArtifactBucket(props.artifactRetentionDays ?? 90);
    this.catalogSource = props.catalogFile ? path.resolve(props.catalogFile) : writeCatalog(props.catalog);
    this.catalogAsset = new s3assets.Asset(this, 'Catalog', {
      path: this.catalogSource,
      displayName: 'Sluice catalog',
    });
    this.signingSecret = this.newSigningSecret();
    this.approvalTopic = this.newApprovalTopic();

    const functions = createStepFunctions(this, {
      logEncryptionKey: this.key,
      ledgerTableName: this.ledger.tableName,
      artifactBucket: this.artifactBucket,
      catalogAsset: this.catalogAsset,
      signingSecret: this.signingSecret,
      approvalTopic: this.approvalTopic,
    });

    this.testRunner = this.newTestRunner(functions);

    this.releases = this.newReleaseStateMachine(
      functions,
      props.stateMachineName ?? `${this.stackName}-Release`,
    );
    this.approvalUrl = this.publishApprovalPage(functions['approval-api'], functions['request-approval']);

    this.deadLetters = new DeadLetters(this, 'DeadLetters');
    resumeReleasesOnDeploymentEnd(this, functions['deployment-events'], this.deadLetters);
    endReleasesOnAbnormalExecutionEnd(this, functions['execution-events'], this.releases, this.deadLetters);
    this.continuousDeployment = new ContinuousDeployment(this, 'ContinuousDeployment', {
      alarmEvents: functions['alarm-events'].function,
      deadLetters: this.deadLetters,
    });
    this.grantLeastPrivilege(functions, props.catalog);
    this.approvalGate = new ApprovalGate(this, 'ApprovalGate', {
      requestApproval: functions['request-approval'],
      approvalApi: functions['approval-api'],
      approvalExpiry: functions['approval-expiry'],
      releases: this.releases,
      approvalBaseUrl: this.approvalUrl.url,
      deadLetters: this.deadLetters,
    });

    this.triggers = new SluiceTriggers(this, 'Triggers', {
      releases: this.releases,
      catalogAsset: this.catalogAsset,
      codeCommitRepositories: codeCommitRepositoriesOf(props.catalog),
      logEncryptionKey: this.key,
      deadLetters: this.deadLetters,
    });
    this.alarmProvider = new AlarmProvider(this, 'AlarmProvider', { logEncryptionKey: this.key });
    this.functions = {
      ...functions,
      'alarm-provider': this.alarmProvider.handler,
      'test-runner': this.testRunner,
      'github-webhook': this.triggers.webhook,
      router: this.triggers.router,
    };

    this.githubToken = this.newGitHubToken([
      functions['load-service'],
      functions.build,
      functions['run-tests'],
      this.triggers.router,
    ]);

    // Record publishes the DORA datapoints as EMF on its log stream: no PutMetricData grant needed.
    functions.record.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', DORA_NAMESPACE);
    this.dora = new DoraDashboard(this, 'Dora', { dashboardName: `${this.stackName}-dora` });
    this.addOutputs();
  }

  /** The one state machine both models run: each step is one of `functions`. */
  private newReleaseStateMachine(
    functions: Readonly<Record<StepHandlerName, SluiceFunction>>,
    stateMachineName: string,
  ): ReleaseStateMachine {
    return new ReleaseStateMachine(this, 'Releases', {
      stateMachineName,
      loadService: functions['load-service'].function,
      build: functions.build.function,
      test: functions['run-tests'].function,
      stage: functions.stage.function,
      requestApproval: functions['request-approval'].function,
      deploy: functions.deploy.function,
      record: functions.record.function,
      encryptionKey: this.key,
    });
  }

  /** Where approval requests go: subscribe approvers' email (or a chat bridge) to it. */
  /** The sandbox for service code: Test runs the service's tests in it, Build its `npm ci`. */
  private newTestRunner(functions: Record<StepHandlerName, SluiceFunction>): SluiceFunction {
    return new TestRunner(this, 'TestRunner', {
      test: functions['run-tests'],
      build: functions.build,
      logEncryptionKey: this.key,
    }).runner;
  }

  private newApprovalTopic(): sns.Topic {
    return new sns.Topic(this, 'ApprovalTopic', {
      displayName: 'Sluice approvals',
      masterKey: this.key,
      enforceSSL: true,
    });
  }

  /** GitHub services' token: only the handlers that read source may read it. */
  private newGitHubToken(readers: readonly SluiceFunction[]): GitHubToken {
    const token = new GitHubToken(this, 'GitHubToken');
    for (const reader of readers) token.grantRead(reader);
    return token;
  }

  /** The key of execution logs, handler logs and approval notifications. */
  private newKey(): kms.Key {
    const key = new kms.Key(this, 'Key', {
      description: 'Sluice: execution logs, handler logs and approval notifications',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch Logs encrypts with the key itself; it may use it only for this account's log groups.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': this.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    return key;
  }

  private newArtifactBucket(retentionDays: number): s3.Bucket {
    const bucket = new s3.Bucket(this, 'Artifacts', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-old-artifacts',
          expiration: Duration.days(retentionDays),
          noncurrentVersionExpiration: Duration.days(7),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only Sluice handler roles (build writes, stage reads) touch this bucket, and the ledger records which ' +
        'artifact (key and sha256) each release used; enable S3 data events in CloudTrail if per-request audit is needed.',
    });
    return bucket;
  }

  private newSigningSecret(): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'SigningSecret', {
      description: 'Sluice: HMAC key that signs approval links',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A symmetric HMAC key read only by Sluice: rotating it invalidates every pending approval link, so it is ' +
        'rotated by hand between approvals (put-secret-value) rather than on a schedule.',
    });
    return secret;
  }

  /** The approval page's public function URL, and its address in RequestApproval's environment. */
  private publishApprovalPage(
    approvalApi: SluiceFunction,
    requestApproval: SluiceFunction,
  ): lambda.FunctionUrl {
    // The links carry their own HMAC signature, expiry and single use, so the URL itself is public.
    const url = approvalApi.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    // Fn::GetAtt to the URL: request-approval -> URL -> approval-api, whose task-response grant names the
    // state machine by its formatted ARN, so no cycle back through the state machine.
    requestApproval.addEnvironment(ENV.approvalBaseUrl, url.url);
    return url;
  }

  private addOutputs(): void {
    new CfnOutput(this, 'StateMachineArn', {
      description: 'Release state machine',
      value: this.releases.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'LedgerTableName', { description: 'Release ledger', value: this.ledger.tableName });
    new CfnOutput(this, 'ApprovalUrl', {
      description: 'Approval page base URL',
      value: this.approvalUrl.url,
    });
    new CfnOutput(this, 'ApprovalTopicArn', {
      description: 'Approval emails: subscribe each approver with a filter policy on the approver attribute',
      value: this.approvalTopic.topicArn,
    });
    new CfnOutput(this, 'ArtifactBucketName', {
      description: 'Build artifacts',
      value: this.artifactBucket.bucketName,
    });
  }

  /**
   * Each handler gets exactly the calls its code makes, nothing shared by default.
   * test/lib/iam-simulation.test.ts reads each handler's AWS calls from its code and checks them against
   * these grants both ways: every call allowed, every grant used.
   */
  private grantLeastPrivilege(f: Record<StepHandlerName, SluiceFunction>, catalog: Catalog): void {
    const repositories = codeCommitRepositoriesOf(catalog);
    for (const [handler, access] of Object.entries(LEDGER_ACCESS)) {
      this.ledger.grant(f[handler as StepHandlerName], access);
    }

    grantCatalogRead(f['load-service'], this.catalogAsset);

    // CodeCommitSource, on the catalog's repositories only: resolveCommit (GetBranch, GetCommit), listCommits
    // (GetCommit, GetDifferences), checkout (GetFolder, GetBlob).
    grantCodeCommitRead(
      f['load-service'],
      ['codecommit:GetBranch', 'codecommit:GetCommit', 'codecommit:GetDifferences'],
      repositories,
    );
    for (const checkout of [f.build, f['run-tests']]) {
      grantCodeCommitRead(checkout, ['codecommit:GetFolder', 'codecommit:GetBlob'], repositories);
    }

    // Build reads an earlier attempt's artifact back to verify its sha256 before a retry promotes it (build once).
    grantArtifacts(f.build, this.artifactBucket, ['s3:PutObject', 's3:GetObject']);
    grantDependencyInstall(f.build, this.artifactBucket, npmrcSecretsOf(catalog));
    grantNpmrcSecrets(f['run-tests'], npmrcSecretsOf(catalog));
    // UpdateFunctionCode from S3 reads the artifact with the caller's permissions (its current version).
    grantArtifacts(f.stage, this.artifactBucket, ['s3:GetObject']);

    // Stage: update code, wait for it (GetFunction), publish a version, smoke-invoke that version. No alias
    // action at all: Lambda authorizes UpdateAlias on the function, not the alias, so a grant that let Stage
    // point any alias would let it move `live` too.
    grantServiceFunctions(
      f.stage,
      ['lambda:UpdateFunctionCode', 'lambda:GetFunction', 'lambda:PublishVersion'],
      {
        qualified: false,
      },
    );
    grantServiceFunctions(f.stage, ['lambda:InvokeFunction'], { qualified: true });
    // Deploy reads the live alias; CodeDeploy itself shifts it, with the deployment group's role.
    grantServiceFunctions(f.deploy, ['lambda:GetAlias'], { qualified: false });
    grantCodeDeploy(f.deploy, 'deploy');
    grantCodeDeploy(f['deployment-events'], 'events');

    grantSecretValue(f['request-approval'], this.signingSecret);
    grantSecretValue(f['approval-api'], this.signingSecret);
    f['request-approval'].role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.approvalTopic.topicArn] }),
    );
    // Publishing to a KMS-encrypted topic: SNS asks for a data key on the publisher's behalf.
    f['request-approval'].role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.key.keyArn],
      }),
    );

    // Resuming executions: the CodeDeploy event handler (a deployment ended: success or failure), and Deploy
    // itself when the staged version is already live (success only). The approval handlers' grants are in
    // ApprovalGate.
    this.releases.grantTaskResponse(f['deployment-events']);
    this.releases.grantTaskResponse(f.deploy, ['success']);

    // The production lock: Deploy starts a deployment; Record (after a release), deployment-events (after a
    // rollback) and execution-events (after an execution ended abnormally) hand the lock to the next queued release and start its deployment, after preflight.
    const cd = this.continuousDeployment;
    // Preflight reads the service's alarms; then they are pointed at the version being deployed.
    for (const starter of [f.deploy, f.record, f['deployment-events'], f['execution-events']]) {
      cd.grantDescribeAlarms(starter);
      cd.grantJudgeAlarms(starter);
    }
    for (const handover of [f.record, f['deployment-events'], f['execution-events']]) {
      grantServiceFunctions(handover, ['lambda:GetAlias'], { qualified: false });
      grantCodeDeploy(handover, 'deploy');
      this.releases.grantTaskResponse(handover);
    }
    // Record keeps each canary's baseline: both versions' figures over the bake.
    cd.grantReadBaseline(f.record);
    // Record asks GetDeployment after a Deploy timeout and stops a deployment still running.
    cd.grantStopDeployment(f.record);
    // execution-events stops the deployment of a release whose execution ended (GetDeployment first).
    cd.grantStopDeployment(f['execution-events']);
    cd.grantStopDeployment(f['alarm-events']);
  }
}

function validateProps(props: SluicePipelineStackProps): void {
  const { catalog } = props;
  if (catalog?.version !== 1 || !Array.isArray(catalog.services)) {
    throw new Error(
      `SluicePipelineStack: catalog must be a validated catalog ({ version: 1, services: [...] }); received ${JSON.stringify(catalog)?.slice(0, 200)}. ` +
        'Load it with loadCatalogFile() from lambdas/core/catalog/load.ts.',
    );
  }
  if (props.catalogFile !== undefined && !fs.existsSync(props.catalogFile)) {
    throw new Error(
      `SluicePipelineStack: catalogFile ${JSON.stringify(props.catalogFile)} does not exist. ` +
        'Pass the path of the catalog you validated, or leave catalogFile out to ship `catalog` as JSON.',
    );
  }
  const days = props.artifactRetentionDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1)) {
    throw new Error(
      `SluicePipelineStack: artifactRetentionDays must be a whole number of days >= 1; received ${JSON.stringify(days)}.`,
    );
  }
}

/** Writes the catalog to a folder named by its content, so repeated synths reuse one file. */
function writeCatalog(catalog: Catalog): string {
  // localPath is for the local runtime only, and an absolute path of this machine would change the asset hash.
  const services = catalog.services.map(({ source: { localPath: _local, ...source }, ...service }) => ({
    ...service,
    source,
  }));
  const text = `${JSON.stringify({ ...catalog, services }, null, 2)}\n`;
  const hash = crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), `sluice-catalog-${hash}`);
  const file = path.join(dir, 'sluice.catalog.json');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    // Written aside and renamed, so a concurrent synth never ships half a file.
    const partial = `${file}.${process.pid}.partial`;
    fs.writeFileSync(partial, text);
    fs.renameSync(partial, file);
  }
  return file;
}
