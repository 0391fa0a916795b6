import { CfnElement, type Stack } from 'aws-cdk-lib';

/** The private parts of CfnElement this reads: an override already set (e.g. a function version's), or a lock. */
interface CfnElementInternals {
  readonly _logicalIdOverride?: string;
  readonly _logicalIdLocked?: boolean;
}

/**
 * Computes the logical ID of each CloudFormation element in `stack` once and pins it with `overrideLogicalId`,
 * to the very ID CDK would give it (`stack.getLogicalId`: the path hash, any rename, the duplicate check).
 * CDK's `logicalId` is an uncached lazy value: without this, every Ref, GetAtt, dependency and metadata entry
 * naming an element recomputes its ID (path, hash, rename, check) in both synth passes, about a tenth of
 * each service stack's synth time. Call it when the stack's elements and renames are complete: an element
 * added later gets its ID as usual, and a later `renameLogicalId` on the stack throws LogicalIdsPinnedError
 * (CDK would otherwise count it as applied and drop it). Elements that already have an override or a locked
 * ID are left alone.
 */
export function pinLogicalIds(stack: Stack): void {
  for (const construct of stack.node.findAll()) {
    if (!CfnElement.isCfnElement(construct) || construct.stack !== stack) continue;
    const internals = construct as unknown as CfnElementInternals;
    if (internals._logicalIdOverride !== undefined || internals._logicalIdLocked) continue;
    construct.overrideLogicalId(stack.getLogicalId(construct));
  }
  stack.renameLogicalId = (oldId: string) => {
    throw new LogicalIdsPinnedError(stack.node.path, oldId);
  };
}

/** A rename asked for after the stack's logical IDs were pinned: it could no longer take effect. */
export class LogicalIdsPinnedError extends Error {
  constructor(stackPath: string, oldId: string) {
    super(
      `Cannot rename logical ID ${oldId} in ${stackPath}: its logical IDs are pinned (pinLogicalIds); ` +
        'rename before pinning.',
    );
    this.name = 'LogicalIdsPinnedError';
  }
}
