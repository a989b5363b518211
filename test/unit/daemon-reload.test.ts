/**
 * Issue 9 item 8: a reload that fails — the policy directory cannot be read, or loading throws —
 * is a load error like any other: the daemon keeps its last good policies, reports the error
 * (/status, hbr_policy_load_errors, the log) and its reload never rejects.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs, { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Daemon } from '../../src/daemon/daemon.js';
import { formatPolicyError, loadConfig } from '../../src/schema/load.js';
import { createLogger } from '../../src/daemon/log.js';

const POLICY = 'version: 1\nclusters:\n  prod: { hdfs: { webhdfs: http://127.0.0.1:9, fs: hdfs://127.0.0.1:9 } }\npolicies:\n  w: { source: { cluster: prod, path: /w }, snapshots: { every: 1w } }\n';

async function withDaemon(fn: (d: Daemon, dir: string, logged: () => string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hbr-reload-'));
  const state = mkdtempSync(join(tmpdir(), 'hbr-reload-state-'));
  writeFileSync(join(dir, 'p.yaml'), POLICY);
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const d = await Daemon.start({ paths: [dir], stateDir: state, hadoop: 'hadoop', log: createLogger({ env: {}, destination, level: 'debug' }), env: {}, healthIntervalMs: 3_600_000 });
  try {
    await fn(d, dir, () => chunks.join(''));
  } finally {
    await d.shutdown(0);
    rmSync(dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
}

/** Runs fn with fs.promises[name] replaced for the loader (which imports it from node:fs/promises). */
async function patched<K extends 'readdir' | 'readFile'>(name: K, impl: (real: (typeof fs.promises)[K]) => (typeof fs.promises)[K], fn: () => Promise<void>): Promise<void> {
  const real = fs.promises[name];
  fs.promises[name] = impl(real);
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    fs.promises[name] = real;
    syncBuiltinESMExports();
  }
}

// ---------------------------------------------------------------------------------------------
// the loader

test('a directory that cannot be read (EACCES on readdir) is a load error, not a rejection', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hbr-reload-'));
  writeFileSync(join(dir, 'p.yaml'), 'version: 1\n');
  const real = fs.promises.readdir;
  fs.promises.readdir = (async (p: fs.PathLike, ...rest: unknown[]) => {
    if (String(p) === dir) throw Object.assign(new Error(`EACCES: permission denied, scandir '${dir}'`), { code: 'EACCES', errno: -13, syscall: 'scandir', path: dir });
    return (real as (...a: unknown[]) => unknown)(p, ...rest);
  }) as typeof fs.promises.readdir;
  syncBuiltinESMExports(); // the loader's `import { readdir }` now sees the wrapper
  try {
    const r = await loadConfig([dir]).catch((err: unknown) => assert.unreachable(`loadConfig rejected: ${String(err)}`));
    if (!r || !('errors' in r)) return assert.unreachable('expected errors');
    assert.equal(r.errors.map(formatPolicyError), [`${dir}:1:1: cannot read: EACCES: permission denied, scandir '${dir}'`]);
  } finally {
    fs.promises.readdir = real;
    syncBuiltinESMExports();
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// the daemon

test('a policy directory that cannot be read on reload: a load error, the last good policies kept', async () => {
  await withDaemon(async (d, dir, logged) => {
    const before = d.status();
    await patched(
      'readdir',
      (real) =>
        (async (p: fs.PathLike, ...rest: unknown[]) => {
          if (String(p) === dir) throw Object.assign(new Error(`EACCES: permission denied, scandir '${dir}'`), { code: 'EACCES' });
          return (real as (...a: unknown[]) => unknown)(p, ...rest);
        }) as typeof fs.promises.readdir,
      async () => {
        await d.reload().catch((err: unknown) => assert.unreachable(`reload rejected: ${String(err)}`));
      },
    );
    const s = d.status();
    assert.equal(s.lastLoad.errors, [`${dir}:1:1: cannot read: EACCES: permission denied, scandir '${dir}'`]);
    assert.equal(s.policies.map((p) => p.name), ['w']);
    assert.equal(s.policies, before.policies);
    assert.ok(/hbr_policy_load_errors(\{[^}]*\})? 1\b/.test(await d.metrics.registry.metrics()));
    assert.ok(logged().includes('cannot read: EACCES'), logged());
  });
});

test('a reload that throws unexpectedly never rejects: logged, counted as a load error', async () => {
  await withDaemon(async (d, dir, logged) => {
    await patched(
      'readFile',
      (real) =>
        (async (p: fs.PathLike, ...rest: unknown[]) => {
          if (String(p).startsWith(dir)) return 42; // not a string: parsing it throws a TypeError inside the loader
          return (real as (...a: unknown[]) => unknown)(p, ...rest);
        }) as unknown as typeof fs.promises.readFile,
      async () => {
        await d.reload().catch((err: unknown) => assert.unreachable(`reload rejected: ${String(err)}`));
      },
    );
    const s = d.status();
    assert.is(s.lastLoad.errors.length, 1);
    assert.match(s.lastLoad.errors[0]!, /reload failed/);
    assert.equal(s.policies.map((p) => p.name), ['w']);
    assert.ok(/hbr_policy_load_errors(\{[^}]*\})? 1\b/.test(await d.metrics.registry.metrics()));
    assert.ok(logged().includes('reload failed'), logged());
  });
});

test.run();
