import { ArnFormat, CfnOutput, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/runtime/env';
import { DeadLetters } from './dead-letters';
import { grantSecretValue } from './grants';
import { acknowledgeWildcardResources } from './nag';
import type { ReleaseStateMachine } from './release-state-machine';
import type { SluiceFunction } from './sluice-function';

export interface ApprovalGateProps {
  /** Stores the task token, supersedes older requests, sends the links, schedules the expiry. */
  readonly requestApproval: SluiceFunction;
  /** The approval page and the Slack interactions endpoint (a function URL). */
  readonly approvalApi: SluiceFunction;
  /** Ends a request left undecided at its expiry; invoked by a one-time EventBridge Scheduler schedule. */
  readonly approvalExpiry: SluiceFunction;
  /** The machine whose paused RequestApproval tasks these functions resume. */
  readonly releases: ReleaseStateMachine;
  /** The approval page's base URL (the function URL), for the Slack interactions URL output. */
  readonly approvalBaseUrl: string;
  /**
   * Name of the schedule group holding the expiry schedules.
   * @default - `<stack name>-approvals`
   */
  readonly scheduleGroupName?: string;
  /**
   * Where an expiry that Scheduler could not deliver after its retries goes (alarmed), instead of being lost: the
   * request would then stay pending until RequestApproval's task timeout records the release `failed`.
   * @default - a DeadLetters of its own
   */
  readonly deadLetters?: DeadLetters;
}

/**
 * The approval gate's wiring beyond the handlers themselves: the Slack secret (signing secret + incoming
 * webhook URL), the expiry schedules (EventBridge Scheduler: a group and the role it invokes the expiry
 * handler with), and each handler's least-privilege grants. Its resource count is fixed: schedules are created
 * per request at run time and delete themselves after firing.
 */
export class ApprovalGate extends Construct {
  /** `{ "signingSecret": "...", "webhookUrl": "https://hooks.slack.com/services/..." }`, set by the operator. */
  readonly slackSecret: secretsmanager.Secret;
  readonly scheduleGroup: scheduler.CfnScheduleGroup;
  /** The role EventBridge Scheduler assumes to invoke the expiry handler. */
  readonly schedulerRole: iam.Role;

  constructor(scope: Construct, id: string, props: ApprovalGateProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const groupName = scheduleGroupNameOf(stack, props);
    this.slackSecret = this.newSlackSecret();
    this.scheduleGroup = new scheduler.CfnScheduleGroup(this, 'Schedules', { name: groupName });
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'Sluice: EventBridge Scheduler invokes the approval-expiry handler',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    this.schedulerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [props.approvalExpiry.function.functionArn],
      }),
    );
    // Scheduler delivers a dead-letter event with the schedule's execution role (not a queue policy).
    const deadLetters = props.deadLetters ?? new DeadLetters(this, 'DeadLetters');
    this.schedulerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [deadLetters.queue.queueArn] }),
    );
    this.letRequestApprovalSchedule(props, groupName, deadLetters);

    for (const fn of [props.requestApproval, props.approvalApi]) {
      grantSecretValue(fn, this.slackSecret);
      fn.function.addEnvironment(ENV.slackSecretArn, this.slackSecret.secretArn);
    }

    // Answering paused RequestApproval tasks: a decision resumes the task with it (page, Slack; a rejection
    // too), an expiry fails it, and a newer request fails the older one's task (supersede).
    props.releases.grantTaskResponse(props.approvalApi, ['success']);
    props.releases.grantTaskResponse(props.approvalExpiry, ['failure']);
    props.releases.grantTaskResponse(props.requestApproval, ['failure']);
    this.addOutputs(props.approvalBaseUrl);
  }

  private newSlackSecret(): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'SlackSecret', {
      description:
        'Sluice: Slack app signing secret and incoming webhook URL, as JSON {"signingSecret","webhookUrl"}',
      generateSecretString: {
        // A random placeholder until the operator puts the Slack app's own signing secret here.
        secretStringTemplate: JSON.stringify({ webhookUrl: '' }),
        generateStringKey: 'signingSecret',
        passwordLength: 48,
        excludePunctuation: true,
      },
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "Slack issues the signing secret and webhook URL; they are rotated in Slack's app settings and copied here, " +
        'which no rotation Lambda can do.',
    });
    return secret;
  }

  /** RequestApproval creates each request's expiry schedule in the group, passing the scheduler role. */
  private letRequestApprovalSchedule(
    props: ApprovalGateProps,
    groupName: string,
    deadLetters: DeadLetters,
  ): void {
    const schedules = Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${groupName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const request = props.requestApproval;
    request.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['scheduler:CreateSchedule'], resources: [schedules] }),
    );
    request.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    acknowledgeWildcardResources(
      request.role,
      [schedules],
      'One schedule per approval request, named after its random id at run time, inside the gate’s own group.',
    );
    request.function.addEnvironment(ENV.expiryFunctionArn, props.approvalExpiry.function.functionArn);
    request.function.addEnvironment(ENV.schedulerRoleArn, this.schedulerRole.roleArn);
    request.function.addEnvironment(ENV.scheduleGroup, groupName);
    request.function.addEnvironment(ENV.scheduleDeadLetterArn, deadLetters.queue.queueArn);
  }

  private addOutputs(approvalBaseUrl: string): void {
    const stack = Stack.of(this);
    new CfnOutput(stack, 'SlackInteractionsUrl', {
      description: 'Slack app → Interactivity & Shortcuts → Request URL',
      value: Fn.join('', [approvalBaseUrl, 'slack/interactions']),
    });
    new CfnOutput(stack, 'SlackSecretArn', {
      description: 'Put {"signingSecret": "...", "webhookUrl": "https://hooks.slack.com/services/..."} here',
      value: this.slackSecret.secretArn,
    });
  }
}

/** The schedule group's name: given, or `<stack name>-approvals`; refused when Scheduler would refuse it. */
function scheduleGroupNameOf(stack: Stack, props: ApprovalGateProps): string {
  const groupName = props.scheduleGroupName ?? `${stack.stackName}-approvals`;
  if (!Token.isUnresolved(groupName) && !/^[0-9a-zA-Z-_.]{1,64}$/.test(groupName)) {
    throw new Error(
      `ApprovalGate: scheduleGroupName must be 1-64 letters, digits, '-', '_' or '.'; received ${JSON.stringify(groupName)}. ` +
        'Pass a shorter scheduleGroupName (the default is `<stack name>-approvals`).',
    );
  }
  return groupName;
}
