/**
 * What a rule target receives: Input, InputPath and InputTransformer, against the examples of EventBridge's
 * "input transformation" page (its EC2 event and templates) and the InputTransformer API reference.
 */
import { describe, expect, it } from 'vitest';
import {
  compileTargetInput,
  type DeliveryContext,
  InputTransformationError,
  InvalidTargetInputError,
  type TargetInputSpec,
} from '../../../../local/aws/eventbridge/target-input';
import { codeDeployDeploymentSuccess, ec2InstanceStateChange } from './aws-sample-events';

const context: DeliveryContext = {
  ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example',
  ruleName: 'example',
  ingestionTime: '2015-11-11T21:29:55Z',
};
const event = ec2InstanceStateChange;
const payload = (spec: TargetInputSpec, e: Record<string, unknown> = event) =>
  compileTargetInput('Target0', spec).payload(e, context);
const transform = (
  template: string,
  paths: Record<string, string> = { instance: '$.detail.instance-id', state: '$.detail.state' },
) => payload({ InputTransformer: { InputPathsMap: paths, InputTemplate: template } });

describe('no input settings, Input, InputPath', () => {
  it('delivers the matched event as it is', () => {
    expect(JSON.parse(payload({}))).toEqual(event);
  });

  it('delivers Input instead of the event', () => {
    expect(JSON.parse(payload({ Input: '{"fixed": true}' }))).toEqual({ fixed: true });
  });

  it('delivers the part InputPath names', () => {
    expect(JSON.parse(payload({ InputPath: '$.detail' }, codeDeployDeploymentSuccess))).toEqual(
      codeDeployDeploymentSuccess.detail,
    );
    expect(JSON.parse(payload({ InputPath: '$.resources[1]' }, codeDeployDeploymentSuccess))).toBe(
      codeDeployDeploymentSuccess.resources[1],
    );
    expect(JSON.parse(payload({ InputPath: '$.detail.*' }))).toEqual(['i-0123456789', 'RUNNING']);
  });

  it('fails the delivery when InputPath names nothing', () => {
    expect(() => payload({ InputPath: '$.detail.missing' })).toThrow(InputTransformationError);
  });
});

describe('InputTransformer, the documented templates', () => {
  it('simple string', () => {
    expect(transform('"instance <instance> is in <state>"')).toBe('"instance i-0123456789 is in RUNNING"');
  });

  it('string with escaped quotes', () => {
    expect(transform('"instance \\"<instance>\\" is in <state>"')).toBe(
      '"instance \\"i-0123456789\\" is in RUNNING"',
    );
  });

  it('simple JSON: a value placeholder is quoted for a string', () => {
    expect(JSON.parse(transform('{"instance" : <instance>, "state": <state>}'))).toEqual({
      instance: 'i-0123456789',
      state: 'RUNNING',
    });
  });

  it('JSON with strings and variables', () => {
    const out = transform(
      '{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \\"<instance>\\" is in <state>"}',
    );
    expect(JSON.parse(out)).toEqual({
      instance: 'i-0123456789',
      state: 'RUNNING',
      instanceStatus: 'instance "i-0123456789" is in RUNNING',
    });
  });

  it('JSON with a mix of variables and static information, minified', () => {
    expect(
      transform(
        '{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}',
      ),
    ).toBe('{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}');
  });

  it('reserved variables in JSON and in a string', () => {
    const out = JSON.parse(
      transform(
        '{"ruleArn": <aws.events.rule-arn>, "ruleName": <aws.events.rule-name>, "at": <aws.events.event.ingestion-time>, "originalEvent": <aws.events.event>, "full": <aws.events.event.json>}',
      ),
    );
    expect(out.ruleArn).toBe(context.ruleArn);
    expect(out.ruleName).toBe('example');
    expect(out.at).toBe(context.ingestionTime);
    expect(out.full).toEqual(event);
    // The event without its detail (detail-type spelled detailType, as AWS sends it).
    expect(out.originalEvent).not.toHaveProperty('detail');
    expect(out.originalEvent).toMatchObject({
      id: event.id,
      detailType: event['detail-type'],
      source: 'aws.ec2',
    });
    expect(transform('"<aws.events.rule-name> triggered"')).toBe('"example triggered"');
  });

  it('a path that names nothing gives an empty string', () => {
    const paths = { instance: '$.detail.instance-id', gone: '$.detail.missing' };
    expect(JSON.parse(transform('{"v": <gone>, "s": "x<gone>y"}', paths))).toEqual({ v: '', s: 'xy' });
    expect(transform('"<instance>: <gone>"', paths)).toBe('"i-0123456789: "');
  });

  it('numbers, booleans and objects keep their JSON in a value position', () => {
    const paths = { detail: '$.detail', resources: '$.resources', version: '$.version' };
    expect(JSON.parse(transform('{"d": <detail>, "r": <resources>}', paths))).toEqual({
      d: event.detail,
      r: event.resources,
    });
    // Inside a text template an object loses its quotes.
    expect(transform('"got <detail>"', paths)).toBe('"got {instance-id:i-0123456789,state:RUNNING}"');
  });

  it('does not deliver when a value breaks the JSON of the template (values are not escaped)', () => {
    const paths = { detail: '$.detail' };
    expect(() => transform('{"d": "<detail>"}', paths)).toThrow(InputTransformationError);
  });
});

describe('input settings PutTargets refuses', () => {
  const refused = (spec: TargetInputSpec) => () => compileTargetInput('Target0', spec);

  it('more than one of Input, InputPath, InputTransformer', () => {
    expect(refused({ Input: '{}', InputPath: '$.detail' })).toThrow(
      /Only one of Input, InputPath, or InputTransformer/,
    );
  });

  it('a placeholder the paths map does not define', () => {
    expect(
      refused({ InputTransformer: { InputPathsMap: { a: '$.a' }, InputTemplate: '"<a> <notdefinedkey>"' } }),
    ).toThrow('InputTemplate for target Target0 contains invalid placeholder notdefinedkey.');
  });

  it('a variable named like a reserved one, or starting with AWS.', () => {
    expect(
      refused({
        InputTransformer: { InputPathsMap: { 'aws.events.rule-name': '$.a' }, InputTemplate: '"x"' },
      }),
    ).toThrow(InvalidTargetInputError);
    expect(
      refused({ InputTransformer: { InputPathsMap: { 'AWS.x': '$.a' }, InputTemplate: '"x"' } }),
    ).toThrow(/reserved/);
  });

  it('a placeholder used as an object key, or the unescaped event inside a string', () => {
    expect(refused({ InputTransformer: { InputPathsMap: { k: '$.a' }, InputTemplate: '{<k>: 1}' } })).toThrow(
      /object key/,
    );
    expect(refused({ InputTransformer: { InputTemplate: '{"e": "<aws.events.event.json>"}' } })).toThrow(
      /only be the value of a JSON field/,
    );
  });

  it('more than 100 variables, a path that is not one, Input that is not JSON', () => {
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`v${i}`, '$.a']));
    expect(refused({ InputTransformer: { InputPathsMap: many, InputTemplate: '"x"' } })).toThrow(
      /at most 100/,
    );
    expect(
      refused({ InputTransformer: { InputPathsMap: { a: 'detail.a' }, InputTemplate: '"<a>"' } }),
    ).toThrow(InvalidTargetInputError);
    expect(refused({ Input: '{not json' })).toThrow(InvalidTargetInputError);
  });
});
