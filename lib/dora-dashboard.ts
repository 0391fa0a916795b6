import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { ReleaseMode } from '../lambdas/core/catalog/types';
import { DORA_DIMENSIONS, DORA_METRICS, DORA_NAMESPACE } from '../lambdas/core/release-metrics';

const MODES: readonly ReleaseMode[] = ['delivery', 'deployment'];

export interface DoraMetricFactoryProps {
  /**
   * Period of every metric: DORA metrics speak in days.
   * @default Duration.days(1)
   */
  readonly period?: Duration;
}

/**
 * The DORA metrics the Record handler publishes (lambdas/core/release-metrics.ts), defined apart from the
 * dashboard that shows them. Per-mode metrics name the `Mode` dimension; per-service graphs use SEARCH
 * expressions so the dashboard stays one size for 1 or 1,000 services.
 */
export class DoraMetricFactory {
  readonly period: Duration;

  constructor(props: DoraMetricFactoryProps = {}) {
    this.period = props.period ?? Duration.days(1);
  }

  private byMode(name: string, mode: ReleaseMode, statistic: string, label: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: DORA_NAMESPACE,
      metricName: name,
      dimensionsMap: { [DORA_DIMENSIONS.mode]: mode },
      statistic,
      period: this.period,
      label,
    });
  }

  metricDeployments(mode: ReleaseMode): cloudwatch.Metric {
    return this.byMode(DORA_METRICS.deployments, mode, cloudwatch.Stats.SUM, `${mode}: deployments`);
  }

  metricLeadTimeMedian(mode: ReleaseMode): cloudwatch.Metric {
    return this.byMode(DORA_METRICS.leadTime, mode, cloudwatch.Stats.p(50), `${mode}: lead time p50 (s)`);
  }

  metricApprovalWaitMedian(): cloudwatch.Metric {
    return this.byMode(
      DORA_METRICS.approvalWait,
      'delivery',
      cloudwatch.Stats.p(50),
      'delivery: approval wait p50 (s)',
    );
  }

  /** Rolled-back production releases as a percentage of production releases. */
  metricChangeFailureRatePercent(mode: ReleaseMode): cloudwatch.IMetric {
    return new cloudwatch.MathExpression({
      // Ids are per graph: one per mode, so both modes fit on one graph.
      expression: `100 * failed_${mode} / production_${mode}`,
      usingMetrics: {
        [`failed_${mode}`]: this.byMode(
          DORA_METRICS.failedProductionReleases,
          mode,
          cloudwatch.Stats.SUM,
          'failed',
        ),
        [`production_${mode}`]: this.byMode(
          DORA_METRICS.productionReleases,
          mode,
          cloudwatch.Stats.SUM,
          'production',
        ),
      },
      label: `${mode}: change failure rate (%)`,
      period: this.period,
    });
  }

  metricTimeToRestoreMedian(mode: ReleaseMode): cloudwatch.Metric {
    return this.byMode(
      DORA_METRICS.timeToRestore,
      mode,
      cloudwatch.Stats.p(50),
      `${mode}: time to restore p50 (s)`,
    );
  }

  /** Share of delivery releases where the person's decision matched the shadow verdict. */
  metricShadowAgreementPercent(): cloudwatch.IMetric {
    return new cloudwatch.MathExpression({
      expression: '100 * agreement',
      usingMetrics: {
        agreement: this.byMode(
          DORA_METRICS.shadowAgreement,
          'delivery',
          cloudwatch.Stats.AVERAGE,
          'agreement',
        ),
      },
      label: 'delivery: shadow-verdict agreement (%)',
      period: this.period,
    });
  }

  /** One line per service: a SEARCH over the `Service`+`Mode` dimension set. */
  searchPerService(metricName: string, statistic: string, label: string): cloudwatch.IMetric {
    return new cloudwatch.MathExpression({
      expression: `SEARCH('{${DORA_NAMESPACE},${DORA_DIMENSIONS.mode},${DORA_DIMENSIONS.service}} MetricName="${metricName}"', '${statistic}', ${this.period.toSeconds()})`,
      usingMetrics: {},
      label,
      period: this.period,
    });
  }
}

export interface DoraDashboardProps {
  /**
   * The dashboard's name.
   * @default - CloudFormation generates one
   */
  readonly dashboardName?: string;
  /**
   * How far back the graphs look by default.
   * @default Duration.days(30)
   */
  readonly range?: Duration;
  /**
   * The metric definitions.
   * @default new DoraMetricFactory()
   */
  readonly metrics?: DoraMetricFactory;
}

/** DORA metrics per mode (delivery vs deployment) and per service, graphed over time. */
export class DoraDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DoraDashboardProps = {}) {
    super(scope, id);
    const range = props.range ?? Duration.days(30);
    if (range.toSeconds() < Duration.days(1).toSeconds()) {
      throw new Error(
        `DoraDashboard range must be at least one day (DORA metrics are daily); received ${range.toHumanString()}. Use e.g. Duration.days(30).`,
      );
    }
    const metrics = props.metrics ?? new DoraMetricFactory();
    const graph = (title: string, left: cloudwatch.IMetric[], unit?: string) =>
      new cloudwatch.GraphWidget({
        title,
        left,
        width: 12,
        height: 6,
        ...(unit ? { leftYAxis: { label: unit, min: 0, showUnits: false } } : {}),
      });
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      ...(props.dashboardName ? { dashboardName: props.dashboardName } : {}),
      start: `-P${Math.round(range.toDays())}D`,
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown:
              '# Sluice: DORA metrics\nDelivery (a person approves) next to deployment (alarms decide). Per-service rows list every service with releases in the range.',
            width: 24,
            height: 2,
          }),
        ],
        [
          graph(
            'Deployment frequency (per day)',
            MODES.map((m) => metrics.metricDeployments(m)),
            'deployments',
          ),
          graph(
            'Lead time for changes, and the approval wait within it',
            [...MODES.map((m) => metrics.metricLeadTimeMedian(m)), metrics.metricApprovalWaitMedian()],
            'seconds',
          ),
        ],
        [
          graph(
            'Change failure rate',
            MODES.map((m) => metrics.metricChangeFailureRatePercent(m)),
            '%',
          ),
          graph(
            'Time to restore',
            MODES.map((m) => metrics.metricTimeToRestoreMedian(m)),
            'seconds',
          ),
        ],
        [
          graph(
            'Deployments per service',
            [metrics.searchPerService(DORA_METRICS.deployments, 'Sum', 'deployments')],
            'deployments',
          ),
          graph(
            'Lead time per service (p50)',
            [metrics.searchPerService(DORA_METRICS.leadTime, 'p50', 'lead time')],
            'seconds',
          ),
        ],
        [
          graph(
            'Rolled-back production releases per service',
            [metrics.searchPerService(DORA_METRICS.failedProductionReleases, 'Sum', 'rolled back')],
            'releases',
          ),
          graph('Shadow-verdict agreement (delivery)', [metrics.metricShadowAgreementPercent()], '%'),
        ],
      ],
    });
  }
}
