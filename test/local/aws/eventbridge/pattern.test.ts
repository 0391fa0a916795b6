/**
 * The EventBridge pattern matcher against the behaviour EventBridge documents: "Event patterns", "Comparison
 * operators for use in event patterns", "Matching on arrays", "Matching events on null values and empty strings".
 * Each case is the documented example where the page has one.
 */
import { describe, expect, it } from 'vitest';
import { compileEventPattern, InvalidEventPatternError } from '../../../../local/aws/eventbridge/pattern';
import { autoScalingLaunch, ec2InstanceStateChange } from './aws-sample-events';

const matches = (pattern: unknown, event: unknown) => compileEventPattern(pattern).matches(event);

/** The EC2 event the user guide's operator examples are written against, with the fields they use. */
const ec2 = {
  ...ec2InstanceStateChange,
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
    location: 'us-east-1',
    FileName: 'photos/cat.PNG',
  },
};

describe('exact values, OR within a field, AND across fields, nesting', () => {
  it('matches on every field the pattern names and ignores the others', () => {
    expect(matches({ source: ['aws.ec2'], detail: { state: ['running'] } }, ec2)).toBe(true);
    expect(matches({ source: ['aws.ec2'], detail: { state: ['stopped'] } }, ec2)).toBe(false);
  });

  it('treats the values of a field as alternatives', () => {
    expect(matches({ detail: { state: ['initializing', 'running'] } }, ec2)).toBe(true);
    expect(matches({ source: ['aws.ec2', 'aws.fargate'] }, ec2)).toBe(true);
  });

  it('is case-sensitive: a detail-type in another case does not match', () => {
    expect(matches({ 'detail-type': ['EC2 Instance State-change Notification'] }, ec2)).toBe(true);
    expect(matches({ 'detail-type': ['ec2 instance state-change notification'] }, ec2)).toBe(false);
    expect(matches({ Source: ['aws.ec2'] }, ec2)).toBe(false);
  });

  it('does not match when a field the pattern names is absent from the event', () => {
    expect(matches({ detail: { missing: ['x'] } }, ec2)).toBe(false);
    expect(matches({ detail: { state: { nested: ['running'] } } }, ec2)).toBe(false);
  });

  it('compares types: a number is not the string of it, true is not "true"', () => {
    expect(matches({ detail: { 'c-count': [5] } }, ec2)).toBe(true);
    expect(matches({ detail: { 'c-count': ['5'] } }, ec2)).toBe(false);
    expect(matches({ detail: { flag: [true] } }, { detail: { flag: 'true' } })).toBe(false);
    expect(matches({ detail: { flag: [true] } }, { detail: { flag: true } })).toBe(true);
  });

  it('joins nested names with dots, in the pattern and in the event alike', () => {
    const nested = { detail: { state: { status: 'running' } } };
    expect(matches({ detail: { 'state.status': ['running'] } }, nested)).toBe(true);
    expect(
      matches({ detail: { state: { status: ['running'] } } }, { detail: { 'state.status': 'running' } }),
    ).toBe(true);
  });

  it('does not look inside a string that holds JSON', () => {
    expect(matches({ detail: { key: ['v'] } }, { detail: '{"key": "v"}' })).toBe(false);
  });
});

describe('arrays in the event', () => {
  // "Matching on arrays": the pattern matches when the intersection of the two arrays is not empty.
  it('matches a field whose value is an array when any element matches', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      ],
    };
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/other'] })).toBe(
      false,
    );
    expect(matches({ resources: [{ exists: true }] }, { resources: [] })).toBe(false);
  });

  it('matches objects inside an array, but never combines two elements', () => {
    const event = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };
    expect(matches({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event)).toBe(true);
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event)).toBe(false);
  });
});

describe('null and the empty string', () => {
  it('matches each only by itself', () => {
    expect(matches({ detail: { eventVersion: [''] } }, autoScalingLaunch)).toBe(true);
    expect(matches({ detail: { responseElements: [null] } }, autoScalingLaunch)).toBe(true);
    expect(matches({ detail: { eventVersion: [null] } }, autoScalingLaunch)).toBe(false);
    expect(matches({ detail: { responseElements: [''] } }, autoScalingLaunch)).toBe(false);
  });
});

