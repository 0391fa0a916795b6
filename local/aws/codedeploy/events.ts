/**
 * The EventBridge event CodeDeploy sends when a deployment changes state. The local CodeDeploy emits the same
 * shape, so the deployment-events Lambda handler runs unchanged on it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { serviceResourceName } from '../../../lambdas/core/catalog/types';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../definition';
import { eventTime } from '../event-time';

export type CodeDeployState = 'START' | 'SUCCESS' | 'FAILURE' | 'STOP';

export interface CodeDeployStateChangeDetail {
  readonly region: string;
  readonly deploymentId: string;
  readonly instanceGroupId: string;
  readonly deploymentGroup: string;
  readonly application: string;
  readonly state: CodeDeployState;
}

export interface CodeDeployStateChangeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'CodeDeploy Deployment State-change Notification';
  readonly source: 'aws.codedeploy';
  readonly account: string;
  /** ISO 8601 without milliseconds, as EventBridge writes it. */
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: CodeDeployStateChangeDetail;
}

/** A stable, UUID-shaped deployment group id per service (CodeDeploy's is a UUID fixed at creation). */
function instanceGroupId(service: string): string {
  const hex = createHash('sha256').update(`deployment-group/${service}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function codeDeployStateChange(
  service: string,
  deploymentId: string,
  state: CodeDeployState,
  at: Date,
): CodeDeployStateChangeEvent {
  const name = serviceResourceName(service);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'CodeDeploy Deployment State-change Notification',
    source: 'aws.codedeploy',
    account: LOCAL_ACCOUNT,
    time: eventTime(at),
    region: LOCAL_REGION,
    resources: [],
    detail: {
      region: LOCAL_REGION,
      deploymentId,
      instanceGroupId: instanceGroupId(service),
      deploymentGroup: name,
      application: name,
      state,
    },
  };
}
