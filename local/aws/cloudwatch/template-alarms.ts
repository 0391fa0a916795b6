/**
 * The alarms and deployment groups a synthesized service stack defines, with the intrinsics CloudFormation would
 * resolve at deploy time (a function's name, an alarm's name, Fn::Join) resolved from the template itself.
 */

import { alarmDefinitionsInTemplate } from '../../../lib/canary-alarms';
import { type CfnTemplate, LOCAL_ACCOUNT, LOCAL_REGION } from '../../definition';
import type { MetricAlarmInput } from './alarm-definition';

/** An intrinsic the local runtime cannot resolve from the template alone. */
export class TemplateResolutionError extends Error {
  override readonly name = 'TemplateResolutionError';
}

const PSEUDO: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
};

/** What a Ref to each resource type returns, when the template names it. */
const REF_NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::CodeDeploy::Application': 'ApplicationName',
  'AWS::CodeDeploy::DeploymentGroup': 'DeploymentGroupName',
};

function resolveDeep(value: unknown, template: CfnTemplate, where: string): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveDeep(item, template, where));
  if (typeof value !== 'object' || value === null) return value;
  const node = value as Record<string, unknown>;
  const keys = Object.keys(node);
  if (keys.length === 1 && keys[0] === 'Ref') {
    const ref = node.Ref as string;
    if (PSEUDO[ref]) return PSEUDO[ref];
    const target = template.Resources[ref];
    const property = target ? REF_NAME_PROPERTY[target.Type] : undefined;
    const name = property ? target?.Properties?.[property] : undefined;
    if (typeof name !== 'string')
      throw new TemplateResolutionError(`${where}: cannot resolve Ref ${ref} from the template`);
    return name;
  }
  if (keys.length === 1 && keys[0] === 'Fn::Join') {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => String(resolveDeep(part, template, where))).join(separator);
  }
  if (keys.length === 1 && keys[0]?.startsWith('Fn::'))
    throw new TemplateResolutionError(`${where}: cannot resolve ${keys[0]} from the template`);
  return Object.fromEntries(keys.map((key) => [key, resolveDeep(node[key], template, where)]));
}

/**
 * The Properties of every AWS::CloudWatch::Alarm, resolved, and the definition each canary alarm's custom
 * resource creates (its `Sluice::ServiceAlarm` Metadata): PutMetricAlarm inputs.
 */
export function templateAlarms(template: CfnTemplate): MetricAlarmInput[] {
  const plain = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm')
    .map(([id, resource]) => resolveDeep(resource.Properties ?? {}, template, id) as MetricAlarmInput);
  const created = alarmDefinitionsInTemplate(template as never) as unknown as MetricAlarmInput[];
  return [...plain, ...created];
}

export interface TemplateDeploymentGroup {
  readonly name: string;
  readonly application: string;
  /** The alarms CodeDeploy polls during a deployment; none when the alarm configuration is disabled. */
  readonly alarms: readonly string[];
}

/** Every AWS::CodeDeploy::DeploymentGroup with the alarms it watches. */
export function templateDeploymentGroups(template: CfnTemplate): TemplateDeploymentGroup[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::CodeDeploy::DeploymentGroup')
    .map(([id, resource]) => {
      const { DeploymentGroupName, ApplicationName, AlarmConfiguration } = resource.Properties ?? {};
      // Only what CodeDeploy's alarm polling needs: the service role's ARN is not in the template.
      const properties = resolveDeep(
        { DeploymentGroupName, ApplicationName, AlarmConfiguration },
        template,
        id,
      ) as {
        DeploymentGroupName?: unknown;
        ApplicationName?: unknown;
        AlarmConfiguration?: { Enabled?: unknown; Alarms?: { Name?: unknown }[] };
      };
      const configuration = properties.AlarmConfiguration;
      const enabled = configuration?.Enabled === true || configuration?.Enabled === 'true';
      return {
        name: String(properties.DeploymentGroupName ?? id),
        application: String(properties.ApplicationName ?? ''),
        alarms: enabled ? (configuration?.Alarms ?? []).map((alarm) => String(alarm.Name)) : [],
      };
    });
}
