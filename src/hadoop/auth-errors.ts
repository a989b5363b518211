/**
 * Errors an operator can act on (issue 15; docs/design/secure-proposal.md §6, docs/security.md):
 * the texts Kerberos, the NameNode and TLS give, classified into a reason and one plain sentence.
 * Pure: the fixtures of test/unit/auth-errors.test.ts are the strings measured on the secure test
 * bed (testbed/secure.md, "Error texts measured here") and read in the 3.4.3 sources.
 * Nothing secret goes into a message: the keytab's path and the principal may; a token never.
 */
import { redactSecrets } from '../model/errors.js';

export type AuthReason =
  | 'keytab'
  | 'keytab_stale'
  | 'principal_unknown'
  | 'clock_skew'
  | 'ticket_expired'
  | 'kdc_unreachable'
  | 'not_kerberized'
  | 'server_principal'
  | 'token_invalid'
  | 'tls_untrusted'
  | 'tls_hostname'
  | 'tls_expired'
  | 'tls_plain_port'
  | 'no_active_namenode';

export interface Who {
  cluster: string;
  principal?: string;
  keytab?: string;
  krb5Conf?: string;
  caBundle?: string;
}

/** The reason a Kerberos login or a JVM call failed, from its output (JDK / Hadoop texts, §6). */
export function kerberosReason(text: string): AuthReason | undefined {
  if (/Clock skew too great/i.test(text)) return 'clock_skew';
  if (/Client not found in Kerberos database/i.test(text)) return 'principal_unknown';
  if (/Pre-authentication information was invalid|Integrity check on decrypted field failed|Specified version of key is not available|PREAUTH_FAILED/i.test(text)) return 'keytab_stale';
  if (/Unable to obtain password from user|no suitable keys|Keytab contains no suitable keys|keytab file .* does not exist|Login failure for user/i.test(text)) return 'keytab';
  if (/Cannot locate KDC|Cannot contact any KDC|Receive timed out|Cannot (locate|find) default realm|Connection refused.*KDC|kdc.*Connection refused/i.test(text)) return 'kdc_unreachable';
  if (/does not require a token|security may be disabled/i.test(text)) return 'not_kerberized';
  if (/Server has invalid Kerberos principal|Server not found in Kerberos database/i.test(text)) return 'server_principal';
  if (/Failed to find any Kerberos tgt|Ticket expired|cannot authenticate via/i.test(text)) return 'ticket_expired';
  return undefined;
}

/** What `reason` means for the operator, with what to do: one sentence, no secret. */
export function explain(reason: AuthReason, w: Who): string {
  const p = w.principal ?? 'hbr';
  const k = w.keytab ?? 'its keytab';
  switch (reason) {
    case 'keytab':
      return `cluster ${w.cluster}: cannot log in as ${p} with keytab ${k}: the keytab is missing, unreadable, or holds no key for ${p} (wrong principal? klist -kt ${k} lists what it has)`;
    case 'keytab_stale':
      return `cluster ${w.cluster}: the keytab ${k} is out of date for ${p} (its key does not match the KDC's): export it again`;
    case 'principal_unknown':
      return `cluster ${w.cluster}: the KDC does not know principal ${p}`;
    case 'clock_skew':
      return `cluster ${w.cluster}: this host's clock differs from the KDC's by more than the allowed skew (5 min by default): fix NTP`;
    case 'ticket_expired':
      return `cluster ${w.cluster}: no valid Kerberos ticket for ${p} (expired or never obtained)`;
    case 'kdc_unreachable':
      return `cluster ${w.cluster}: cannot reach the KDC of ${p}'s realm (krb5.conf: ${w.krb5Conf ?? "the system's"})`;
    case 'not_kerberized':
      return `cluster ${w.cluster}: the Hadoop configuration hbr's tools use does not enable Kerberos (hadoop.security.authentication): set conf_dir to the cluster's configuration`;
    case 'server_principal':
      return `cluster ${w.cluster}: the configuration names the NameNode's principal differently from what it uses: check dfs.namenode.kerberos.principal`;
    case 'token_invalid':
      return `cluster ${w.cluster} refused hbr's delegation token even after a fresh one was fetched`;
    case 'tls_untrusted':
      return `cluster ${w.cluster}: the server's certificate is not trusted: its issuer is not in ca_bundle${w.caBundle ? ` ${w.caBundle}` : " (none set: Node's default CAs)"}`;
    case 'tls_hostname':
      return `cluster ${w.cluster}: the server's certificate is not for this host name: use the name the certificate carries`;
    case 'tls_expired':
      return `cluster ${w.cluster}: the server's certificate has expired or is not valid yet (check the clocks)`;
    case 'tls_plain_port':
      return `cluster ${w.cluster}: TLS to a plain-HTTP port, or http:// to an HTTPS port: is the URL's scheme right?`;
    case 'no_active_namenode':
      return `cluster ${w.cluster}: no active NameNode`;
  }
}

/** Node's TLS error codes (docs/design/secure-proposal.md §3.2, §3.3), by reason. */
const TLS: Record<string, AuthReason> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls_untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls_untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'tls_untrusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls_untrusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls_untrusted',
  CERT_UNTRUSTED: 'tls_untrusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls_hostname',
  CERT_HAS_EXPIRED: 'tls_expired',
  CERT_NOT_YET_VALID: 'tls_expired',
  ERR_SSL_WRONG_VERSION_NUMBER: 'tls_plain_port',
  EPROTO: 'tls_plain_port',
};

export function tlsReason(code: string | undefined): AuthReason | undefined {
  return code === undefined ? undefined : TLS[code];
}

/**
 * How a WebHDFS error answer (403 + RemoteException) reads: the standby's answer (§2.6: try the
 * other NameNode, never "bad token"), a refused delegation token (§2.5: re-fetch once), or neither.
 */
export function webhdfsRefusal(exception: string | undefined, message: string): 'standby' | 'token' | undefined {
  if (exception === 'StandbyException' || /StandbyException/.test(message) && !/SecretManager\$InvalidToken: Token/.test(message)) return 'standby';
  if (exception === 'SecurityException' || exception === 'InvalidToken') {
    if (/SecretManager\$InvalidToken|has expired|can't be found in cache|password doesn't match/.test(message)) return 'token';
  }
  return undefined;
}

/** Why a token was refused, from the NameNode's message (AbstractDelegationTokenSecretManager, §2.5). */
export function tokenRefusalKind(message: string): 'expired' | 'unknown' | 'invalid' {
  if (/has expired/.test(message)) return 'expired';
  if (/can't be found in cache/.test(message)) return 'unknown';
  return 'invalid';
}

/** The lines of a JVM's output worth showing an operator: exceptions and causes, redacted, no usage text. */
export function jvmCause(stderr: string): string {
  const lines = redactSecrets(stderr)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /Exception|Error|failed|Caused by/i.test(l) && !/^\s*at /.test(l));
  return (lines[lines.length - 1] ?? lines[0] ?? '').slice(0, 300);
}
