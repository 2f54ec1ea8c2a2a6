/**
 * `tessera` CLI end to end: the real binary in a child process, through the isolated pcscd,
 * against the CPS simulator and the test PKI. Checks the stable JSON outputs and exit codes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { getSharedImpostorTestPki, getSharedTestPki, type TestPki } from '../../testbed/pki/test-pki.js';
import type { VirtualCard } from '../../testbed/virtual-card.js';

const BIN = resolve(import.meta.dirname, '../../../../bin/tessera');

interface Run { code: number | null; stdout: string; stderr: string; json: Record<string, unknown> | undefined }

function tessera(bed: TestBed, args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...bed.pcscd.env, TESSERA_LANG: 'fr' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
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
    child.stdin.end(stdin ?? '');
  });
}

describe('tessera CLI through the real pcscd', () => {
  let bed: TestBed;
  let pki: TestPki;
  let dir: string;
  let trust: string;
  const reader = (): string => bed.readerNames[0];

  async function insertCps(opts: Partial<ConstructorParameters<typeof CpsCard>[0]> = {}, cert?: { der: Buffer; privateKey: import('node:crypto').KeyObject }): Promise<CpsCard> {
    const c = cert ?? (await pki.issueCardCertificate());
    const card = new CpsCard({ certificateDer: c.der, privateKey: c.privateKey, pin: '1234', ...opts });
    await bed.insert(0, card);
    return card;
  }

  const eject = (): Promise<void> => bed.eject(0);

  before(async () => {
    bed = await openTestBed();
    pki = await getSharedTestPki();
    dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    trust = join(dir, 'trust.pem');
    writeFileSync(trust, pki.caBundlePem);
  });

  after(async () => {
    await bed.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists readers as JSON, with card presence', async () => {
    await insertCps();
    try {
      const r = await tessera(bed, ['readers', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const readers = r.json?.['readers'] as Array<{ name: string; cardPresent: boolean; atr?: string }>;
      assert.deepEqual(readers.map((x) => [x.name, x.cardPresent]).sort(), [[bed.readerNames[0], true], [bed.readerNames[1], false]]);
      assert.equal(readers.find((x) => x.cardPresent)?.atr, '3BAC00402A001225006480000310009000');
    } finally {
      await eject();
    }
  });

  it('card info detects a CPS, and an unknown card as unknown', async () => {
    await insertCps();
    try {
      const r = await tessera(bed, ['card', 'info', '--reader', reader(), '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json?.['type'], 'cps');
      assert.equal(r.json?.['atr'], '3BAC00402A001225006480000310009000');
    } finally {
      await eject();
    }
    const blank: VirtualCard = {
      atr: Buffer.from('3B8F8001804F0CA000000306030001000000006A', 'hex'),
      powerOn() {}, powerOff() {}, reset() {},
      processApdu: () => Buffer.from('6D00', 'hex'),
    };
    await bed.insert(0, blank);
    try {
      const r = await tessera(bed, ['card', 'info', '--reader', reader(), '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json?.['type'], 'unknown');
      const login = await tessera(bed, ['cps', 'login', '--reader', reader(), '--pin-stdin', '--trust', trust, '--json'], '1234\n');
      assert.equal(login.code, 6);
      assert.equal(login.json?.['error'], 'unsupported_card');
      assert.match(login.stderr, /Carte non prise en charge/);
    } finally {
      await eject();
    }
  });

  it('logs in with the right PIN: possession + knowledge, subject and certificate', async () => {
    await insertCps();
    try {
      const r = await tessera(bed, ['cps', 'login', '--reader', reader(), '--pin-stdin', '--trust', trust, '--json'], '1234\n');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json?.['ok'], true);
      assert.equal(r.json?.['means'], 'cps');
      assert.deepEqual(r.json?.['factors'], ['possession', 'knowledge']);
      const subject = r.json?.['subject'] as Record<string, string>;
      assert.equal(subject['rpps'], '10001234567');
      assert.equal(subject['name'], 'JEAN MARTIN');
      assert.equal(subject['profession'], 'Médecin');
      const cert = r.json?.['certificate'] as Record<string, string>;
      assert.match(cert['issuer'] ?? '', /TEST AC IGC-SANTE ELEMENTAIRE PERSONNES/);
      assert.match(cert['subject'] ?? '', /810001234567/);
      assert.match(cert['serial'] ?? '', /^[0-9A-F]+$/);
      assert.ok(!Number.isNaN(Date.parse(cert['notAfter'] ?? '')));
      assert.ok(!r.stdout.includes('1234\n') && !r.stderr.includes('1234'), 'the PIN must never be printed');
    } finally {
      await eject();
    }
  });

  it('wrong PIN: exit 2 with tries decreasing, third wrong PIN: exit 3, then blocked even with the right PIN', async () => {
    const card = await insertCps();
    try {
      const first = await tessera(bed, ['cps', 'login', '--reader', reader(), '--pin-stdin', '--trust', trust, '--json'], '9999\n');
      assert.equal(first.code, 2);
      assert.deepEqual([first.json?.['error'], first.json?.['retriesLeft']], ['wrong_pin', 2]);
      assert.match(first.stderr, /Code PIN incorrect, 2 essais restants/);
      const second = await tessera(bed, ['cps', 'login', '--reader', reader(), '--pin-stdin', '--trust', trust, '--json'], '9999\n');
      assert.deepEqual([second.code, second.json?.['retriesLeft']], [2, 1]);
      assert.match(second.stderr, /1 essai restant/);
      const third = await tessera(bed, ['cps', 'login', '--reader', reader(), '--pin-stdin', '--trust', trust, '--json'], '9999\n');
      assert.equal(third.code, 3);
      assert.equal(third.json?.['error'], 'pin_blocked');
      const apdusBefore = card.apduCount;
      const right = await tessera(bed, ['cps', 'login', '--reader', reader(), '--pin-stdin', '--trust', trust, '--json'], '1234\n');
      assert.equal(right.code, 3, 'a blocked PIN stays blocked');
      assert.equal(card.triesLeft, 0);
      // The agent read the counter and stopped: no VERIFY with data was sent to a blocked card.
      const verifiesWithData = bed.slots[0].apduLog.slice(-(card.apduCount - apdusBefore)).filter((a) => a[1] === 0x20 && a.length > 4);
      assert.equal(verifiesWithData.length, 0);
    } finally {
      await eject();
    }
  });

  it('refuses an untrusted chain (exit 4) without spending a PIN try', async () => {
    const impostor = await getSharedImpostorTestPki();
    const card = await insertCps({}, await impostor.issueCardCertificate());
    try {
      const r = await tessera(bed, ['cps', 'login', '--reader', reader(), '--pin-stdin', '--trust', trust, '--json'], '1234\n');
      assert.equal(r.code, 4);
      assert.equal(r.json?.['error'], 'untrusted_certificate');
      assert.equal(r.json?.['reason'], 'bad_chain_signature');
      assert.equal(card.triesLeft, 3);
    } finally {
      await eject();
    }
  });

  it('refuses an expired certificate (exit 4)', async () => {
    const now = Date.now();
    await insertCps({}, await pki.issueCardCertificate({ notBefore: new Date(now - 400 * 86400e3), notAfter: new Date(now - 86400e3) }));
    try {
      const r = await tessera(bed, ['cps', 'login', '--reader', reader(), '--pin-stdin', '--trust', trust, '--json'], '1234\n');
      assert.equal(r.code, 4);
      assert.equal(r.json?.['reason'], 'expired');
    } finally {
      await eject();
    }
  });

  it('refuses a card whose signature does not match its certificate (exit 5)', async () => {
    const cert = await pki.issueCardCertificate();
    const { privateKey: otherKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await insertCps({}, { der: cert.der, privateKey: otherKey });
    try {
      const r = await tessera(bed, ['cps', 'login', '--reader', reader(), '--pin-stdin', '--trust', trust, '--json'], '1234\n');
      assert.equal(r.code, 5);
      assert.equal(r.json?.['error'], 'bad_signature');
    } finally {
      await eject();
    }
  });

  it('no card: exit 6; no trust anchor: exit 4; malformed PIN: exit 1; broken config: exit 1 with the reason', async () => {
    const none = await tessera(bed, ['cps', 'login', '--reader', reader(), '--pin-stdin', '--trust', trust, '--json'], '1234\n');
    assert.equal(none.code, 6);
    assert.equal(none.json?.['error'], 'no_card');
    await insertCps();
    try {
      const noAnchor = await tessera(bed, ['cps', 'login', '--reader', reader(), '--pin-stdin', '--json'], '1234\n');
      assert.equal(noAnchor.code, 4);
      assert.equal(noAnchor.json?.['reason'], 'no_trust_anchor');
      const badPin = await tessera(bed, ['cps', 'login', '--reader', reader(), '--pin-stdin', '--trust', trust, '--json'], '12a4\n');
      assert.equal(badPin.code, 1);
      assert.equal(badPin.json?.['error'], 'invalid_pin_format');
      const cfg = join(dir, 'broken.json');
      writeFileSync(cfg, '{ "cps": { "trustAnchors": "not-a-list" } }');
      const broken = await tessera(bed, ['cps', 'login', '--reader', reader(), '--pin-stdin', '--config', cfg, '--json'], '1234\n');
      assert.equal(broken.code, 1);
      assert.equal(broken.json?.['error'], 'config_invalid');
      assert.match(broken.stderr, /trustAnchors/);
      assert.equal(broken.stderr.trim().split('\n').length, 1, 'one line on stderr');
    } finally {
      await eject();
    }
  });
});
