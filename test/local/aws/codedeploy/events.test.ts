import { describe, expect, it } from 'vitest';
import { newDeploymentId } from '../../../../local/aws/codedeploy/deployment';
import { codeDeployStateChange } from '../../../../local/aws/codedeploy/events';

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
