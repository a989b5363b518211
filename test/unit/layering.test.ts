/**
 * The layering rules of .dependency-cruiser.cjs (run on src by `npm run lint:layers`, part of
 * `npm test`): depcruise, with the repo's config and the repo's tsconfig, on small trees written
 * to a temp dir in the target layout (src/systems/index.ts, src/systems/<name>/, src/hadoop, ...).
 * One tree breaks every rule and each violation is reported under its rule's name; one tree
 * obeys them all and passes. Runs the CLI as npm does, by argument array, never through a shell.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const config = join(root, '.dependency-cruiser.cjs');
const depcruise = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const ruleNames: string[] = (createRequire(import.meta.url)(config) as { forbidden: { name: string }[] }).forbidden.map((r) => r.name);

const made: string[] = [];
test.after(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

/** A repo-like tree: the repo's tsconfig.json beside src/, with these files (path → source). */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'hbr-layering-'));
  made.push(dir);
  copyFileSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  for (const [path, src] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), src);
  }
  return dir;
}

interface Violation { from: string; to: string; rule: { name: string; severity: string } }

/**
 * depcruise src in dir: once exactly as `npm run lint:layers` runs it (its exit status is what fails
 * `npm test`; the JSON reporter always exits 0), once with JSON output for the violations.
 */
function cruise(dir: string): { status: number | null; report: string; violations: string[]; modules: number } {
  const run = (type: string) =>
    spawnSync(process.execPath, [depcruise, 'src', '--config', config, '--output-type', type], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, // plain text, whatever the test runner's terminal
    });
  const lint = run('err-long');
  const json = run('json');
  assert.ok(json.stdout, `depcruise printed no JSON (exit ${json.status}): ${json.stderr}`);
  const out = JSON.parse(json.stdout) as { summary: { violations: Violation[] }; modules: unknown[] };
  const violations = out.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
  return { status: lint.status, report: lint.stdout, violations, modules: out.modules.length };
}

test('a tree that breaks every rule: depcruise fails and names each rule at the import that breaks it', () => {
  const dir = tree({
    // the list and the interface: the core's doors into the systems
    'src/systems/index.ts': "import { x } from './a/x.js';\nimport { y } from './b/y.js';\nexport const systems = [x, y];\n",
    'src/systems/types.ts': 'export interface System { name: string }\n',
    // a system importing another system (from a nested folder too)
    'src/systems/a/x.ts': "import type { System } from '../types.js';\nimport { y } from '../b/y.js';\nexport const x: System = { name: 'a' + y.name };\n",
    'src/systems/b/y.ts': "import type { System } from '../types.js';\nexport const y: System = { name: 'b' };\n",
    'src/systems/b/deep/z.ts': "import { x } from '../../a/x.js';\nexport const z = x;\n",
    // systems reaching up into the orchestrators and into the list
    'src/systems/a/up.ts': "import { main } from '../../cli/main.js';\nexport const up = main;\n",
    'src/systems/b/list.ts': "import { systems } from '../index.js';\nexport const list = systems;\n",
    // the core going around the list, straight into a system
    'src/planner/p.ts': "import { systems } from '../systems/index.js';\nimport { x } from '../systems/a/x.js';\nexport const p = [systems, x];\n",
    'src/cli/main.ts': "export const main = 'main';\n",
    'src/daemon/d.ts': "export const d = 'd';\n",
    // shared rooms reaching into systems and the flow
    'src/hadoop/launch.ts': "import { run } from '../engine/run.js';\nexport const launch = run;\n",
    'src/stores/s3.ts': "import { y } from '../systems/b/y.js';\nimport { d } from '../daemon/d.js';\nexport const s3 = [y, d];\n",
    // model reaching out
    'src/model/m.ts': "import { s } from '../schema/s.js';\nexport const m = s;\n",
    'src/schema/s.ts': "export const s = 's';\n",
    // a cycle, and imports that resolve to nothing
    'src/engine/run.ts': "import { r } from '../render/r.js';\nexport const run = () => r;\n",
    'src/render/r.ts': "import { run } from '../engine/run.js';\nexport const r = () => run;\n",
    'src/metrics/g.ts': "import { nope } from './missing.js';\nimport nothing from 'no-such-package-hbr';\nexport const g = [nope, nothing];\n",
  });
  const { status, report, violations } = cruise(dir);
  assert.is(status, violations.length, 'depcruise exits with the number of errors');
  assert.match(report, /no-circular: src\/engine\/run\.ts →\s+src\/render\/r\.ts →\s+src\/engine\/run\.ts/, 'the report shows the whole cycle');
  assert.match(report, /\b13 dependency violations \(13 errors, 0 warnings\)/);
  assert.equal(violations, [
    'core-not-to-system-internals: src/planner/p.ts -> src/systems/a/x.ts',
    'core-not-to-system-internals: src/stores/s3.ts -> src/systems/b/y.ts', // a shared room is outside src/systems/ too
    'model-is-a-leaf: src/model/m.ts -> src/schema/s.ts',
    'no-circular: src/engine/run.ts -> src/render/r.ts', // once, at its first edge
    'not-to-unresolvable: src/metrics/g.ts -> ./missing.js',
    'not-to-unresolvable: src/metrics/g.ts -> no-such-package-hbr',
    'shared-not-to-systems-or-core-flow: src/hadoop/launch.ts -> src/engine/run.ts',
    'shared-not-to-systems-or-core-flow: src/stores/s3.ts -> src/daemon/d.ts',
    'shared-not-to-systems-or-core-flow: src/stores/s3.ts -> src/systems/b/y.ts',
    'systems-not-to-orchestrators: src/systems/a/up.ts -> src/cli/main.ts',
    'systems-not-to-orchestrators: src/systems/b/list.ts -> src/systems/index.ts',
    'systems-not-to-other-systems: src/systems/a/x.ts -> src/systems/b/y.ts',
    'systems-not-to-other-systems: src/systems/b/deep/z.ts -> src/systems/a/x.ts',
  ]);
  // Every rule of the config is exercised here: a new rule needs its case above.
  assert.equal([...new Set(violations.map((v) => v.split(':')[0]))].sort(), [...ruleNames].sort());
});

