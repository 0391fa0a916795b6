/**
 * AWS's documented sample events, as the pages below print them (only a tag push is derived, and says so).
 * The EventBridge tests match Sluice's synthesized rules against these, not against events Sluice made up.
 */

/** https://docs.aws.amazon.com/codecommit/latest/userguide/monitoring-events.html#referenceCreated */
export const codeCommitReferenceCreated = {
  version: '0',
  id: '01234567-EXAMPLE',
  'detail-type': 'CodeCommit Repository State Change',
  source: 'aws.codecommit',
  account: '123456789012',
  time: '2019-06-12T10:23:43Z',
  region: 'us-east-2',
  resources: ['arn:aws:codecommit:us-east-2:123456789012:MyDemoRepo'],
  detail: {
    event: 'referenceCreated',
    repositoryName: 'MyDemoRepo',
    repositoryId: '12345678-1234-5678-abcd-12345678abcd',
    referenceType: 'branch',
    referenceName: 'myBranch',
    referenceFullName: 'refs/heads/myBranch',
    commitId: '3e5983DESTINATION',
  },
};

/** https://docs.aws.amazon.com/codecommit/latest/userguide/monitoring-events.html#referenceUpdated */
export const codeCommitReferenceUpdated = {
  version: '0',
  id: '01234567-EXAMPLE',
  'detail-type': 'CodeCommit Repository State Change',
  source: 'aws.codecommit',
  account: '123456789012',
  time: '2019-06-12T10:23:43Z',
  region: 'us-east-2',
  resources: ['arn:aws:codecommit:us-east-2:123456789012:MyDemoRepo'],
  detail: {
    event: 'referenceUpdated',
    repositoryName: 'MyDemoRepo',
    repositoryId: '12345678-1234-5678-abcd-12345678abcd',
    referenceType: 'branch',
    referenceName: 'myBranch',
    referenceFullName: 'refs/heads/myBranch',
    commitId: '7f0103fMERGE',
    oldCommitId: '3e5983DESTINATION',
    baseCommitId: '3e5a9bf1BASE',
    sourceCommitId: '26a8f2SOURCE',
    destinationCommitId: '3e5983DESTINATION',
    mergeOption: 'THREE_WAY_MERGE',
    conflictDetailsLevel: 'LINE_LEVEL',
    conflictResolutionStrategy: 'AUTOMERGE',
  },
};

/** https://docs.aws.amazon.com/codecommit/latest/userguide/monitoring-events.html#referenceDeleted */
export const codeCommitReferenceDeleted = {
  version: '0',
  id: '01234567-EXAMPLE',
  'detail-type': 'CodeCommit Repository State Change',
  source: 'aws.codecommit',
  account: '123456789012',
  time: '2019-06-12T10:23:43Z',
  region: 'us-east-2',
  resources: ['arn:aws:codecommit:us-east-2:123456789012:MyDemoRepo'],
  detail: {
    event: 'referenceDeleted',
    repositoryName: 'MyDemoRepo',
    repositoryId: '12345678-1234-5678-abcd-12345678abcd',
    referenceType: 'branch',
    referenceName: 'myBranch',
    referenceFullName: 'refs/heads/myBranch',
    oldCommitId: '26a8f2EXAMPLE',
  },
};

/**
 * A pushed tag. The CodeCommit page prints no tag sample; this is its referenceCreated sample with the fields a tag
 * changes, as the CodeCommit ReferenceEvent reference gives them (referenceType 'tag', referenceFullName
 * 'refs/tags/myTag'): https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_codecommit.ReferenceEvent.html
 */
export const codeCommitTagCreated = {
  ...codeCommitReferenceCreated,
  detail: {
    ...codeCommitReferenceCreated.detail,
    referenceType: 'tag',
    referenceName: 'myTag',
    referenceFullName: 'refs/tags/myTag',
  },
};

