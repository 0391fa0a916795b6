import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { TestsFailedError } from '../../core/errors';
import type { CollectedFiles, SandboxRequest, SandboxResult, TestSandbox } from '../../core/ports';
import { MissingResourceError, mapAwsError } from './errors';

/**
 * The sandbox in AWS: the test-runner function, invoked synchronously with the whole request in the payload (no
 * artifact URL to hand out, no bucket grant for either side). The Test handler keeps its own credentials; the
 * runner's role may only write its own logs.
 */
export class LambdaTestSandbox implements TestSandbox {
  constructor(
    private readonly lambda: LambdaClient,
    /** ARN of the test-runner function. */
    private readonly functionArn: string,
  ) {}

  async run(request: SandboxRequest): Promise<SandboxResult> {
    let out: { Payload?: Uint8Array; FunctionError?: string };
    try {
      out = await this.lambda.send(
        new InvokeCommand({
          FunctionName: this.functionArn,
          Payload: new TextEncoder().encode(JSON.stringify(request)),
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `Lambda Invoke ${this.functionArn}`, (name) =>
        name === 'ResourceNotFoundException'
          ? new MissingResourceError(
              `The test runner function ${this.functionArn} does not exist; deploy the Sluice pipeline stack.`,
            )
          : undefined,
      );
    }
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError) {
      // The runner itself failed (out of memory, out of time, a refused request): the tests did not pass.
      throw new TestsFailedError(`The test runner failed (${out.FunctionError}): ${text.slice(0, 1500)}`);
    }
    return parseResult(text);
  }
}

function parseResult(text: string): SandboxResult {
  let value: Partial<Record<keyof SandboxResult, unknown>>;
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    value = {};
  }
  const { exitCode, timedOut, output, collected } = value;
  if (
    (exitCode !== null && typeof exitCode !== 'number') ||
    typeof timedOut !== 'boolean' ||
    typeof output !== 'string'
  ) {
    throw new TestsFailedError(
      `The test runner answered something else than a result: ${text.slice(0, 500)}`,
    );
  }
  return { exitCode, timedOut, output, ...(isCollected(collected) && { collected }) };
}

function isCollected(value: unknown): value is CollectedFiles {
  const v = value as Partial<CollectedFiles> | undefined;
  return typeof v?.bytes === 'number' && (v.zip === undefined || typeof v.zip === 'string');
}
