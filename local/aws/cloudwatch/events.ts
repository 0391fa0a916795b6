/** The EventBridge event CloudWatch sends when an alarm changes state. */
import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../definition';
import { eventTime } from '../event-time';

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
    account: LOCAL_ACCOUNT,
    time: eventTime(at),
    region: LOCAL_REGION,
    resources: [`arn:aws:cloudwatch:${LOCAL_REGION}:${LOCAL_ACCOUNT}:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: { value, reason, timestamp },
      previousState: { value: previous, reason: '', timestamp },
    },
  };
}