/** https://docs.aws.amazon.com/codecommit/latest/userguide/monitoring-events.html#pullRequestCreated (abridged detail) */
export const codeCommitPullRequestCreated = {
  version: '0',
  id: '98377d67-EXAMPLE',
  'detail-type': 'CodeCommit Pull Request State Change',
  source: 'aws.codecommit',
  account: '123456789012',
  time: '2019-02-09T07:15:16Z',
  region: 'us-east-2',
  resources: ['arn:aws:codecommit:us-east-2:123456789012:MyDemoRepo'],
  detail: {
    event: 'pullRequestCreated',
    destinationReference: 'refs/heads/main',
    sourceReference: 'refs/heads/test-branch',
    pullRequestId: '1',
    pullRequestStatus: 'Open',
    repositoryNames: ['MyDemoRepo'],
  },
};

/**
 * CodeDeploy Deployment State-change Notification, from "CloudWatch Events event examples from supported services"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/events/EventTypes.html#acd_event_types; the same events
 * EventBridge receives: https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-codedeploy.html).
 */
export const codeDeployDeploymentSuccess = {
  account: '123456789012',
  region: 'us-east-1',
  'detail-type': 'CodeDeploy Deployment State-change Notification',
  source: 'aws.codedeploy',
  version: '0',
  time: '2016-06-30T22:06:31Z',
  id: 'c071bfbf-83c4-49ca-a6ff-3df053957145',
  resources: [
    'arn:aws:codedeploy:us-east-1:123456789012:application:myApplication',
    'arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:myApplication/myDeploymentGroup',
  ],
  detail: {
    instanceGroupId: '9fd2fbef-2157-40d8-91e7-6845af69e2d2',
    region: 'us-east-1',
    application: 'myApplication',
    deploymentId: 'd-123456789',
    state: 'SUCCESS',
    deploymentGroup: 'myDeploymentGroup',
  },
};

/** CodeDeploy Instance State-change Notification, same page. */
export const codeDeployInstanceSuccess = {
  account: '123456789012',
  region: 'us-east-1',
  'detail-type': 'CodeDeploy Instance State-change Notification',
  source: 'aws.codedeploy',
  version: '0',
  time: '2016-06-30T23:18:50Z',
  id: 'fb1d3015-c091-4bf9-95e2-d98521ab2ecb',
  resources: [
    'arn:aws:ec2:us-east-1:123456789012:instance/i-0000000aaaaaaaaaa',
    'arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:myApplication/myDeploymentGroup',
    'arn:aws:codedeploy:us-east-1:123456789012:application:myApplication',
  ],
  detail: {
    instanceId: 'i-0000000aaaaaaaaaa',
    region: 'us-east-1',
    state: 'SUCCESS',
    application: 'myApplication',
    deploymentId: 'd-123456789',
    instanceGroupId: '8cd3bfa8-9e72-4cbe-a1e5-da4efc7efd49',
    deploymentGroup: 'myDeploymentGroup',
  },
};

/** "State change for a single-metric alarm": https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html */
export const cloudWatchAlarmStateChange = {
  version: '0',
  id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2019-10-02T17:04:40Z',
  region: 'us-east-1',
  resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh'],
  detail: {
    alarmName: 'ServerCpuTooHigh',
    configuration: {
      description: 'Goes into alarm when server CPU utilization is too high!',
      metrics: [
        {
          id: '30b6c6b2-a864-43a2-4877-c09a1afc3b87',
          metricStat: {
            metric: {
              dimensions: { InstanceId: 'i-12345678901234567' },
              name: 'CPUUtilization',
              namespace: 'AWS/EC2',
            },
            period: 300,
            stat: 'Average',
          },
          returnData: true,
        },
      ],
    },
    previousState: {
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [0.0666851903306472 (01/10/19 13:46:00)] was not greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK transition).',
      reasonData:
        '{"version":"1.0","queryDate":"2019-10-01T13:56:40.985+0000","startDate":"2019-10-01T13:46:00.000+0000","statistic":"Average","period":300,"recentDatapoints":[0.0666851903306472],"threshold":50.0}',
      timestamp: '2019-10-01T13:56:40.987+0000',
      value: 'OK',
    },
    state: {
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).',
      reasonData:
        '{"version":"1.0","queryDate":"2019-10-02T17:04:40.985+0000","startDate":"2019-10-02T16:59:00.000+0000","statistic":"Average","period":300,"recentDatapoints":[99.50160229693434],"threshold":50.0}',
      timestamp: '2019-10-02T17:04:40.989+0000',
      value: 'ALARM',
    },
  },
};

