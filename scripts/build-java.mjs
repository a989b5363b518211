// `npm run build`, last: compiles hbr's keytab launcher (java/dev/hbr/KeytabRun.java) into
// dist/java with `javac --release 8`, so it runs on any Hadoop 3's JVM. It calls Hadoop only by
// reflection and needs no Hadoop jars to build. It is only used for clusters with Kerberos auth
// (src/hadoop/jvm-login.ts); a machine without a JDK builds everything else and says so.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../java/dev/hbr/KeytabRun.java', import.meta.url));
const out = fileURLToPath(new URL('../dist/java', import.meta.url));
mkdirSync(out, { recursive: true });
const r = spawnSync('javac', ['--release', '8', '-Xlint:-options', '-d', out, src], { stdio: 'inherit' });
if (r.error && r.error.code === 'ENOENT') {
  console.warn('build: no javac on PATH; the keytab launcher (Kerberos clusters only) was not built');
} else if (r.status !== 0) {
  process.exit(r.status ?? 1);
}
