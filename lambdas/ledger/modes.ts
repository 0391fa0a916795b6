/**
 * An `auto` service's mode in the ledger: `SERVICE#<svc>` / `MODE`, kept apart from the service's state
 * (which Record rewrites), and every switch with its evidence (`MODESWITCH#<at>#<release>`).
 */
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { ReleaseMode } from '../core/catalog/types';
import { LedgerConflictError } from './errors';
import { itemsUnder, type LedgerTableRef, stripKeys } from './table';

/** The mode an `auto` service runs in now, and why. */
export interface ServiceMode {
  readonly service: string;
  readonly mode: ReleaseMode;
  /** ISO 8601: when it switched to this mode. */
  readonly since: string;
  readonly reason: string;
  /** The release whose end triggered the switch. */
  readonly releaseId: string;
}

/** One switch of an `auto` service's mode, with the evidence it rested on. */
export interface ModeSwitch extends ServiceMode {
  readonly from: ReleaseMode;
  /** The readiness assessment (JSON) the switch rested on. */
  readonly evidence: unknown;
}

const modeKey = (service: string) => ({ PK: `SERVICE#${service}`, SK: 'MODE' });

export class ServiceModeItems {
  constructor(private readonly table: LedgerTableRef) {}

  async get(service: string): Promise<ServiceMode | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: modeKey(service), ConsistentRead: true }),
    );
    return Item ? stripKeys<ServiceMode>(Item) : undefined;
  }

  /**
   * Switches an `auto` service's mode and keeps the switch with its evidence, in one transaction that
   * holds only while the mode is still `from` (a retried Record cannot switch twice).
   */
  async switch(change: ModeSwitch): Promise<void> {
    const current: ServiceMode = {
      service: change.service,
      mode: change.mode,
      since: change.since,
      reason: change.reason,
      releaseId: change.releaseId,
    };
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table.tableName,
                Item: { ...modeKey(change.service), ...current },
                ConditionExpression: 'attribute_not_exists(PK) OR #mode = :from',
                ExpressionAttributeNames: { '#mode': 'mode' },
                ExpressionAttributeValues: { ':from': change.from },
              },
            },
            {
              Put: {
                TableName: this.table.tableName,
                Item: {
                  PK: `SERVICE#${change.service}`,
                  SK: `MODESWITCH#${change.since}#${change.releaseId}`,
                  ...change,
                },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          ],
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'TransactionCanceledException') {
        throw new LedgerConflictError(`The mode of ${change.service} is no longer ${change.from}`);
      }
      throw error;
    }
  }

  /** Every mode switch of `service`, newest first. */
  async listSwitches(service: string): Promise<ModeSwitch[]> {
    return itemsUnder<ModeSwitch>(this.table, `SERVICE#${service}`, 'MODESWITCH#', 'newest-first');
  }
}