/** "State change for a metric math alarm", same page. */
export const cloudWatchMetricMathAlarmStateChange = {
  version: '0',
  id: '2dde0eb1-528b-d2d5-9ca6-6d590caf2329',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2019-10-02T17:20:48Z',
  region: 'us-east-1',
  resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:TotalNetworkTrafficTooHigh'],
  detail: {
    alarmName: 'TotalNetworkTrafficTooHigh',
    configuration: {
      description: 'Goes into alarm if total network traffic exceeds 10Kb',
      metrics: [
        { expression: 'SUM(METRICS())', id: 'e1', label: 'Total Network Traffic', returnData: true },
        {
          id: 'm1',
          metricStat: {
            metric: {
              dimensions: { InstanceId: 'i-12345678901234567' },
              name: 'NetworkIn',
              namespace: 'AWS/EC2',
            },
            period: 300,
            stat: 'Maximum',
          },
          returnData: false,
        },
        {
          id: 'm2',
          metricStat: {
            metric: {
              dimensions: { InstanceId: 'i-12345678901234567' },
              name: 'NetworkOut',
              namespace: 'AWS/EC2',
            },
            period: 300,
            stat: 'Maximum',
          },
          returnData: false,
        },
      ],
    },
    previousState: {
      reason: 'Unchecked: Initial alarm creation',
      timestamp: '2019-10-02T17:20:03.642+0000',
      value: 'INSUFFICIENT_DATA',
    },
    state: {
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [45628.0 (02/10/19 17:10:00)] was greater than the threshold (10000.0) (minimum 1 datapoint for OK -> ALARM transition).',
      reasonData:
        '{"version":"1.0","queryDate":"2019-10-02T17:20:48.551+0000","startDate":"2019-10-02T17:10:00.000+0000","period":300,"recentDatapoints":[45628.0],"threshold":10000.0}',
      timestamp: '2019-10-02T17:20:48.554+0000',
      value: 'ALARM',
    },
  },
};

/** The EC2 event of EventBridge's "input transformation" page: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html */
export const ec2InstanceStateChange = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING' },
};

/** The event of EventBridge's "null values and empty strings" page: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html */
export const autoScalingLaunch = {
  version: '0',
  id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
  'detail-type': 'EC2 Instance Launch Successful',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: '2015-11-11T21:31:47Z',
  region: 'us-east-1',
  resources: [],
  detail: { eventVersion: '', responseElements: null },
};

/**
 * Step Functions' "Execution Aborted" example: https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
 * (the detail holds what DescribeExecution returns; status is RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED).
 */
export const stepFunctionsExecutionAborted = {
  version: '0',
  id: '315c1398-40ff-a850-213b-158f73e60175',
  'detail-type': 'Step Functions Execution Status Change',
  source: 'aws.states',
  account: '012345678912',
  time: '2019-02-26T19:42:21Z',
  region: 'us-east-1',
  resources: ['arn:aws:states:us-east-1:012345678912:execution:state-machine-name:execution-name'],
  detail: {
    executionArn: 'arn:aws:states:us-east-1:012345678912:execution:state-machine-name:execution-name',
    stateMachineArn: 'arn:aws:states:us-east-1:012345678912:stateMachine:state-machine',
    name: 'execution-name',
    status: 'ABORTED',
    startDate: 1551225014968,
    stopDate: 1551225017576,
    input: '{}',
    inputDetails: { included: true },
    output: null,
    outputDetails: null,
  },
};
