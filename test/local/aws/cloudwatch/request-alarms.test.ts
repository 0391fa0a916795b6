import { describe, expect, it } from 'vitest';
import {
  ALARM_MIN_REQUESTS,
  alarmWindow,
  codeDeployStateChange,
  evaluateAlarms,
  newDeploymentId,
  percentile,
  type RequestSample,
} from '../../../../local/deploy-target';

const alarms = { errorRatePercent: 5, p99LatencyMs: 200 };
const NOW = 1_000_000;

function samples(
  count: number,
  shape: (i: number) => Partial<RequestSample> = () => ({}),
  spacingMs = 10,
): RequestSample[] {
  return Array.from({ length: count }, (_, i) => ({
    at: NOW - (count - 1 - i) * spacingMs,
    startedAt: NOW - (count - 1 - i) * spacingMs - 5,
    version: '2',
    status: 200,
    latencyMs: 5,
    invoked: true,
    functionError: false,
    durationMs: 5,
    failed: false,
    ...shape(i),
  }));
}

describe('percentile', () => {
  it('is nearest-rank', () => {
    expect(percentile([], 99)).toBe(0);
    expect(percentile([7], 99)).toBe(7);
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile([1, 2, 3, 1000], 99)).toBe(1000);
  });
});

describe('alarmWindow', () => {
  it('keeps the requests of the last period', () => {
    const all = samples(50, () => ({}), 100); // 5 s of requests
    expect(alarmWindow(all, { now: NOW, periodMs: 1000 }).length).toBe(11);
  });

  it('reaches back to the minimum number of requests when the period holds fewer', () => {
    const all = samples(30, () => ({}), 1000);
    expect(alarmWindow(all, { now: NOW, periodMs: 1000 }).length).toBe(ALARM_MIN_REQUESTS);
    expect(alarmWindow(all.slice(0, 3), { now: NOW, periodMs: 1000 }).length).toBe(3);
  });
});

describe('evaluateAlarms', () => {
  const window = { now: NOW, periodMs: 60_000 };

  it('stays quiet with too few requests, even if they all fail', () => {
    expect(
      evaluateAlarms(
        'checkout',
        samples(ALARM_MIN_REQUESTS - 1, () => ({ failed: true, status: 502 })),
        alarms,
        window,
      ),
    ).toBeUndefined();
    expect(
      evaluateAlarms(
        'checkout',
        samples(2, (i) => ({ failed: i === 1 })),
        alarms,
        window,
      ),
    ).toBeUndefined();
  });

  it('stays quiet while the error rate and p99 are within their thresholds', () => {
    // 1 of 40 is 2.5% (threshold 5%); the one slow request is below p99 in 200 requests.
    expect(
      evaluateAlarms(
        'checkout',
        samples(40, (i) => ({ failed: i === 3 })),
        alarms,
        window,
      ),
    ).toBeUndefined();
    expect(
      evaluateAlarms(
        'checkout',
        samples(200, (i) => ({ latencyMs: i === 7 ? 5000 : 20 })),
        alarms,
        window,
      ),
    ).toBeUndefined();
  });

  it('fires the error-rate alarm with the measured figure', () => {
    const breach = evaluateAlarms(
      'checkout',
      samples(48, (i) => ({ failed: i % 3 === 0 })),
      alarms,
      window,
    );
    expect(breach).toMatchObject({
      alarm: 'sluice-checkout-error-rate',
      metric: 'error-rate',
      requests: 48,
      threshold: 5,
    });
    expect(breach?.reason).toBe(
      'Alarm sluice-checkout-error-rate fired: 33.3% of 48 requests failed (threshold 5%)',
    );
  });

  it('fires the p99 latency alarm with the measured figure', () => {
    const breach = evaluateAlarms(
      'checkout',
      samples(20, (i) => ({ latencyMs: i < 10 ? 10 : 312 })),
      alarms,
      window,
    );
    expect(breach).toMatchObject({
      alarm: 'sluice-checkout-p99-latency',
      metric: 'p99-latency',
      value: 312,
      requests: 20,
    });
    expect(breach?.reason).toBe(
      'Alarm sluice-checkout-p99-latency fired: p99 latency 312 ms over 20 requests (threshold 200 ms)',
    );
  });

  it('forgets failures older than the window', () => {
    const old = samples(20, () => ({ failed: true }), 10).map((s) => ({ ...s, at: s.at - 120_000 }));
    const recent = samples(20);
    expect(evaluateAlarms('checkout', [...old, ...recent], alarms, window)).toBeUndefined();
  });
});

describe('deployment ids and events', () => {
  it('makes CodeDeploy-shaped ids', () => {
    const ids = new Set(Array.from({ length: 50 }, newDeploymentId));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^d-[A-Z0-9]{9}$/);
  });

  it('shapes state changes like EventBridge delivers them', () => {
    const event = codeDeployStateChange(
      'checkout',
      'd-ABCDEFGHI',
      'FAILURE',
      new Date('2026-01-02T03:04:05.678Z'),
    );
    expect(event).toMatchObject({
      version: '0',
      'detail-type': 'CodeDeploy Deployment State-change Notification',
      source: 'aws.codedeploy',
      account: '000000000000',
      time: '2026-01-02T03:04:05Z',
      region: 'local',
      resources: [],
      detail: {
        region: 'local',
        deploymentId: 'd-ABCDEFGHI',
        deploymentGroup: 'sluice-checkout',
        application: 'sluice-checkout',
        state: 'FAILURE',
      },
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.detail.instanceGroupId).toBe(
      codeDeployStateChange('checkout', 'd-X', 'START', new Date()).detail.instanceGroupId,
    );
  });
});
