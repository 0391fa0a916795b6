import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DISABLE_ASSET_STAGING_CONTEXT } from 'aws-cdk-lib/cx-api';
import { afterAll, describe, expect, it } from 'vitest';
import { EsbuildLayer } from '../../lib/esbuild-layer';
import { NpmLayer } from '../../lib/npm-layer';
import { testTempDir } from '../support/test-temp-dir';
import { testApp } from './fixtures';

describe('EsbuildLayer', () => {
  it('holds esbuild and its linux-x64 binary under nodejs/node_modules, at one version', () => {
    // Staged, to read the layer's files as CDK ships them.
    const app = testApp({ [DISABLE_ASSET_STAGING_CONTEXT]: false });
    const layer = new EsbuildLayer(new Stack(app, 'S'), 'Layer');
    const assembly = app.synth();
    const assets = fs.readdirSync(assembly.directory).filter((f) => f.startsWith('asset.'));
    const dir = assets
      .map((a) => path.join(assembly.directory, a))
      .find((d) => fs.existsSync(path.join(d, 'nodejs')));
    expect(dir).toBeDefined();
    const modules = path.join(dir!, 'nodejs', 'node_modules');
    const version = (pkg: string) =>
      JSON.parse(fs.readFileSync(path.join(modules, pkg, 'package.json'), 'utf8')).version;
    expect(version('esbuild')).toBe(layer.esbuildVersion);
    expect(version('@esbuild/linux-x64')).toBe(layer.esbuildVersion);
    expect(fs.statSync(path.join(modules, '@esbuild', 'linux-x64', 'bin', 'esbuild')).mode & 0o111).not.toBe(
      0,
    );
  });

  it('explains what to install when the linux-x64 package is missing', () => {
    const fake = testTempDir('nm-');
    fs.mkdirSync(path.join(fake, 'esbuild'));
    fs.writeFileSync(path.join(fake, 'esbuild', 'package.json'), '{"version":"0.1.0"}');
    expect(() => new EsbuildLayer(new Stack(testApp(), 'S'), 'Layer', { nodeModulesDir: fake })).toThrow(
      /@esbuild\/linux-x64 is not installed .*npm install/,
    );
  });
});

describe('layer asset hashes', () => {
  const version = `0.0.${process.pid}`;
  afterAll(() => {
    // The layer folders NpmLayer assembled from the fake node_modules folders (those are test temp folders).
    const assembledLayers = fs
      .readdirSync(os.tmpdir())
      .filter((f) => f.startsWith(`sluice-npm-layer-${version}`))
      .map((f) => path.join(os.tmpdir(), f));
    for (const dir of assembledLayers) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A node_modules folder holding only an npm package at `version`, with an index.js of `content`. */
  function fakeNpm(npmVersion: string, content: string): string {
    const dir = testTempDir('nm-');
    fs.mkdirSync(path.join(dir, 'npm'));
    fs.writeFileSync(
      path.join(dir, 'npm', 'package.json'),
      JSON.stringify({ name: 'npm', version: npmVersion }),
    );
    fs.writeFileSync(path.join(dir, 'npm', 'index.js'), content);
    return dir;
  }
  const s3Key = (nodeModulesDir: string): unknown => {
    const stack = new Stack(testApp(), 'S');
    new NpmLayer(stack, 'Npm', { nodeModulesDir });
    const [layer] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion'));
    return layer?.Properties.Content.S3Key;
  };

  it('are named by the package version (a published version never changes), not by reading every file at synth', () => {
    const first = s3Key(fakeNpm(version, 'one'));
    expect(first).toMatch(/^[0-9a-f]{64}\.zip$/);
    expect(s3Key(fakeNpm(version, 'two'))).toBe(first);
    expect(s3Key(fakeNpm(`${version}1`, 'one'))).not.toBe(first);
  });
});
