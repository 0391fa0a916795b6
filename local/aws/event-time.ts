/** EventBridge's `time` field: ISO 8601 without milliseconds. */
export function eventTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