describe('prefix, suffix, equals-ignore-case, wildcard', () => {
  it('prefix and suffix, with and without case', () => {
    expect(matches({ time: [{ prefix: '2015-11-11' }] }, ec2)).toBe(true);
    expect(matches({ time: [{ prefix: '2017-10-02' }] }, ec2)).toBe(false);
    expect(matches({ detail: { FileName: [{ suffix: '.png' }] } }, ec2)).toBe(false);
    expect(matches({ detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, ec2)).toBe(true);
    expect(matches({ source: [{ prefix: { 'equals-ignore-case': 'AWS.E' } }] }, ec2)).toBe(true);
    expect(matches({ detail: { 'c-count': [{ prefix: '5' }] } }, ec2)).toBe(false); // strings only
  });

  it('equals-ignore-case', () => {
    expect(matches({ detail: { state: [{ 'equals-ignore-case': 'RUNNING' }] } }, ec2)).toBe(true);
    expect(matches({ detail: { state: [{ 'equals-ignore-case': 'RUN' }] } }, ec2)).toBe(false);
  });

  it('wildcard: * is any run of characters, \\* a star, \\\\ a backslash', () => {
    expect(matches({ detail: { FileName: [{ wildcard: 'photos/*.PNG' }] } }, ec2)).toBe(true);
    expect(matches({ detail: { FileName: [{ wildcard: '*/dog.*' }] } }, ec2)).toBe(false);
    expect(matches({ k: [{ wildcard: 'a\\*b' }] }, { k: 'a*b' })).toBe(true);
    expect(matches({ k: [{ wildcard: 'a\\*b' }] }, { k: 'axxb' })).toBe(false);
    expect(matches({ k: [{ wildcard: 'a\\\\b' }] }, { k: 'a\\b' })).toBe(true);
    expect(matches({ k: [{ wildcard: 'a.c' }] }, { k: 'abc' })).toBe(false); // . is literal
  });
});

describe('anything-but', () => {
  it('excludes a value, a list, a prefix, a suffix, a case-insensitive value, a wildcard', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, ec2)).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': 'running' }] } }, ec2)).toBe(false);
    expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } }, ec2)).toBe(false);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, ec2)).toBe(true);
    expect(matches({ detail: { 'c-count': [{ 'anything-but': 5 }] } }, ec2)).toBe(false);
    expect(matches({ detail: { location: [{ 'anything-but': { prefix: 'us-' } }] } }, ec2)).toBe(false);
    expect(matches({ detail: { location: [{ 'anything-but': { prefix: 'eu-' } }] } }, ec2)).toBe(true);
    expect(matches({ detail: { FileName: [{ 'anything-but': { suffix: '.PNG' } }] } }, ec2)).toBe(false);
    expect(
      matches({ detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'RUNNING' } }] } }, ec2),
    ).toBe(false);
    expect(matches({ detail: { FileName: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, ec2)).toBe(true);
    expect(matches({ detail: { FileName: [{ 'anything-but': { wildcard: 'photos/*' } }] } }, ec2)).toBe(
      false,
    );
  });

  it('needs the field: an absent field matches no anything-but, a null one does', () => {
    expect(matches({ detail: { missing: [{ 'anything-but': 'x' }] } }, ec2)).toBe(false);
    expect(matches({ detail: { v: [{ 'anything-but': 'x' }] } }, { detail: { v: null } })).toBe(true);
  });
});

describe('numeric', () => {
  it('ranges and equality on JSON numbers only', () => {
    const pattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };
    expect(matches(pattern, ec2)).toBe(true);
    expect(matches({ detail: { 'c-count': [{ numeric: ['>', 5] }] } }, ec2)).toBe(false);
    expect(matches({ detail: { 'c-count': [{ numeric: ['>=', 5] }] } }, ec2)).toBe(true);
    expect(matches({ detail: { n: [{ numeric: ['>', 0] }] } }, { detail: { n: '5' } })).toBe(false);
    expect(matches({ detail: { n: [{ numeric: ['>', 100] }] } }, { detail: { n: 101.0 } })).toBe(true);
  });
});

