import type { EventBridgeEvent } from 'aws-lambda';
import { parseServiceAlarmName } from '../core/catalog/types';
import type { Ports } from '../core/ports';

export type AlarmEventsPorts = Pick<Ports, 'deployTarget' | 'ledger'>;

export interface AlarmStateChangeDetail {
  readonly alarmName: string;
  readonly state: { readonly value: string; readonly reason?: string; readonly timestamp?: string };
  readonly previousState?: { readonly value: string };
}

export type AlarmStateChange = EventBridgeEvent<'CloudWatch Alarm State Change', AlarmStateChangeDetail>;

export type AlarmEventOutcome =
  | {
      readonly action: 'stopped';
      readonly releaseId: string;
      readonly deploymentId: string;
      readonly alarm: string;
    }
  | { readonly action: 'ignored'; readonly why: string };

/**
 * Faster than CodeDeploy's own alarm polling: when a Sluice alarm goes to ALARM while its service has a
 * production deployment in progress, stop that deployment with rollback at once (StopDeployment,
 * autoRollbackEnabled) and note the alarm on the release, so its outcome names it.
 */
export async function onAlarmStateChange(
  event: AlarmStateChange,
  ports: AlarmEventsPorts,
): Promise<AlarmEventOutcome> {
  const alarm = event.detail?.alarmName ?? '';
  if (event.detail?.state?.value !== 'ALARM') return { action: 'ignored', why: 'not an ALARM state' };
  const parsed = parseServiceAlarmName(alarm);
  if (!parsed) return { action: 'ignored', why: `${alarm} is not a Sluice service alarm` };
  const state = await ports.ledger.getServiceState(parsed.service);
  const holder = state?.lockHolder;
  if (!holder)
    return { action: 'ignored', why: `${parsed.service} has no production deployment in progress` };
  const release = await ports.ledger.getRelease(holder);
  const deploymentId = release?.deploymentId;
  if (!release || !deploymentId || release.status !== 'running' || deploymentId === 'none') {
    return { action: 'ignored', why: `${holder} has no running deployment` };
  }
  if (release.rollback) return { action: 'ignored', why: `${holder} is a rollback; alarms do not stop it` };
  const description = await ports.deployTarget.describeDeployment(deploymentId);
  if (description.status !== 'InProgress') return { action: 'ignored', why: `${deploymentId} already ended` };
  await ports.ledger.updateRelease(holder, { stoppedByAlarm: alarm });
  const reason = `Alarm ${alarm} fired${event.detail.state.reason ? `: ${event.detail.state.reason}` : ''}`;
  await ports.deployTarget.stopDeployment(deploymentId, reason);
  return { action: 'stopped', releaseId: holder, deploymentId, alarm };
}
