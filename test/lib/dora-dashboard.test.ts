import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { describe, expect, it } from 'vitest';
import { DoraDashboard, DoraMetricFactory } from '../../lib/dora-dashboard';
import { testApp } from './fixtures';

/** The dashboard body as CloudFormation renders it, with its tokens joined back into one JSON text. */
function dashboardBody(stack: Stack): { widgets: { properties: Record<string, unknown> }[]; start?: string } {
  const dashboards = Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard');
  const [dashboard] = Object.values(dashboards);
  const body = dashboard?.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'us-east-1')).join('');
  return JSON.parse(text);
}

describe('DoraMetricFactory', () => {
  it('reads the names the Record handler publishes, per mode, per day', () => {
    const metrics = new DoraMetricFactory();
    const deployments = metrics.metricDeployments('deployment');
    expect(deployments.namespace).toBe('Sluice');
    expect(deployments.metricName).toBe('Deployments');
    expect(deployments.dimensions).toEqual({ Mode: 'deployment' });
    expect(deployments.statistic).toBe('Sum');
    expect(deployments.period.toSeconds()).toBe(86_400);
    expect(metrics.metricLeadTimeMedian('delivery').statistic).toBe('p50');
    const cfr = metrics.metricChangeFailureRatePercent('delivery') as cloudwatch.MathExpression;
    expect(cfr.expression).toBe('100 * failed_delivery / production_delivery');
    expect((cfr.usingMetrics.failed_delivery as cloudwatch.Metric).metricName).toBe(
      'FailedProductionReleases',
    );
  });
});

describe('DoraDashboard', () => {
  it('graphs each DORA metric for both modes, and per service through SEARCH', () => {
    const stack = new Stack(testApp(), 'S');
    new DoraDashboard(stack, 'Dora', { dashboardName: 'sluice-dora' });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'sluice-dora',
    });
    const body = dashboardBody(stack);
    expect(body.start).toBe('-P30D');
    const titles = body.widgets.map((w) => w.properties.title).filter(Boolean);
    expect(titles).toEqual([
      'Deployment frequency (per day)',
      'Lead time for changes, and the approval wait within it',
      'Change failure rate',
      'Time to restore',
      'Deployments per service',
      'Lead time per service (p50)',
      'Rolled-back production releases per service',
      'Shadow-verdict agreement (delivery)',
    ]);
    const text = JSON.stringify(body);
    for (const mode of ['delivery', 'deployment']) expect(text).toContain(`"Mode","${mode}"`);
    expect(text).toContain(`SEARCH('{Sluice,Mode,Service} MetricName=\\"Deployments\\"', 'Sum', 86400)`);
    expect(text).toContain('100 * failed_deployment / production_deployment');
  });

  it('is the same size whatever the number of services (no per-service widgets)', () => {
    const stack = new Stack(testApp(), 'S');
    new DoraDashboard(stack, 'Dora');
    expect(dashboardBody(stack).widgets).toHaveLength(9);
  });

  it('refuses a range shorter than a day, naming the value', () => {
    const stack = new Stack(testApp(), 'S');
    expect(() => new DoraDashboard(stack, 'Dora', { range: Duration.hours(6) })).toThrow(
      /range must be at least one day .* received 6 hours/,
    );
  });
});
