/** The dispatcher in-process, with a made-up command: what adding a command to the registry gives for free. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Command, parseCommandArgs, UsageError } from '../../../local/cli/command';
import { cliUsage, runCli } from '../../../local/cli/dispatch';
import { commands } from '../../../local/cli/registry';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  return { stdout: () => out.join(''), stderr: () => err.join('') };
}

afterEach(() => {
  vi.restoreAllMocks();
});

const received: string[][] = [];
const greet: Command = {
  name: 'greet',
  summary: 'Say hello',
  usage: 'Usage: sluice greet [--name NAME]',
  async run(argv) {
    const { values } = parseCommandArgs(argv, { name: { type: 'string', default: 'world' } });
    received.push(argv);
    process.stdout.write(`hello ${values.name}\n`);
    return values.name === 'fail' ? 1 : 0;
  },
};
const crash: Command = {
  name: 'crash',
  summary: 'Throw',
  usage: 'Usage: sluice crash',
  async run() {
    throw new Error('boom');
  },
};

describe('runCli', () => {
  it('registers validate', () => {
    expect(commands.map((c) => c.name)).toContain('validate');
  });

  it('runs a registered command with the arguments after its name', async () => {
    const io = capture();
    expect(await runCli(['greet', '--name', 'Ada'], [greet])).toBe(0);
    expect(io.stdout()).toBe('hello Ada\n');
    expect(received.at(-1)).toEqual(['--name', 'Ada']);
    expect(await runCli(['greet', '--name', 'fail'], [greet])).toBe(1);
  });

  it('lists every registered command in the usage', () => {
    expect(cliUsage([greet, crash])).toMatch(/ {2}greet {2}Say hello\n {2}crash {2}Throw/);
  });

  it('turns a UsageError into exit 2 with the command usage', async () => {
    const io = capture();
    expect(await runCli(['greet', '--nmae', 'x'], [greet])).toBe(2);
    expect(io.stderr()).toBe(
      'sluice greet: unknown option --nmae; did you mean --name?\n\nUsage: sluice greet [--name NAME]\n',
    );
  });

  it('prints help without running the command, but passes --help after --', async () => {
    const io = capture();
    const before = received.length;
    expect(await runCli(['greet', '--help'], [greet])).toBe(0);
    expect(io.stdout()).toBe('Usage: sluice greet [--name NAME]\n');
    expect(received.length).toBe(before);
    expect(await runCli(['greet', '--', '--help'], [greet])).toBe(2);
  });

  it('reports an unexpected error with exit 1', async () => {
    const io = capture();
    expect(await runCli(['crash'], [crash])).toBe(1);
    expect(io.stderr()).toBe('sluice crash: boom\n');
  });

  it('UsageError is an Error named UsageError', () => {
    expect(new UsageError('x')).toMatchObject({ name: 'UsageError', message: 'x' });
  });
});
