/**
 * The grants for dependency installs (Build's, and Test's before npm test): the npmrc secrets the catalog names, by
 * name, and nothing else.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { npmrcSecretsOf } from '../../lib/dependency-grants';
import { SluicePipelineStack } from '../../lib/pipeline-stack';
import { type CfnResource, nagFindings, propsOf, resourcesOf, service, testApp } from './fixtures';

const catalog = {
  version: 1 as const,
  services: [
    service('api', { dependencies: { npmrcSecret: 'team/npmrc' } }),
    service('web', { dependencies: { npmrcSecret: 'team/npmrc', allowInstallScripts: ['esbuild'] } }),
    service('plain'),
  ],
};

describe('dependency install grants', () => {
  const stack = new SluicePipelineStack(testApp(), 'SluicePipeline', { catalog });
  const template = Template.fromStack(stack);

  it('lets Build and Test read each npmrc secret the catalog names (once each), by name, and no other secret that way', () => {
    expect(npmrcSecretsOf(catalog)).toEqual(['team/npmrc']);
    const statements = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).flatMap(
      (p) =>
        (propsOf(p as CfnResource).PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] })
          .Statement,
    );
    const npmrc = statements.filter((s) => JSON.stringify(s.Resource).includes('secret:team/npmrc-??????'));
    expect(npmrc).toHaveLength(2);
    expect(npmrc.map((s) => s.Action)).toEqual([
      'secretsmanager:GetSecretValue',
      'secretsmanager:GetSecretValue',
    ]);
    const holders = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(propsOf(p as CfnResource).PolicyDocument).includes('secret:team/npmrc-'),
    );
    expect(holders.map((p) => JSON.stringify(propsOf(p as CfnResource).Roles))).toEqual([
      expect.stringContaining('BuildServiceRole'),
      expect.stringContaining('TestServiceRole'),
    ]);
  });

  it('passes cdk-nag with the wildcard acknowledged', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});
