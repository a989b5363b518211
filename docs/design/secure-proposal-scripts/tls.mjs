import https from 'node:https';
import { readFileSync } from 'node:fs';
import { Agent, fetch as ufetch } from 'undici';
const T = '/tmp/i15/tls/';
const r = (f) => readFileSync(T + f);
const ca = r('ca.pem'), other = r('other-ca.pem');
function serve(cert, key) {
  return new Promise((res) => {
    const s = https.createServer({ cert, key }, (q, a) => { a.end('{"ok":true}'); });
    s.listen(0, '127.0.0.1', () => res(s));
  });
}
function code(e) { const c = e?.cause ?? e; return `${c?.code ?? '-'} | ${c?.message ?? e?.message}`; }
async function viaGlobalFetch(url, opts) { try { const r = await fetch(url, opts); return `HTTP ${r.status}`; } catch (e) { return 'ERR ' + code(e); } }
async function viaUndici(url, caList) { try { const d = new Agent({ connect: { ca: caList } }); const r = await ufetch(url, { dispatcher: d }); return `HTTP ${r.status}`; } catch (e) { return 'ERR ' + code(e); } }
async function viaGlobalWithDispatcher(url, caList) { try { const d = new Agent({ connect: { ca: caList } }); const r = await fetch(url, { dispatcher: d }); return `HTTP ${r.status}`; } catch (e) { return 'ERR ' + code(e); } }
function viaHttps(url, caList) { return new Promise((res) => { const q = https.get(url, { ca: caList }, (a) => { a.resume(); res(`HTTP ${a.statusCode}`); }); q.on('error', (e) => res('ERR ' + code(e))); }); }
const cases = [
  ['CA-signed, SAN localhost+127.0.0.1', r('server.pem'), r('server.key')],
  ['CA-signed, no SAN (CN=localhost)', r('nosan.pem'), r('server.key')],
  ['expired, CA-signed', r('expired.pem'), r('server.key')],
  ['self-signed v1 SHA1 (KeyStoreTestUtil-like)', r('v1.pem'), r('v1.key')],
];
for (const [name, cert, key] of cases) {
  const s = await serve(cert, key); const p = s.address().port;
  for (const host of ['localhost', '127.0.0.1']) {
    const url = `https://${host}:${p}/`;
    console.log(`\n## ${name} @ ${host}`);
    console.log('  global fetch, no CA          :', await viaGlobalFetch(url));
    console.log('  undici Agent ca=test CA      :', await viaUndici(url, [ca]));
    console.log('  global fetch + dispatcher    :', await viaGlobalWithDispatcher(url, [ca]));
    console.log('  undici Agent ca=other CA     :', await viaUndici(url, [other]));
    console.log('  node:https ca=test CA        :', await viaHttps(url, [ca]));
    if (name.startsWith('self-signed')) console.log('  node:https ca=the cert itself:', await viaHttps(url, [cert]));
  }
  s.close();
}
