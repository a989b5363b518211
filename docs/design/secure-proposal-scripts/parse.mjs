import { readFileSync } from 'node:fs';
// Hadoop WritableUtils.readVLong
function vlong(b, o) {
  const first = (b[o] << 24) >> 24; // signed byte
  if (first >= -112) return [BigInt(first), o + 1];
  const neg = first < -120;
  const len = neg ? -119 - first : -111 - first; // total size incl. first byte
  let v = 0n;
  for (let i = 1; i < len; i++) v = (v << 8n) | BigInt(b[o + i]);
  return [neg ? ~v : v, o + len];
}
const num = (b, o) => { const [v, n] = vlong(b, o); return [Number(v), n]; };
function text(b, o) { const [len, p] = num(b, o); return [b.subarray(p, p + len).toString('utf8'), p + len]; }
function bytes(b, o) { const [len, p] = num(b, o); return [b.subarray(p, p + len), p + len]; }
export function parseTokenFile(buf) {
  if (buf.subarray(0, 4).toString('latin1') !== 'HDTS') throw new Error('not a Hadoop token file');
  if (buf[4] !== 0) throw new Error(`token file format ${buf[4]} (need -format java)`);
  let o = 5, n; [n, o] = num(buf, o);
  const tokens = [];
  for (let i = 0; i < n; i++) {
    let alias; [alias, o] = text(buf, o);
    const start = o;
    let id, pw, kind, service;
    [id, o] = bytes(buf, o); [pw, o] = bytes(buf, o); [kind, o] = text(buf, o); [service, o] = text(buf, o);
    const urlString = buf.subarray(start, o).toString('base64url');
    // identifier
    let q = 1, owner, renewer, realUser, issueDate, maxDate, seq, key;
    [owner, q] = text(id, q); [renewer, q] = text(id, q); [realUser, q] = text(id, q);
    [issueDate, q] = num(id, q); [maxDate, q] = num(id, q); [seq, q] = num(id, q); [key, q] = num(id, q);
    tokens.push({ alias, kind, service, owner, renewer, realUser, issueDate, maxDate, seq, key, urlString });
  }
  return tokens;
}
const [t] = parseTokenFile(readFileSync(process.argv[2]));
const expected = readFileSync(process.argv[3], 'utf8').trim();
console.log({ ...t, urlString: t.urlString.slice(0, 12) + '…' });
console.log('urlString equals Token.encodeToUrlString():', t.urlString === expected);
