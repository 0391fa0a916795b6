/**
 * Per-handler figures the cost estimates of `sluice status`, the status page and the demo summary rest on:
 * memory from the synthesized template, the median duration and the DynamoDB and CloudWatch requests of one
 * invocation, and the bundle's load time. Measured and written by `npm run bench -- --write-profile`.
 */
import type { HandlerProfile } from './cost';
import profile from './handler-profile.json';

export const HANDLER_PROFILE: HandlerProfile = profile;
