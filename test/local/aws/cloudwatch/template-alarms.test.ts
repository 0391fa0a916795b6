/**
 * The alarms the local CloudWatch evaluates come from the synthesized service stacks, intrinsics resolved from the
 * template: the same definitions `cdk deploy` creates.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalogFile } from '../../../../lambdas/core/catalog/load';
import { UNRELEASED_VERSION } from '../../../../lambdas/core/service-alarms';
import { alarmDefinition } from '../../../../local/aws/cloudwatch/alarm-definition';
import {
  TemplateResolutionError,
  templateAlarms,
  templateDeploymentGroups,
} from '../../../../local/aws/cloudwatch/template-alarms';
import type { CfnTemplate } from '../../../../local/definition';
import { synthServiceTemplates } from '../../../../local/synth';

let checkout: CfnTemplate;

beforeAll(() => {
  const loaded = loadCatalogFile(join(__dirname, '..', '..', '..', '..', 'sluice.catalog.json'));
  if (!loaded.ok) throw new Error('the example catalog is invalid');
  checkout = synthServiceTemplates(loaded.catalog).get('checkout') as CfnTemplate;
}, 60_000);

describe('alarms from a service template', () => {
  it("reads every canary alarm the template creates (its custom resource's definition), judging no version yet", () => {
    const alarms = templateAlarms(checkout);
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual([
      'sluice-checkout-business',
      'sluice-checkout-error-rate',
      'sluice-checkout-p99-latency',
    ]);
    const definitions = alarms.map(alarmDefinition);
    const errorRate = definitions.find((d) => d.name === 'sluice-checkout-error-rate');
    expect(errorRate?.queries).toContainEqual(
      expect.objectContaining({
        id: 'errors',
        metric: {
          namespace: 'AWS/Lambda',
          metricName: 'Errors',
          dimensions: {
            FunctionName: 'sluice-checkout',
            Resource: 'sluice-checkout:live',
            ExecutedVersion: UNRELEASED_VERSION,
          },
        },
      }),
    );
    expect(definitions.find((d) => d.name === 'sluice-checkout-p99-latency')?.queries[0]).toMatchObject({
      stat: 'p99',
    });
  });

  it('reads the deployment group and the alarms CodeDeploy polls', () => {
    expect(templateDeploymentGroups(checkout)).toEqual([
      {
        name: 'sluice-checkout',
        application: 'sluice-checkout',
        alarms: ['sluice-checkout-error-rate', 'sluice-checkout-p99-latency', 'sluice-checkout-business'],
      },
    ]);
  });

  it('refuses an intrinsic it cannot resolve from the template, naming the resource', () => {
    const template: CfnTemplate = {
      Resources: {
        Odd: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: { AlarmName: { 'Fn::ImportValue': 'elsewhere' } },
        },
      },
    };
    expect(() => templateAlarms(template)).toThrow(TemplateResolutionError);
    expect(() => templateAlarms(template)).toThrow(/Odd: cannot resolve Fn::ImportValue/);
  });
});
