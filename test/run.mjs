#!/usr/bin/env node
// Test runner: runs the uvu suites (TypeScript through tsx) of test/unit, then test/integration,
// then test/secure, and closes with one line "N passed, N failed[, N skipped]".
// Integration suites need the test bed: it is started (idempotently) with testbed/up first,
// unless HBR_TB_NO_UP=1 says the caller manages it. The secure suites start and stop their own
// servers (testbed/up --secure: testbed/secure.md).
//   node test/run.mjs                 unit + integration + secure
//   node test/run.mjs secure          only the secure suites
//   node test/run.mjs unit            only unit
//   node test/run.mjs integration [PATTERN]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const uvuBin = join(root, 'node_modules', 'uvu', 'bin.js');

const [only, pattern] = process.argv.slice(2);
const groups = only ? [only] : ['unit', 'integration', 'secure'];

function runGroup(group, { buffered = false } = {}) {
  // buffered: the group's output is held and printed whole when it ends (a group run alongside another)
  const write = buffered ? (d) => held.push(d) : (d) => process.stdout.write(d);
  const held = [];
  const log = buffered ? (line) => held.push(`${line}\n`) : (line) => console.log(line);
  return new Promise((resolve) => {
    const dir = join('test', group);
    if (!existsSync(join(root, dir))) return resolve({ total: 0, passed: 0, skipped: 0, crashed: false });
    const args = ['--import', 'tsx', uvuBin, dir, pattern ?? '\\.test\\.ts$'];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    let out = '';
    // uvu prints each file's name (bold, underlined) as its tests start: the time between two names
    // is that file's, printed slowest first at the end (what the CI time budget is spent on).
    const started = [];
    let partial = '';
    // uvu prints its summary when the last test ends; a handle a failed test leaked (a ZooKeeper
    // client, a server) can keep its process alive for ever after. Give it 20 s, then end it.
    let reaper;
    child.stdout.on('data', (d) => {
      out += d;
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^\x1b\[1m\x1b\[4m\x1b\[37m(.+?)\x1b\[22m/.exec(line);
        if (m) started.push({ file: m[1], at: Date.now() });
      }
      write(d);
      if (!reaper && /Duration:/.test(out)) {
        reaper = setTimeout(() => {
          console.error(`\n${group}: the suite process did not exit 20 s after its summary (a leaked handle): ended it`);
          child.kill('SIGKILL');
        }, 20_000);
        reaper.unref();
      }
      // The shared Ozone clusters, HBase and secure bed are stopped at exit (test/helpers/ozone.ts,
      // OZONE_STOPPING; test/helpers/hbase.ts, HBASE_STOPPING; test/helpers/secure.ts): a stop, not
      // a hang, so give it 2 minutes from there.
      if (reaper && !reaper.extended && /stopping the shared (Ozone clusters|HBase|secure bed)/.test(out)) {
        clearTimeout(reaper);
        reaper = setTimeout(() => {
          console.error(`\n${group}: the shared Ozone clusters did not stop in 2 min: ended the suite process (testbed/down stops them)`);
          child.kill('SIGKILL');
        }, 120_000);
        reaper.extended = true;
        reaper.unref();
      }
    });
    child.on('close', (code) => {
      if (reaper) clearTimeout(reaper);
      const end = Date.now();
      const took = started.map((x, i) => ({ file: x.file, s: ((started[i + 1]?.at ?? end) - x.at) / 1000 })).sort((a, b) => b.s - a.s);
      if (took.length) log(`\n${group}: seconds per file, slowest first: ${took.map((t) => `${t.file} ${t.s.toFixed(0)}`).join(', ')}`);
      if (buffered) process.stdout.write(`\n=== ${group} (ran alongside) ===\n${held.join('')}`);
      const num = (label) => Number((new RegExp(`${label}:\\s+(\\d+)`).exec(out) ?? [])[1] ?? NaN);
      const total = num('Total');
      const passed = num('Passed');
      const skipped = num('Skipped') || 0;
      // A suite that crashed before uvu's summary counts as one failure, never as a pass.
      // (ended after a complete summary: the counts stand)
      const crashed = Number.isNaN(total) || (code !== 0 && code !== null && passed === total - skipped);
      resolve({ total: total || 0, passed: passed || 0, skipped, crashed });
    });
  });
}

if (groups.includes('integration') && process.env.HBR_TB_NO_UP !== '1') {
  const up = spawnSync('bash', [join(root, 'testbed', 'up')], { stdio: 'inherit' });
  if (up.status !== 0) {
    console.error('testbed/up failed: integration tests cannot run');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

let passed = 0, failed = 0, skipped = 0;
const count = (r) => {
  passed += r.passed;
  skipped += r.skipped;
  failed += r.total - r.passed - r.skipped + (r.crashed ? 1 : 0);
};
// HBR_TEST_SECURE_ALONGSIDE=1 (.ci/run): the secure group (its own servers and ports, mostly
// waiting on JVMs) runs beside the integration group instead of after it, its output printed whole
// when it ends; the wall time is the longer of the two instead of their sum.
const alongside = process.env.HBR_TEST_SECURE_ALONGSIDE === '1' && groups.includes('integration') && groups.includes('secure');
for (const g of groups) {
  if (alongside && g === 'secure') continue;
  console.log(`\n=== ${g} ===`);
  if (alongside && g === 'integration') {
    console.log('(the secure group runs alongside: its output follows this group\'s)');
    const [a, b] = await Promise.all([runGroup('integration'), runGroup('secure', { buffered: true })]);
    count(a);
    count(b);
    continue;
  }
  count(await runGroup(g));
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
