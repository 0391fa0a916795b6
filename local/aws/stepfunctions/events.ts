/**
 * The EventBridge event Step Functions sends when an execution changes status ("Step Functions Execution Status
 * Change", on the default bus). The local runtime emits the same shape when an execution ends, so the
 * execution-events Lambda handler runs unchanged on it.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../lambdas/core/ports';
import {
  EXECUTION_STATUS_CHANGE,
  type ExecutionStatusDetail,
} from '../../../lambdas/execution-events/execution-events';
import type { BusEvent, LocalEventBus } from '../../adapters/local-event-bus';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../definition';
import type { ExecutionEnd } from '../../release-execution';
import { eventTime } from '../event-time';

export interface ExecutionStatusChangeProps {
  readonly stateMachineArn: string;
  /** The execution name. */
  readonly name: string;
  readonly input: unknown;
  readonly startedAt: Date;
  readonly stoppedAt: Date;
  readonly end: ExecutionEnd;
}

/** The execution's ARN: the machine's, with `execution` for `stateMachine` and the execution name appended. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export function executionStatusChange(props: ExecutionStatusChangeProps): BusEvent {
  const executionArn = executionArnOf(props.stateMachineArn, props.name);
  const succeeded = props.end.status === 'SUCCEEDED';
  const detail: ExecutionStatusDetail & Record<string, unknown> = {
    executionArn,
    stateMachineArn: props.stateMachineArn,
    name: props.name,
    status: props.end.status,
    startDate: props.startedAt.getTime(),
    stopDate: props.stoppedAt.getTime(),
    input: JSON.stringify(props.input),
    inputDetails: { included: true },
    output: null,
    outputDetails: succeeded ? { included: true } : null,
    error: props.end.error ?? null,
    cause: props.end.cause ?? null,
  };
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': EXECUTION_STATUS_CHANGE,
    source: 'aws.states',
    account: LOCAL_ACCOUNT,
    time: eventTime(props.stoppedAt),
    region: LOCAL_REGION,
    resources: [executionArn],
    detail,
  };
}

/**
 * Step Functions sends every status change to the default bus; the rules decide who hears it (Sluice's: the
 * abnormal ends). A delivery that failed is logged, as EventBridge would retry it.
 */
export async function emitExecutionEnd(
  bus: Pick<LocalEventBus, 'emit'>,
  props: Omit<ExecutionStatusChangeProps, 'stoppedAt'>,
  clock: Clock,
  log: (line: string) => void,
): Promise<void> {
  const event = executionStatusChange({ ...props, stoppedAt: clock.now() });
  for (const delivery of await bus.emit(event)) {
    if (delivery.error) log(`${props.name}: ${delivery.handler} failed: ${delivery.error.message}`);
  }
}
