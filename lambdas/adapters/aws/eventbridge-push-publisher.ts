import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { TransientError } from '../../core/errors';
import type { PushPublisher } from '../../core/ports';
import { type PushEvent, pushEventEntry } from '../../core/push-routing';
import { mapAwsError } from './errors';

/** Puts a normalized push event on the Sluice event bus, where a rule hands it to the router. */
export class EventBridgePushPublisher implements PushPublisher {
  constructor(
    private readonly eventBridge: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  async publish(push: PushEvent): Promise<void> {
    let failed: { code?: string; message?: string } | undefined;
    try {
      const out = await this.eventBridge.send(
        new PutEventsCommand({
          Entries: [{ EventBusName: this.eventBusName, ...pushEventEntry(push) }],
        }),
      );
      if ((out.FailedEntryCount ?? 0) > 0) {
        const entry = out.Entries?.[0];
        failed = { code: entry?.ErrorCode, message: entry?.ErrorMessage };
      }
    } catch (error) {
      throw mapAwsError(error, `EventBridge PutEvents on ${this.eventBusName}`, () => undefined);
    }
    if (failed) {
      throw new TransientError(
        `EventBridge refused the push event for ${push.repository}@${push.after.slice(0, 12)} ` +
          `(${failed.code ?? 'unknown'}: ${failed.message ?? 'no message'}); GitHub shows the delivery as failed, redeliver it.`,
      );
    }
  }
}
