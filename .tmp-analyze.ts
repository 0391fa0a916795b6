import * as path from 'node:path';
import { HANDLER_NAMES } from './lambdas/runtime/env';
import { PROJECT_ROOT } from './lib/sluice-function';
import { SdkCallAnalyzer } from './test/support/sdk-calls';
const t0 = process.cpuUsage();
const ms = (t: NodeJS.CpuUsage) => ((t.user + t.system) / 1000).toFixed(0);
const entries = [...HANDLER_NAMES, 'smoke-hook'].map((h) => path.join(PROJECT_ROOT, 'lambdas', h, 'index.ts'));
const a = new SdkCallAnalyzer(PROJECT_ROOT, entries);
const prog = (a as any).program;
console.log('createProgram ms', ms(process.cpuUsage(t0)), 'files', prog.getSourceFiles().length);
const sizes = new Map<string, number>();
for (const f of prog.getSourceFiles()) { const k = f.fileName.replace(/.*node_modules\//, '').replace(/^(@[^/]+\/[^/]+|[^/]+).*/, '$1'); sizes.set(k, (sizes.get(k) ?? 0) + f.text.length); }
console.log([...sizes].sort((x, y) => y[1] - x[1]).slice(0, 15).map(([k, v]) => `${k} ${(v / 1e6).toFixed(2)}MB`).join('\n'));
const t1 = process.cpuUsage();
const out: Record<string, unknown> = {};
for (const e of entries) { const c = a.analyze(e); out[e] = { commands: c.commands.map((s) => ({ ...s, fields: s.fields && [...s.fields] })), unsupported: c.unsupported, modules: c.modules }; }
console.log('analyze ms', ms(process.cpuUsage(t1)));
require('node:fs').writeFileSync(process.env.OUT ?? '/tmp/libtests-meas/analysis.json', JSON.stringify(out, null, 1));
const counts = new Map<string, number>();
for (const f of prog.getSourceFiles()) { const k = f.fileName.replace(/.*node_modules\//, '').replace(/^(@[^/]+\/[^/]+|[^/]+).*/, '$1'); counts.set(k, (counts.get(k) ?? 0) + 1); }
console.log([...counts].sort((x, y) => y[1] - x[1]).slice(0, 25).map(([k, v]) => `${k} ${v}`).join('\n'));
