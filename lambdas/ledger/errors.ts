export class ReleaseNotFoundError extends Error {
  override readonly name = 'ReleaseNotFoundError';
}

/** A conditional write lost: the item is not in the state the caller expected (e.g. an approval already decided). */
export class LedgerConflictError extends Error {
  override readonly name = 'LedgerConflictError';
}
