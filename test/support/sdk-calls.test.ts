import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/sluice-function';
import { SdkCallAnalyzer } from './sdk-calls';

const fixture = (name: string) => path.join(__dirname, 'fixtures', 'sdk-calls', `${name}.ts`);
const entries = ['reads', 'reads-versioned', 'aggregated', 'dynamic'].map(fixture);
const analyzer = new SdkCallAnalyzer(PROJECT_ROOT, entries);

describe('SdkCallAnalyzer', () => {
  it('follows a port to the adapter the code instantiates, not to every implementation', () => {
    const calls = analyzer.analyze(fixture('reads'));
    expect(calls.commands.map((c) => c.command)).toEqual(['GetObjectCommand']);
    expect(calls.unsupported).toEqual([]);
  });

  it('keeps a conditional field only when a reachable call can make its condition true', () => {
    const plain = analyzer.analyze(fixture('reads')).commands[0];
    const versioned = analyzer.analyze(fixture('reads-versioned')).commands[0];
    expect(plain?.fields?.has('VersionId')).toBe(false);
    expect(versioned?.fields?.get('VersionId')).toEqual({ literals: ['v1'], dynamic: false });
    expect(versioned?.fields?.get('Bucket')).toEqual({ literals: ['b'], dynamic: false });
  });

  it('fails closed on SDK use it cannot turn into commands: aggregated clients, dynamic imports', () => {
    expect(analyzer.analyze(fixture('aggregated')).unsupported).toEqual([
      expect.stringMatching(/aggregated\.ts:4: @aws-sdk\/client-s3 class S3 \(aggregated client\?\)/),
      expect.stringMatching(/aggregated\.ts:4: SDK method S3\.getObject/),
    ]);
    expect(analyzer.analyze(fixture('dynamic')).unsupported).toEqual([
      expect.stringMatching(/dynamic\.ts:2: a dynamic import the analysis cannot follow/),
    ]);
  });
});
