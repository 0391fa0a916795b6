import '../local/polyfills';
import { refuseAppsWithoutOutdir } from './support/cdk-outdir';

// Tests never reach AWS: fail fast if an SDK client tries to resolve real credentials.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
// Sluice supports Node 22; on an older machine Node the SDK's notice about it would only interleave with test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
// aws-cdk-lib validates every synthesized template against CloudFormation's schema (warnings only, ~8 s of
// WebAssembly per process). One test keeps it on for the whole app (test/lib/app.test.ts); the others skip it.
process.env.CDK_VALIDATION = 'false';
// A CDK App without an outdir leaves a cdk.out folder in the temp directory: fail the test that makes one.
refuseAppsWithoutOutdir();
