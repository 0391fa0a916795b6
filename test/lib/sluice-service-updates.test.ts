/**
 * A stack update must never ship code: CloudFormation publishes a Lambda version when the AWS::Lambda::Version
 * resource is new or replaced, and moves `live` when the alias's FunctionVersion changes. `$LATEST` holds
 * whatever Stage uploaded last (perhaps a rejected or rolled-back release), so each catalog or construct field a
 * service stack is redeployed for must leave both exactly as they were.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../lambdas/core/catalog/types';
import { SluiceService, type SluiceServiceProps } from '../../lib/sluice-service';
import { type CfnResource, resourcesOf, service, testApp } from './fixtures';

function synth(config: ServiceConfig, props: Partial<SluiceServiceProps> = {}): Template {
  const stack = new Stack(testApp(), 'Svc');
  new SluiceService(stack, 'Service', { service: config, postTrafficSmoke: true, ...props });
  return Template.fromStack(stack);
}

/** The published versions (logical id → properties) and the version each alias points at. */
function shipped(template: Template) {
  const versions = resourcesOf(template, 'AWS::Lambda::Version');
  const aliases = Object.values(resourcesOf(template, 'AWS::Lambda::Alias')).map(
    (alias: CfnResource) => alias.Properties?.FunctionVersion,
  );
  return { versions, aliases };
}

const base = service('orders', {
  mode: 'deployment',
  deploy: {
    strategy: 'Canary10Percent5Minutes',
    alarms: {
      errorRatePercent: 5,
      p99LatencyMs: 1000,
      business: {
        namespace: 'Orders',
        metricName: 'Placed',
        dimensions: {},
        statistic: 'Sum',
        threshold: 1,
        direction: 'below',
        periods: 1,
      },
    },
  },
});

const changes: ReadonlyArray<{
  readonly field: string;
  readonly config?: ServiceConfig;
  readonly props?: Partial<SluiceServiceProps>;
}> = [
  {
    field: 'mode',
    config: {
      ...base,
      mode: 'delivery',
      approval: { approvers: ['a@example.com'], required: 1, expiresAfterHours: 72, channels: ['email'] },
    },
  },
  {
    field: 'alarms',
    config: {
      ...base,
      deploy: {
        ...base.deploy,
        alarms: { errorRatePercent: 1, p99LatencyMs: 250 },
      },
    },
  },
  {
    field: 'strategy',
    config: { ...base, deploy: { ...base.deploy, strategy: 'Linear10PercentEvery1Minute' } },
  },
  { field: 'memory', props: { memorySize: 1024 } },
  { field: 'timeout', props: { timeout: Duration.seconds(29) } },
  { field: 'environment', props: { environment: { FEATURE: 'on' } } },
  {
    field: 'smoke request',
    config: { ...base, smoke: { method: 'HEAD', path: '/health', expectStatus: 204 } },
  },
];

describe('SluiceService stack updates', () => {
  const before = synth(base);

  it('publishes exactly one version, once: the initial one the live alias starts on', () => {
    const { versions, aliases } = shipped(before);
    expect(Object.keys(versions)).toEqual([expect.stringMatching(/^ServiceInitialVersion/)]);
    expect(aliases).toEqual([{ 'Fn::GetAtt': [Object.keys(versions)[0], 'Version'] }]);
  });

  for (const change of changes) {
    it(`keeps the Version resource and the live alias's version when ${change.field} changes`, () => {
      const after = synth(change.config ?? base, change.props);
      // The change is real: the template differs …
      expect(JSON.stringify(after.toJSON())).not.toEqual(JSON.stringify(before.toJSON()));
      // … yet no version is published or replaced, and live stays where it is.
      expect(shipped(after)).toEqual(shipped(before));
    });
  }
});
