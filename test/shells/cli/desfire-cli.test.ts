/**
 * `tessera desfire ...` end to end: the real binary in a child process, through the isolated
 * pcscd, with the DESFire simulator (and the CPS simulator for the enrolment proof). Checks the
 * stable JSON outputs and exit codes: enrolment of blank EV1/EV2 badges (random UID too), auth,
 * read-identity, wrong master, bad MAC, no card, not a DESFire card, card pulled in the middle
 * of the authentication, revoked badge, PIN try limit across processes; enrolment, re-key and
 * revocation recorded in the audit trail before they take effect (and refused, exit 9, changing
 * nothing, when no audit trail can be opened), operators from the configuration only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { DesfireCard } from '../../testbed/cards/desfire-card.js';
import { getSharedTestPki } from '../../testbed/pki/test-pki.js';
import { createTestToken, SOFTHSM_MODULE } from '../../integrations/kms/softhsm.js';

const BIN = resolve(import.meta.dirname, '../../../../bin/tessera');
const AID = 'F51230';
const SYSID = '5445535345524131';

interface Run { code: number | null; stdout: string; stderr: string; json: Record<string, unknown> | undefined }

describe('tessera desfire through the real pcscd', () => {
  let bed: TestBed;
  let dir: string;
  let trust: string;
  let kms: string;
  let otherKms: string;
  let register: string;
  let auditDir: string;
  const badgeReader = (): string => bed.readerNames[0];
  const cpsReader = (): string => bed.readerNames[1];

  function tessera(args: string[], stdin = '', env: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolveRun, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...bed.pcscd.env, TESSERA_LANG: 'fr', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      child.once('error', reject);
      child.once('close', (code) => {
        let json: Record<string, unknown> | undefined;
        try { json = stdout.trim() ? (JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>) : undefined; } catch { json = undefined; }
        resolveRun({ code, stdout, stderr, json });
      });
      child.stdin.end(stdin);
    });
  }

  let masters: Buffer[] = [];
  function writeKms(path: string): Buffer[] {
    const keys = [0, 1, 2, 3].map(() => randomBytes(16));
    const masterKeys = keys.map((k, keyNo) => ({ aid: AID, keyNo, key: k.toString('hex'), systemIdentifier: SYSID }));
    writeFileSync(path, JSON.stringify({ backend: 'file', masterKeys }));
    chmodSync(path, 0o600);
    return keys;
  }

  const enrolArgs = (person = 'rpps:10001234567', extra: string[] = ['--audit-dir', auditDir]) => [
    'desfire', 'enroll', '--reader', badgeReader(), '--cps-reader', cpsReader(), '--trust', trust, '--kms', kms, '--register', register,
    '--person', person, '--name', 'Alice Durand', '--pins-stdin', '--json', ...extra,
  ];
  const revokeArgs = (enrolmentId: string, extra: string[] = ['--audit-dir', auditDir]) => [
    'desfire', 'revoke', '--register', register, '--enrolment', enrolmentId, '--cps-reader', cpsReader(), '--trust', trust, '--pin-stdin', '--json', ...extra,
  ];
  const rekeyArgs = (newKms: string, version: number, extra: string[] = ['--audit-dir', auditDir]) => [
    'desfire', 'rekey', '--reader', badgeReader(), '--kms', kms, '--new-kms', newKms, '--key-version', String(version), '--register', register,
    '--cps-reader', cpsReader(), '--trust', trust, '--pin-stdin', '--json', ...extra,
  ];
  /** Every record of the audit trail in `folder`, in order. */
  const auditRecords = (folder: string): Record<string, unknown>[] =>
    readdirSync(folder).filter((f) => f.endsWith('.jsonl')).sort()
      .flatMap((f) => readFileSync(join(folder, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));

  async function enrolled(opts: ConstructorParameters<typeof DesfireCard>[0]): Promise<{ card: DesfireCard; enrolmentId: string }> {
    const card = new DesfireCard(opts);
    await bed.insert(0, card);
    const r = await tessera(enrolArgs(), '1234\n4826\n');
    assert.equal(r.code, 0, `${r.stderr}${r.stdout}`);
    return { card, enrolmentId: String(r.json?.['enrolmentId']) };
  }

  before(async () => {
    bed = await openTestBed();
    const pki = await getSharedTestPki();
    dir = mkdtempSync(join(tmpdir(), 'tessera-desfire-cli-'));
    trust = join(dir, 'trust.pem');
    writeFileSync(trust, pki.caBundlePem);
    kms = join(dir, 'kms.json');
    otherKms = join(dir, 'other-kms.json');
    masters = writeKms(kms);
    writeKms(otherKms);
    register = join(dir, 'register.json');
    auditDir = join(dir, 'audit');
    const cert = await pki.issueCardCertificate();
    await bed.insert(1, new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '1234' }));
  });

  after(async () => {
    await bed.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrols a blank EV2 random-UID badge with a live CPS login, then auth and read-identity report the real UID', async () => {
    const { card, enrolmentId } = await enrolled({ ev2: true, randomUid: true });
    assert.match(enrolmentId, /^[0-9A-F]{32}$/);
    const reg = JSON.parse(readFileSync(register, 'utf8')) as { enrolments: { enrolmentId: string; uid: string; enrolledBy: string; proofMeans: string }[] };
    const rec = reg.enrolments.find((e) => e.enrolmentId === enrolmentId);
    assert.deepEqual({ uid: rec?.uid, by: rec?.enrolledBy, means: rec?.proofMeans }, { uid: card.uid.toString('hex').toUpperCase(), by: 'rpps:10001234567', means: 'cps' });

    const auth = await tessera(['desfire', 'auth', '--reader', badgeReader(), '--kms', kms, '--aid', AID, '--key-no', '1', '--json']);
    assert.equal(auth.code, 0, auth.stderr);
    assert.deepEqual(auth.json, {
      ok: true, means: 'desfire', reader: badgeReader(), uid: card.uid.toString('hex').toUpperCase(), aid: AID, keyNo: 1, keyVersion: 1, authentication: 'ev2', factors: ['possession'],
    });
    const id = await tessera(['desfire', 'read-identity', '--reader', badgeReader(), '--kms', kms, '--register', register, '--json']);
    assert.equal(id.code, 0, id.stderr);
    assert.deepEqual(id.json?.['subject'], { id: 'rpps:10001234567', name: 'Alice Durand' });
    assert.equal(id.json?.['enrolmentId'], enrolmentId);
    assert.equal(id.json?.['enrolment'], 'valid');
    await bed.eject(0);
  });

  it('EV1 badge: auth with EV1 AuthenticateAES; another master key gives exit 7 auth_failed', async () => {
    const { card } = await enrolled({ ev2: false });
    const ok = await tessera(['desfire', 'auth', '--reader', badgeReader(), '--kms', kms, '--aid', AID, '--key-no', '2', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.json?.['authentication'], 'ev1');
    assert.equal(ok.json?.['uid'], card.uid.toString('hex').toUpperCase());
    const bad = await tessera(['desfire', 'auth', '--reader', badgeReader(), '--kms', otherKms, '--aid', AID, '--key-no', '1', '--json']);
    assert.equal(bad.code, 7);
    assert.equal(bad.json?.['ok'], false);
    assert.equal(bad.json?.['error'], 'auth_failed');
    assert.match(bad.stderr, /Le badge n’a pas prouvé/);
    await bed.eject(0);
  });

  it('a badge answering with a bad MAC gives exit 7 integrity', async () => {
    const { card } = await enrolled({ ev2: true });
    card.corruptMac = true;
    const r = await tessera(['desfire', 'auth', '--reader', badgeReader(), '--kms', kms, '--aid', AID, '--key-no', '1', '--json']);
    assert.equal(r.code, 7);
    assert.equal(r.json?.['error'], 'integrity');
    await bed.eject(0);
  });

  it('no card, or a card that is not DESFire, gives exit 6', async () => {
    const none = await tessera(['desfire', 'auth', '--reader', badgeReader(), '--kms', kms, '--aid', AID, '--key-no', '1', '--json']);
    assert.equal(none.code, 6, none.stderr);
    assert.equal(none.json?.['error'], 'no_card');
    const pki = await getSharedTestPki();
    const cert = await pki.issueCardCertificate();
    await bed.insert(0, new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '1234' }));
    const cps = await tessera(['desfire', 'auth', '--reader', badgeReader(), '--kms', kms, '--aid', AID, '--key-no', '1', '--json']);
    assert.equal(cps.code, 6, cps.stderr);
    assert.equal(cps.json?.['error'], 'unsupported_card');
    await bed.eject(0);
  });

  it('a badge pulled in the middle of the authentication is reported as card_removed', async () => {
    const { card } = await enrolled({ ev2: true });
    await bed.eject(0);
    // Recognition sends 2 APDUs (FIDO select, GetVersion); the 5th after that is the 2nd frame of the key-1 authentication.
    let seen = 0;
    await bed.insert(0, card, { beforeApdu: () => (++seen === 2 + 6 ? 'pull' : undefined) });
    const r = await tessera(['desfire', 'auth', '--reader', badgeReader(), '--kms', kms, '--aid', AID, '--key-no', '1', '--json']);
    assert.notEqual(r.code, 0);
    assert.equal(r.json?.['error'], 'card_removed', r.stderr);
    await bed.slots[0].remove();
  });

  it('a revoked badge is refused (exit 8) although its keys authenticate', async () => {
    const { enrolmentId } = await enrolled({ ev2: true, randomUid: true });
    const rv = await tessera(revokeArgs(enrolmentId, ['--audit-dir', auditDir, '--reason', 'lost']), '1234\n');
    assert.equal(rv.code, 0, rv.stderr);
    assert.equal(rv.json?.['known'], true);
    assert.equal(rv.json?.['revokedBy'], 'rpps:10001234567', 'the revocation is made by the CPS holder');
    assert.equal(rv.json?.['reason'], 'lost');
    const auth = await tessera(['desfire', 'auth', '--reader', badgeReader(), '--kms', kms, '--aid', AID, '--key-no', '1', '--json']);
    assert.equal(auth.code, 0, 'the keys still authenticate');
    const id = await tessera(['desfire', 'read-identity', '--reader', badgeReader(), '--kms', kms, '--register', register, '--json']);
    assert.equal(id.code, 8);
    assert.equal(id.json?.['error'], 'badge_revoked');
    await bed.eject(0);
  });

  it('badge + PIN: the try limit holds across processes (each run is a fresh agent)', async () => {
    await enrolled({ ev2: false, randomUid: true });
    const login = (pin: string) => tessera(['desfire', 'pin-login', '--reader', badgeReader(), '--kms', kms, '--register', register, '--pin-stdin', '--json'], `${pin}\n`);
    const good = await login('4826');
    assert.equal(good.code, 0, good.stderr);
    assert.deepEqual(good.json?.['factors'], ['possession', 'knowledge']);
    for (const left of [4, 3, 2, 1]) {
      const r = await login('0000');
      assert.equal(r.code, 2);
      assert.equal(r.json?.['retriesLeft'], left);
    }
    const blocked = await login('0000');
    assert.equal(blocked.code, 3);
    assert.equal(blocked.json?.['error'], 'pin_blocked');
    const stillBlocked = await login('4826');
    assert.equal(stillBlocked.code, 3);
    assert.ok(!`${blocked.stdout}${blocked.stderr}${good.stdout}`.includes('4826'), 'the PIN is never printed');
    await bed.eject(0);
  });

  it('the pkcs11 KMS (SoftHSM2, non-extractable masters, PIN from the environment) authenticates the same badge', async () => {
    const token = createTestToken('tessera-cli-kms', '135790');
    try {
      masters.forEach((k, n) => token.importKey(`badge-f51230-${n}`, k));
      const p11 = join(dir, 'kms-p11.json');
      writeFileSync(p11, JSON.stringify({
        backend: 'pkcs11', module: SOFTHSM_MODULE, tokenLabel: token.label, pinEnv: 'TEST_KMS_PIN',
        masterKeys: masters.map((_k, keyNo) => ({ aid: AID, keyNo, keyLabel: `badge-f51230-${keyNo}`, systemIdentifier: SYSID })),
      }));
      chmodSync(p11, 0o644);
      const { card } = await enrolled({ ev2: true, randomUid: true });
      const env = { SOFTHSM2_CONF: String(process.env['SOFTHSM2_CONF']), TEST_KMS_PIN: token.pin };
      const auth = await tessera(['desfire', 'auth', '--reader', badgeReader(), '--kms', p11, '--aid', AID, '--key-no', '1', '--json'], '', env);
      assert.equal(auth.code, 0, auth.stderr);
      assert.equal(auth.json?.['uid'], card.uid.toString('hex').toUpperCase());
      const id = await tessera(['desfire', 'read-identity', '--reader', badgeReader(), '--kms', p11, '--register', register, '--json'], '', env);
      assert.equal(id.code, 0, id.stderr);
      assert.equal(id.json?.['enrolment'], 'valid');
      const noPin = await tessera(['desfire', 'auth', '--reader', badgeReader(), '--kms', p11, '--aid', AID, '--key-no', '1', '--json'], '', { SOFTHSM2_CONF: env.SOFTHSM2_CONF, TEST_KMS_PIN: '' });
      assert.equal(noPin.code, 1);
      assert.equal(noPin.json?.['error'], 'kms_pin_missing');
      await bed.eject(0);
    } finally {
      token.dispose();
    }
  });

  it('enrolment is refused for another person without the operator role (from the configuration only), and for a badge that is not blank', async () => {
    const card = new DesfireCard({ ev2: true });
    await bed.insert(0, card);
    const other = await tessera(enrolArgs('rpps:10009999999'), '1234\n4826\n');
    assert.equal(other.code, 1);
    assert.equal(other.json?.['error'], 'enrolment_refused');
    const selfGranted = await tessera(enrolArgs('rpps:10009999999', ['--audit-dir', auditDir, '--operator', 'rpps:10001234567']), '1234\n4826\n');
    assert.equal(selfGranted.code, 1);
    assert.equal(selfGranted.json?.['error'], 'usage', 'the operator role is not given on the command line');
    const config = join(dir, 'office.json');
    writeFileSync(config, JSON.stringify({ desfire: { operators: ['rpps:10001234567'] }, audit: { dir: auditDir } }));
    const asOperator = await tessera(enrolArgs('rpps:10009999999', ['--config', config]), '1234\n4826\n');
    assert.equal(asOperator.code, 0, asOperator.stderr);
    assert.equal(asOperator.json?.['enrolledBy'], 'rpps:10001234567');
    const again = await tessera(enrolArgs(), '1234\n4826\n');
    assert.equal(again.code, 1);
    assert.equal(again.json?.['error'], 'badge_not_blank');
    await bed.eject(0);
  });

  it('enrolment, re-key and revocation are audited before they take effect, naming the operator; tessera audit verify passes', async () => {
    const trail = join(dir, 'audit-chain');
    const at = ['--audit-dir', trail];
    const card = new DesfireCard({ ev2: true, randomUid: true });
    await bed.insert(0, card);
    const en = await tessera(enrolArgs('rpps:10001234567', at), '1234\n4826\n');
    assert.equal(en.code, 0, en.stderr);
    const enrolmentId = String(en.json?.['enrolmentId']);
    const uid = card.uid.toString('hex').toUpperCase();
    const newKms = join(dir, 'rekey-kms.json');
    writeKms(newKms);
    const rk = await tessera(rekeyArgs(newKms, 2, at), '1234\n');
    assert.equal(rk.code, 0, rk.stderr);
    assert.deepEqual(rk.json, { ok: true, uid, enrolmentId, keyVersion: 2 });
    const auth = await tessera(['desfire', 'auth', '--reader', badgeReader(), '--kms', newKms, '--aid', AID, '--key-no', '1', '--json']);
    assert.equal(auth.code, 0, auth.stderr);
    assert.equal(auth.json?.['keyVersion'], 2);
    const rv = await tessera(revokeArgs(enrolmentId, [...at, '--reason', 'stolen', '--by', 'rpps:10001234567']), '1234\n');
    assert.equal(rv.code, 0, rv.stderr);
    assert.equal(rv.json?.['alreadyRevoked'], false);

    const recs = auditRecords(trail);
    assert.deepEqual(recs.map((r) => [r['event'], r['reason'], r['person'], r['means']]), [
      ['means_enrolled', 'desfire.enrolled', 'rpps:10001234567', 'desfire'],
      ['means_rekeyed', 'desfire.rekeyed', 'rpps:10001234567', 'desfire'],
      ['means_revoked', 'desfire.revoked', 'rpps:10001234567', 'desfire'],
    ]);
    for (const r of recs) assert.deepEqual(r['factors'], ['possession', 'knowledge'], 'the operator authenticated with two factors');
    assert.deepEqual(recs.map((r) => r['details']), [
      { enrolmentId, badgeUid: uid, subjectPerson: 'rpps:10001234567', meansVersion: 1, reader: badgeReader() },
      { enrolmentId, badgeUid: uid, subjectPerson: 'rpps:10001234567', meansVersion: 2, reader: badgeReader() },
      { enrolmentId, badgeUid: uid, subjectPerson: 'rpps:10001234567', revocationReason: 'stolen' },
    ]);
    assert.ok(!readFileSync(join(trail, readdirSync(trail).find((f) => f.endsWith('.jsonl')) ?? ''), 'utf8').includes('4826'), 'no PIN in the trail');
    const verify = await tessera(['audit', 'verify', '--dir', trail, '--json']);
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(verify.json?.['records'], 3);
    await bed.eject(0);
  });

  it('no audit trail: enrol, re-key and revoke are refused with exit 9 audit_unavailable and change nothing', async () => {
    const { enrolmentId } = await enrolled({ ev2: true });
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const none = ['--audit-dir', join(blocker, 'audit')];
    const rv = await tessera(revokeArgs(enrolmentId, none), '1234\n');
    assert.equal(rv.code, 9, rv.stderr);
    assert.equal(rv.json?.['error'], 'audit_unavailable');
    assert.match(rv.stderr, /rien n’a été modifié/);
    const newKms = join(dir, 'unused-kms.json');
    writeKms(newKms);
    const rk = await tessera(rekeyArgs(newKms, 2, none), '1234\n');
    assert.equal(rk.code, 9, rk.stderr);
    assert.equal(rk.json?.['error'], 'audit_unavailable');
    const id = await tessera(['desfire', 'read-identity', '--reader', badgeReader(), '--kms', kms, '--register', register, '--json']);
    assert.equal(id.code, 0, 'still enrolled, not revoked, old keys still valid');
    assert.equal(id.json?.['keyVersion'], 1);
    await bed.eject(0);

    // A trail held by a live writer (the agent running on this workstation) is not shared either.
    const held = join(dir, 'audit-held');
    mkdirSync(held, { mode: 0o700 });
    writeFileSync(join(held, 'audit.lock'), `${process.pid}\n`);
    const blank = new DesfireCard({ ev2: true });
    await bed.insert(0, blank);
    const en = await tessera(enrolArgs('rpps:10001234567', ['--audit-dir', held]), '1234\n4826\n');
    assert.equal(en.code, 9, en.stderr);
    assert.equal(en.json?.['error'], 'audit_unavailable');
    const after = await tessera(enrolArgs(), '1234\n4826\n');
    assert.equal(after.code, 0, `the refused enrolment left the badge blank: ${after.stderr}`);
    await bed.eject(0);
  });
});
