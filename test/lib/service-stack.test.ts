import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SluiceServiceStack } from '../../lib/service-stack';
import { nagFindings, service, testApp } from './fixtures';

describe('SluiceServiceStack', () => {
  const stack = new SluiceServiceStack(testApp(), 'SluiceService-hello', {
    service: service('hello', { mode: 'delivery', deploy: { strategy: 'AllAtOnce' } }),
  });
  const template = Template.fromStack(stack);

  it('hosts one service: function, alias, application, deployment group, two alarms', () => {
    // The service's function only: the pipeline stack's provider creates its alarms.
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'sluice-hello' });
    template.resourceCountIs('AWS::Lambda::Alias', 1);
    template.resourceCountIs('AWS::CodeDeploy::Application', 1);
    template.resourceCountIs('AWS::CodeDeploy::DeploymentGroup', 1);
    template.resourceCountIs('Custom::SluiceServiceAlarm', 2);
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce',
    });
  });

  it('outputs the function and deployment group names and the live alias URL', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(['DeploymentGroupName', 'FunctionName', 'FunctionUrl']);
    const [url] = Object.keys(template.findResources('AWS::Lambda::Url'));
    expect(outputs.FunctionUrl?.Value).toEqual({ 'Fn::GetAtt': [url, 'FunctionUrl'] });
  });

  it('has no unacknowledged cdk-nag AwsSolutions findings', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});
