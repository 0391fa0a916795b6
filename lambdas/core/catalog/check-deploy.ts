/** The catalog's `deploy` block: strategy, alarms (business metrics included), and canary traffic. */

import { checkTraffic } from './check-smoke';
import { type Checker, childPath, isObject } from './checker';
import { CATALOG_DEFAULTS } from './constants';
import {
  ALARM_DIRECTIONS,
  type AlarmConfig,
  type BusinessAlarmConfig,
  DEPLOY_STRATEGIES,
  type DeployConfig,
  type DeployStrategy,
  METRIC_STATISTICS,
} from './types';

const DEPLOY_KEYS = ['strategy', 'alarms', 'traffic'] as const;
const ALARM_KEYS = ['errorRatePercent', 'p99LatencyMs', 'business'] as const;
const BUSINESS_KEYS = [
  'namespace',
  'metricName',
  'dimensions',
  'statistic',
  'threshold',
  'direction',
  'periods',
  'versionDimension',
] as const;
/** CloudWatch namespaces: no leading colon, not AWS/ (those are AWS's own), 1-255 characters. */
const METRIC_NAMESPACE = /^(?!AWS\/)[A-Za-z0-9./#:_-][A-Za-z0-9./#:_ -]{0,254}$/;
const METRIC_NAME = /^[^\s:][^:]{0,254}$/;
const METRIC_DIMENSION = /^[^\s:][^\s]{0,254}$/;

export function checkDeploy(c: Checker, value: unknown, path: string): DeployConfig {
  const o = c.object(value, path, DEPLOY_KEYS, undefined) ?? {};
  let strategy: DeployStrategy = CATALOG_DEFAULTS.deploy.strategy;
  const raw = o.strategy;
  const prefixed = typeof raw === 'string' ? /^CodeDeployDefault\.Lambda(.+)$/.exec(raw)?.[1] : undefined;
  if (prefixed !== undefined && (DEPLOY_STRATEGIES as readonly string[]).includes(prefixed)) {
    c.add(childPath(path, 'strategy'), raw, `drop the CodeDeployDefault.Lambda prefix: use "${prefixed}"`);
  } else {
    strategy = c.oneOf(o, 'strategy', path, DEPLOY_STRATEGIES, CATALOG_DEFAULTS.deploy.strategy);
  }
  const alarmsPath = childPath(path, 'alarms');
  const a = c.object(o.alarms, alarmsPath, ALARM_KEYS, undefined) ?? {};
  const alarms: AlarmConfig = {
    errorRatePercent: c.number(a, 'errorRatePercent', alarmsPath, {
      default: CATALOG_DEFAULTS.deploy.alarms.errorRatePercent,
      accept: (n) => n > 0 && n <= 100,
      fix: 'use a percentage greater than 0 and at most 100, e.g. 5',
    }),
    p99LatencyMs: c.number(a, 'p99LatencyMs', alarmsPath, {
      default: CATALOG_DEFAULTS.deploy.alarms.p99LatencyMs,
      accept: (n) => n > 0,
      fix: 'use a number of milliseconds greater than 0, e.g. 1000',
    }),
  };
  const business = checkBusinessAlarm(c, a.business, childPath(alarmsPath, 'business'));
  const traffic = checkTraffic(c, o.traffic, childPath(path, 'traffic'));
  return {
    strategy,
    alarms: business ? { ...alarms, business } : alarms,
    ...(traffic ? { traffic } : {}),
  };
}

function checkBusinessAlarm(c: Checker, value: unknown, path: string): BusinessAlarmConfig | undefined {
  if (value === undefined) return undefined;
  const o = c.object(value, path, BUSINESS_KEYS, undefined);
  if (!o) return undefined;
  const namespace = c.string(o, 'namespace', path, {
    missingFix: 'add the CloudWatch namespace the service emits the metric in, e.g. "Checkout"',
    problem: (ns) =>
      METRIC_NAMESPACE.test(ns)
        ? undefined
        : 'use your own namespace (1-255 letters, digits, . / # : _ - or spaces; not AWS/…), e.g. "Checkout"',
  });
  const metricName = c.string(o, 'metricName', path, {
    missingFix: 'add the name of the metric the service emits, e.g. "OrdersCompleted"',
    problem: (name) => (METRIC_NAME.test(name) ? undefined : 'use 1-255 characters without ":"'),
  });
  const dimensions: Record<string, string> = {};
  const dimensionsPath = childPath(path, 'dimensions');
  if (o.dimensions !== undefined) {
    if (!isObject(o.dimensions)) {
      c.add(
        dimensionsPath,
        o.dimensions,
        'use an object of dimension name to value, e.g. { "Service": "checkout" }',
      );
    } else {
      for (const [key, dim] of Object.entries(o.dimensions)) {
        if (typeof dim !== 'string' || dim === '') {
          c.add(childPath(dimensionsPath, key), dim, 'use a non-empty string value');
        } else dimensions[key] = dim;
      }
    }
  }
  const statistic = c.oneOf(o, 'statistic', path, METRIC_STATISTICS, 'Sum');
  const direction = c.oneOf(
    o,
    'direction',
    path,
    ALARM_DIRECTIONS,
    undefined,
    'add "direction": "below" (alarm when the metric drops under the threshold) or "above"',
  );
  const threshold = c.number(o, 'threshold', path, {
    default: Number.NaN,
    accept: () => true,
    fix: 'use a number, e.g. 1',
  });
  if (o.threshold === undefined)
    c.add(childPath(path, 'threshold'), undefined, 'add the threshold, a number');
  const periods = c.number(o, 'periods', path, {
    default: 1,
    integer: true,
    accept: (n) => n >= 1 && n <= 60,
    fix: 'use a whole number of one-minute periods from 1 to 60',
  });
  let versionDimension: string | undefined;
  if (o.versionDimension !== undefined) {
    versionDimension = c.string(o, 'versionDimension', path, {
      problem: (name) =>
        !METRIC_DIMENSION.test(name)
          ? 'use a dimension name of 1-255 characters without ":" at the start, e.g. "Version"'
          : name in dimensions
            ? `remove "${name}" from dimensions: Sluice sets it to the version being judged`
            : undefined,
    });
  }
  return {
    namespace,
    metricName,
    dimensions,
    statistic,
    threshold,
    direction,
    periods,
    ...(versionDimension !== undefined ? { versionDimension } : {}),
  };
}
