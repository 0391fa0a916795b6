/**
 * The one provider behind every service stack's `Custom::SluiceServiceAlarm`: what CloudFormation's request
 * means for the canary alarm, and the answer it gets. Pure: CloudWatch is behind `AlarmWriter`.
 *
 * - Create writes the alarm as the stack defines it (judging `unreleased`); its name is the physical ID.
 * - Update writes nothing: after creation each Deploy points the alarm at the version it deploys, and a stack
 *   update must not undo that. Only a different alarm name (a replacement) creates the new alarm; CloudFormation
 *   then deletes the old one, because the physical ID changed.
 * - Delete deletes the alarm; one already gone counts as deleted. A Delete for a Create that failed (the
 *   rollback of that Create) touches nothing: no alarm was made, and one of that name may belong to another stack.
 * Every outcome is answered, FAILED with the reason included, so CloudFormation never waits for a timeout.
 */
import { truncate } from '../adapters/aws/errors';
import { parseServiceAlarmName } from '../core/catalog/types';
import type { ServiceAlarmDefinition } from '../core/service-alarms';

/** The resource property holding the alarm's definition, as JSON: CloudFormation passes numbers as strings. */
export const ALARM_PROPERTY = 'Alarm';

/** The physical ID of a Create that failed: its Delete (the rollback) has nothing to delete. */
export const CREATE_FAILED_ID = 'sluice-alarm-create-failed';

/** CloudFormation refuses a response body over 4,096 bytes; the reason is the only unbounded part. */
const MAX_REASON_CHARS = 1000;

/** What the provider does to CloudWatch. */
export interface AlarmWriter {
  /** PutMetricAlarm: creates the alarm, or overwrites it. */
  put(definition: ServiceAlarmDefinition): Promise<void>;
  /** DeleteAlarms of one alarm; resolves when it does not exist. */
  delete(alarmName: string): Promise<void>;
}

/** The fields of CloudFormation's request that the provider reads. */
export interface AlarmRequest {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly RequestId: string;
  readonly StackId: string;
  readonly LogicalResourceId: string;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  /** Set on Update and Delete: what an earlier answer named the resource. */
  readonly PhysicalResourceId?: string;
}

/** The body PUT to the request's ResponseURL. */
export interface AlarmResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
}

/** The request's alarm definition is missing or is not a Sluice canary alarm. */
export class InvalidAlarmPropertiesError extends Error {
  override readonly name = 'InvalidAlarmPropertiesError';
}

/** The definition in the request's properties; throws InvalidAlarmPropertiesError naming what is wrong. */
export function alarmDefinitionOf(properties: Readonly<Record<string, unknown>>): ServiceAlarmDefinition {
  const raw = properties[ALARM_PROPERTY];
  let parsed: unknown;
  try {
    parsed = typeof raw === 'string' ? JSON.parse(raw) : undefined;
  } catch {
    parsed = undefined;
  }
  const name = (parsed as { AlarmName?: unknown } | undefined)?.AlarmName;
  if (typeof parsed !== 'object' || parsed === null || typeof name !== 'string') {
    throw new InvalidAlarmPropertiesError(
      `Property ${ALARM_PROPERTY} must be a PutMetricAlarm input as JSON, with an AlarmName; received ${JSON.stringify(raw)?.slice(0, 200)}.`,
    );
  }
  if (!parseServiceAlarmName(name)) {
    throw new InvalidAlarmPropertiesError(
      `${JSON.stringify(name)} is not a Sluice canary alarm name (sluice-<service>-error-rate, -p99-latency or -business).`,
    );
  }
  return parsed as ServiceAlarmDefinition;
}

/** Carries out one CloudFormation request on `alarms` and returns the answer to send; never throws. */
export async function answerAlarmRequest(request: AlarmRequest, alarms: AlarmWriter): Promise<AlarmResponse> {
  const answer = (physicalId: string, failure?: unknown): AlarmResponse => ({
    Status: failure === undefined ? 'SUCCESS' : 'FAILED',
    ...(failure === undefined ? {} : { Reason: reasonOf(failure) }),
    PhysicalResourceId: physicalId,
    StackId: request.StackId,
    RequestId: request.RequestId,
    LogicalResourceId: request.LogicalResourceId,
  });
  const current = request.PhysicalResourceId ?? CREATE_FAILED_ID;
  try {
    switch (request.RequestType) {
      case 'Create': {
        const definition = alarmDefinitionOf(request.ResourceProperties);
        await alarms.put(definition);
        return answer(definition.AlarmName);
      }
      case 'Update': {
        const definition = alarmDefinitionOf(request.ResourceProperties);
        if (definition.AlarmName === current) return answer(current);
        await alarms.put(definition);
        return answer(definition.AlarmName);
      }
      case 'Delete':
        if (current !== CREATE_FAILED_ID) await alarms.delete(current);
        return answer(current);
      default:
        throw new InvalidAlarmPropertiesError(
          `Unknown RequestType ${JSON.stringify((request as { RequestType?: unknown }).RequestType)}.`,
        );
    }
  } catch (error) {
    // A failed Create made no alarm: its rollback's Delete must not delete one of the same name.
    return answer(request.RequestType === 'Create' ? CREATE_FAILED_ID : current, error ?? 'unknown error');
  }
}

function reasonOf(failure: unknown): string {
  const text = failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure);
  return truncate(text, MAX_REASON_CHARS);
}
