/**
 * The EventBridge event CodeDeploy sends when a deployment changes state. The local deploy target emits the
 * same shape, so the deployment-events Lambda handler runs unchanged on it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { serviceResourceName } from '../../lambdas/core/catalog/types';

export type CodeDeployState = 'START' | 'SUCCESS' | 'FAILURE' | 'STOP';

export interface CodeDeployStateChangeDetail {
  readonly region: string;
  readonly deploymentId: string;
  readonly instanceGroupId: string;
  readonly deploymentGroup: string;
  readonly application: string;
  readonly state: CodeDeployState;
}

export interface CodeDeployStateChangeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'CodeDeploy Deployment State-change Notification';
  readonly source: 'aws.codedeploy';
  readonly account: string;
  /** ISO 8601 without milliseconds, as EventBridge writes it. */
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: CodeDeployStateChangeDetail;
}

export const LOCAL_EVENT_ACCOUNT = '000000000000';
export const LOCAL_EVENT_REGION = 'local';

/** A stable, UUID-shaped deployment group id per service (CodeDeploy's is a UUID fixed at creation). */
function instanceGroupId(service: string): string {
  const hex = createHash('sha256').update(`deployment-group/${service}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function codeDeployStateChange(
  service: string,
  deploymentId: string,
  state: CodeDeployState,
  at: Date,
): CodeDeployStateChangeEvent {
  const name = serviceResourceName(service);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'CodeDeploy Deployment State-change Notification',
    source: 'aws.codedeploy',
    account: LOCAL_EVENT_ACCOUNT,
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_EVENT_REGION,
    resources: [],
    detail: {
      region: LOCAL_EVENT_REGION,
      deploymentId,
      instanceGroupId: instanceGroupId(service),
      deploymentGroup: name,
      application: name,
      state,
    },
  };
}

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** The EventBridge event CloudWatch sends when an alarm changes state (the fields alarm-events reads). */
export interface AlarmStateChangeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'CloudWatch Alarm State Change';
  readonly source: 'aws.cloudwatch';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: {
    readonly alarmName: string;
    readonly state: { readonly value: AlarmStateValue; readonly reason: string; readonly timestamp: string };
    readonly previousState: {
      readonly value: AlarmStateValue;
      readonly reason: string;
      readonly timestamp: string;
    };
  };
}

export function alarmStateChange(
  alarmName: string,
  value: AlarmStateValue,
  previous: AlarmStateValue,
  reason: string,
  at: Date,
): AlarmStateChangeEvent {
  const timestamp = at.toISOString();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: LOCAL_EVENT_ACCOUNT,
    time: timestamp.replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_EVENT_REGION,
    resources: [`arn:aws:cloudwatch:${LOCAL_EVENT_REGION}:${LOCAL_EVENT_ACCOUNT}:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: { value, reason, timestamp },
      previousState: { value: previous, reason: '', timestamp },
    },
  };
}
