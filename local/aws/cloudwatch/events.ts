/**
 * The EventBridge event CloudWatch sends when a metric alarm changes state, shaped as the user guide's sample
 * ("Alarm events and EventBridge"): the new and previous state with reasons, and the alarm's configuration.
 */
import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../definition';
import { eventTime } from '../event-time';
import type { AlarmDefinition } from './alarm-definition';

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmState {
  readonly value: AlarmStateValue;
  readonly reason: string;
  /** JSON: the datapoints the state rests on. */
  readonly reasonData?: string;
  /** "2019-10-02T17:04:40.989+0000" */
  readonly timestamp: string;
}

export type AlarmConfigurationMetric =
  | {
      readonly id: string;
      readonly metricStat: {
        readonly metric: {
          readonly dimensions: Readonly<Record<string, string>>;
          readonly name: string;
          readonly namespace: string;
        };
        readonly period: number;
        readonly stat: string;
      };
      readonly returnData: boolean;
    }
  | { readonly id: string; readonly expression: string; readonly returnData: boolean };

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
    readonly state: AlarmState;
    readonly previousState: AlarmState;
    readonly configuration: {
      readonly description?: string;
      readonly metrics: readonly AlarmConfigurationMetric[];
    };
  };
}

export interface AlarmStateChangeInput {
  readonly definition: AlarmDefinition;
  readonly state: AlarmState;
  readonly previousState: AlarmState;
  readonly at: Date;
}

export function alarmStateChange(input: AlarmStateChangeInput): AlarmStateChangeEvent {
  const { definition } = input;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: LOCAL_ACCOUNT,
    time: eventTime(input.at),
    region: LOCAL_REGION,
    resources: [`arn:aws:cloudwatch:${LOCAL_REGION}:${LOCAL_ACCOUNT}:alarm:${definition.name}`],
    detail: {
      alarmName: definition.name,
      state: input.state,
      previousState: input.previousState,
      configuration: {
        ...(definition.description ? { description: definition.description } : {}),
        metrics: definition.queries.map((query) =>
          query.kind === 'expression'
            ? { id: query.id, expression: query.source, returnData: query.returnData }
            : {
                id: query.id,
                metricStat: {
                  metric: {
                    dimensions: query.metric.dimensions,
                    name: query.metric.metricName,
                    namespace: query.metric.namespace,
                  },
                  period: query.period,
                  stat: query.stat,
                },
                returnData: query.returnData,
              },
        ),
      },
    },
  };
}