describe('exists', () => {
  it('exists: true needs a leaf value; exists: false matches an absent field or an object', () => {
    expect(matches({ detail: { state: [{ exists: true }] } }, ec2)).toBe(true);
    expect(matches({ detail: { 'e-count': [{ exists: true }] } }, ec2)).toBe(false);
    expect(matches({ detail: { 'e-count': [{ exists: false }] } }, ec2)).toBe(true);
    expect(matches({ detail: { state: [{ exists: false }] } }, ec2)).toBe(false);
    // "Exists matching only works on leaf nodes": an object-valued field does not exist for it.
    expect(
      matches({ detail: { 'c-count': [{ exists: false }] } }, { detail: { 'c-count': { c1: 100 } } }),
    ).toBe(true);
    expect(matches({ detail: { v: [{ exists: true }] } }, { detail: { v: null } })).toBe(true);
  });

  it('combines with other conditions of the field as alternatives', () => {
    const pattern = { detail: { homemade: [{ 'anything-but': ['roses'] }, { exists: false }] } };
    expect(matches(pattern, { detail: {} })).toBe(true);
    expect(matches(pattern, { detail: { homemade: 'tulips' } })).toBe(true);
    expect(matches(pattern, { detail: { homemade: 'roses' } })).toBe(false);
  });
});

describe('cidr', () => {
  it('IPv4 and IPv6 ranges', () => {
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, ec2)).toBe(true);
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } }, ec2)).toBe(false);
    expect(matches({ ip: [{ cidr: '2001:db8:1234:1a00::/64' }] }, { ip: '2001:db8:1234:1a00::dc' })).toBe(
      true,
    );
    expect(matches({ ip: [{ cidr: '2001:db8:1234:1a00::/64' }] }, { ip: '2001:db8:1234:1b00::dc' })).toBe(
      false,
    );
  });
});

describe('$or', () => {
  it('matches when any alternative does, nested or beside other fields', () => {
    const pattern = {
      source: ['aws.ec2'],
      $or: [{ detail: { 'c-count': [{ numeric: ['>', 10] }] } }, { detail: { state: ['running'] } }],
    };
    expect(matches(pattern, ec2)).toBe(true);
    expect(matches({ ...pattern, source: ['aws.s3'] }, ec2)).toBe(false);
    expect(
      matches(
        {
          detail: {
            $or: [{ 'c-count': [{ numeric: ['>', 10] }] }, { 'd-count': [{ numeric: ['>', 10] }] }],
          },
        },
        ec2,
      ),
    ).toBe(false);
  });
});

describe('patterns EventBridge refuses', () => {
  const reasonOf = (pattern: unknown): string => {
    try {
      compileEventPattern(pattern);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEventPatternError);
      return (error as Error).message.replace('Event pattern is not valid. Reason: ', '');
    }
    throw new Error(`accepted ${JSON.stringify(pattern)}`);
  };

  it.each([
    [{ source: [] }, 'Empty arrays are not allowed'],
    [{ detail: {} }, 'Empty objects are not allowed'],
    [{ source: 'aws.ec2' }, '"source" must be an object or an array'],
    [{ n: [{ numeric: ['>', 0, '>', 1] }] }, 'Bad numeric range operator: >'],
    [{ n: [{ numeric: ['<', 'ten'] }] }, 'Value of < must be numeric'],
    [{ n: [{ numeric: 5 }] }, 'Value of numeric must be an array.'],
    [{ n: [{ NUMERIC: ['>', 0] }] }, 'Unrecognized match type NUMERIC'],
    [{ n: [{ prefix: 5 }] }, 'prefix match pattern must be a string'],
    [{ n: [{ 'anything-but': { prefix: '' } }] }, 'Null prefix/suffix not allowed'],
    [{ n: [{ wildcard: 'a**b' }] }, 'Consecutive wildcard characters at pos 2'],
    [{ n: [{ cidr: '10.0.0.0' }] }, "Malformed CIDR, one '/' required"],
    [{ n: [{ exists: 'yes' }] }, 'exists match pattern must be either true or false'],
  ])('%j: %s', (pattern, reason) => {
    expect(reasonOf(pattern)).toBe(reason);
  });

  it('refuses text that is not a JSON object', () => {
    expect(reasonOf('{"source": [')).toMatch(/^not valid JSON/);
    expect(reasonOf(['aws.ec2'])).toBe('the pattern must be a JSON object');
  });

  it('accepts a pattern given as JSON text, as CloudFormation allows', () => {
    expect(compileEventPattern('{"detail": {"responseElements": [null]}}').matches(autoScalingLaunch)).toBe(
      true,
    );
  });
});