test('a tree that keeps the layers passes: the list, the interface, shared rooms, a system\'s own subfolders', () => {
  const dir = tree({
    'src/systems/index.ts': "import { hdfs } from './hdfs/hdfs.js';\nimport { zk } from './zookeeper/zk.js';\nexport const systems = [hdfs, zk];\n",
    'src/systems/types.ts': "import type { Policy } from '../model/m.js';\nexport interface System { name: string; policies?: Policy[] }\n",
    'src/systems/util.ts': "export const label = (s: string) => s;\n",
    'src/systems/hdfs/hdfs.ts':
      "import type { System } from '../types.js';\nimport { launch } from '../../hadoop/launch.js';\nimport { put } from '../../stores/s3.js';\n" +
      "import { snap } from './ops/snap.js';\nexport const hdfs: System = { name: launch + put + snap };\n",
    'src/systems/hdfs/ops/snap.ts': "import { label } from '../../util.js';\nexport const snap = label('snap');\n",
    'src/systems/zookeeper/zk.ts':
      "import type { System } from '../types.js';\nimport { put } from '../../stores/s3.js';\nimport { apply } from '../../engine/apply.js';\n" +
      "export const zk: System = { name: put + apply };\n",
    'src/hadoop/launch.ts': "import { join } from 'node:path';\nimport type { Policy } from '../model/m.js';\nexport const launch = join('a', 'b');\nexport type P = Policy;\n",
    'src/stores/s3.ts': "import { launch } from '../hadoop/launch.js';\nexport const put = launch;\n",
    'src/model/m.ts': "import { sep } from 'node:path';\nimport { kind } from './kind.js';\nexport interface Policy { name: string }\nexport const m = sep + kind;\n",
    'src/model/kind.ts': "export const kind = 'k';\n",
    'src/engine/apply.ts': "import { m } from '../model/m.js';\nexport const apply = m;\n",
    'src/planner/plan.ts': "import { systems } from '../systems/index.js';\nimport type { System } from '../systems/types.js';\nimport { label } from '../systems/util.js';\nexport const plan = (s: System[] = systems) => s.map((x) => label(x.name));\n",
    'src/daemon/loop.ts': "import { plan } from '../planner/plan.js';\nimport { apply } from '../engine/apply.js';\nexport const loop = () => [plan(), apply];\n",
    'src/cli/main.ts': "import { loop } from '../daemon/loop.js';\nimport { systems } from '../systems/index.js';\nexport const main = [loop, systems];\n",
  });
  const { status, report, violations, modules } = cruise(dir);
  assert.equal(violations, []);
  assert.is(status, 0);
  assert.match(report, /no dependency violations found/);
  assert.is(modules, 15, 'every file found, `.js` specifiers resolved to the .ts sources (14 files and node:path)');
});

test.run();
