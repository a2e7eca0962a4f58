/**
 * A throw-away OpenLDAP server for the ldap provider's tests: `/usr/sbin/slapd -f slapd.conf` in a temp folder,
 * back_mdb, the Debian schemas core/cosine/nis/inetorgperson (plus, with `sshKeys`, a two-line openssh-lpk schema),
 * suffix dc=stint,dc=test, listening on free 127.0.0.1 ports for ldap:// (StartTLS offered) and ldaps:// with an
 * openssl-made certificate whose file tests pass as `tlsCaFile`. Two bind DNs: the rootdn, and `cn=stint` — what a
 * deployment gives Stint, with the ACL docs/providers/ldap.md recommends: write on ou=people and on the member
 * attributes and description of ou=groups, but only read on `cn=locked` (the access-denied case). `stop()` kills the server and deletes the folder.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'ldapts';
import { freePort } from './test-redis.ts';

const run = promisify(execFile);

export const SUFFIX = 'dc=stint,dc=test';
export const ROOT_DN = `cn=admin,${SUFFIX}`;
export const STINT_DN = `cn=stint,ou=services,${SUFFIX}`;
export const PEOPLE = `ou=people,${SUFFIX}`;
export const GROUPS = `ou=groups,${SUFFIX}`;

export interface Slapd {
  /** ldap://127.0.0.1:port (StartTLS available). */
  url: string;
  /** ldaps://127.0.0.1:port. */
  ldapsUrl: string;
  /** PEM of the self-signed server certificate (its own CA). */
  caFile: string;
  rootPassword: string;
  stintPassword: string;
  dir: string;
  /** A client bound as the rootdn; the caller unbinds it. */
  admin(): Promise<Client>;
  stop(): Promise<void>;
}

const LPK_SCHEMA = `attributetype ( 1.3.6.1.4.1.24552.500.1.1.1.13 NAME 'sshPublicKey' DESC 'OpenSSH public key' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 )
objectclass ( 1.3.6.1.4.1.24552.500.1.1.2.0 NAME 'ldapPublicKey' SUP top AUXILIARY DESC 'OpenSSH LPK objectclass' MAY ( sshPublicKey $ uid ) )
`;

function slapdConf(dir: string, rootPassword: string, sshKeys: boolean, tls: boolean): string {
  const schemas = ['core', 'cosine', 'nis', 'inetorgperson'].map((name) => `include /etc/ldap/schema/${name}.schema`);
  if (sshKeys) schemas.push(`include ${join(dir, 'openssh-lpk.schema')}`);
  return `${schemas.join('\n')}
pidfile ${join(dir, 'slapd.pid')}
argsfile ${join(dir, 'slapd.args')}
modulepath /usr/lib/ldap
moduleload back_mdb
password-hash {SSHA}
${tls ? `TLSCertificateFile ${join(dir, 'cert.pem')}\nTLSCertificateKeyFile ${join(dir, 'key.pem')}` : ''}

database mdb
suffix "${SUFFIX}"
rootdn "${ROOT_DN}"
rootpw ${rootPassword}
directory ${join(dir, 'db')}
access to attrs=userPassword
  by dn.exact="${STINT_DN}" write
  by self write
  by anonymous auth
  by * none
access to dn.exact="cn=locked,${GROUPS}"
  by * read
access to dn.subtree="${GROUPS}" attrs=member,uniqueMember,memberUid,description
  by dn.exact="${STINT_DN}" write
  by * read
access to dn.subtree="${PEOPLE}"
  by dn.exact="${STINT_DN}" write
  by * read
access to * by * read
`;
}

/** ou=people with alice, bob, carol; ou=groups with one group per membership attribute, and the locked one. */
function seedLdif(stintPassword: string): string {
  const person = (uid: string, number: number) => `dn: uid=${uid},${PEOPLE}
objectClass: inetOrgPerson
objectClass: posixAccount
uid: ${uid}
cn: ${uid}
sn: ${uid}
uidNumber: ${number}
gidNumber: ${number}
homeDirectory: /home/${uid}
`;
  return `dn: ${SUFFIX}
objectClass: dcObject
objectClass: organization
dc: stint
o: Stint tests

dn: ou=services,${SUFFIX}
objectClass: organizationalUnit
ou: services

dn: ${STINT_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: stint
userPassword: ${stintPassword}

dn: ${PEOPLE}
objectClass: organizationalUnit
ou: people

${person('alice', 5001)}
${person('bob', 5002)}
${person('carol', 5003)}
dn: ${GROUPS}
objectClass: organizationalUnit
ou: groups

dn: cn=dba,${GROUPS}
objectClass: groupOfNames
cn: dba
member: uid=carol,${PEOPLE}

dn: cn=auditors,${GROUPS}
objectClass: groupOfUniqueNames
cn: auditors
uniqueMember: uid=carol,${PEOPLE}

dn: cn=wheel,${GROUPS}
objectClass: posixGroup
cn: wheel
gidNumber: 6000
memberUid: carol

dn: cn=locked,${GROUPS}
objectClass: groupOfNames
cn: locked
member: uid=carol,${PEOPLE}
`;
}

async function answers(url: string, dn: string, password: string): Promise<boolean> {
  const client = new Client({ url, connectTimeout: 500, timeout: 1000 });
  try {
    await client.bind(dn, password);
    return true;
  } catch {
    return false;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** `sshKeys`: load the openssh-lpk schema. `tls: false`: no certificate, no ldaps:// listener, no StartTLS. */
export async function startSlapd(options: { sshKeys?: boolean; tls?: boolean } = {}): Promise<Slapd> {
  const tls = options.tls !== false;
  const dir = mkdtempSync(join(tmpdir(), 'stint-slapd-'));
  mkdirSync(join(dir, 'db'));
  const rootPassword = `root-${Math.random().toString(36).slice(2)}`;
  const stintPassword = `stint-${Math.random().toString(36).slice(2)}`;
  if (options.sshKeys) writeFileSync(join(dir, 'openssh-lpk.schema'), LPK_SCHEMA);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  writeFileSync(join(dir, 'slapd.conf'), slapdConf(dir, rootPassword, options.sshKeys === true, tls));
  const port = await freePort();
  const tlsPort = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = `ldaps://127.0.0.1:${tlsPort}`;
  // -d keeps slapd in the foreground, so the child is the server and stop() kills exactly it.
  const listeners = tls ? `${url}/ ${ldapsUrl}/` : `${url}/`;
  const child: ChildProcess = spawn('/usr/sbin/slapd', ['-f', join(dir, 'slapd.conf'), '-h', listeners, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 15_000;
    while (!(await answers(url, ROOT_DN, rootPassword))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`slapd did not start: ${stderr.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    writeFileSync(join(dir, 'seed.ldif'), seedLdif(stintPassword));
    await run('ldapadd', ['-x', '-H', url, '-D', ROOT_DN, '-w', rootPassword, '-f', join(dir, 'seed.ldif')]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    ldapsUrl,
    caFile: join(dir, 'cert.pem'),
    rootPassword,
    stintPassword,
    dir,
    async admin() {
      const client = new Client({ url, timeout: 5000, connectTimeout: 2000 });
      await client.bind(ROOT_DN, rootPassword);
      return client;
    },
    stop,
  };
}
