/**
 * `tessera fido` through the real pcscd: an NFC FIDO key (the simulator behind a vpcd card) on
 * one reader and a CPS card on the other. Enrolment proven by a live CPS + PIN login, then
 * verification of the key over CTAP-over-PC/SC, right and wrong PIN.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { getSharedTestPki, type TestPki } from '../../testbed/pki/test-pki.js';
import { SimAuthenticator } from '../../testbed/fido/authenticator.js';
import { NfcFidoCard } from '../../testbed/fido/nfc-fido-card.js';
import { tessera } from './fido-cli-run.js';

describe('tessera fido through PC/SC (NFC key + CPS card)', () => {
  let bed: TestBed;
  let pki: TestPki;
  let dir: string;
  let trust: string;

  before(async () => {
    bed = await openTestBed();
    pki = await getSharedTestPki();
    dir = mkdtempSync(join(tmpdir(), 'tessera-fido-pcsc-'));
    trust = join(dir, 'trust.pem');
    writeFileSync(trust, pki.caBundlePem);
  });

  after(async () => {
    await bed.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrols an NFC key after a CPS + PIN login, then verifies it (exit 0, then 2 on a wrong PIN)', async () => {
    const cert = await pki.issueCardCertificate();
    await bed.insert(0, new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '1234' }));
    const sim = new SimAuthenticator({ pin: '4321' });
    await bed.insert(1, new NfcFidoCard({ handler: sim.handler }));
    const env = bed.pcscd.env;
    const store = join(dir, 'store.json');
    const device = `pcsc:${bed.readerNames[1]}`;
    const user = 'rpps:10001234567';
    try {
      const other = await tessera(['fido', 'enroll', '--device', device, '--user', 'rpps:19999999999', '--pin-stdin', '--store', store, '--cps-reader', bed.readerNames[0], '--trust', trust, '--json'], '1234\n4321\n', env);
      assert.equal(other.code, 1, other.stderr);
      assert.equal(other.json?.['error'], 'enrolment_refused');
      const e = await tessera(['fido', 'enroll', '--device', device, '--user', user, '--pin-stdin', '--store', store, '--cps-reader', bed.readerNames[0], '--trust', trust, '--json'], '1234\n4321\n', env);
      assert.equal(e.code, 0, e.stderr);
      assert.equal((e.json?.['enrolledWith'] as Record<string, string>)['means'], 'cps');
      assert.equal(sim.credentialCount, 1);
      const v = await tessera(['fido', 'verify', '--device', device, '--user', user, '--pin-stdin', '--store', store, '--json'], '4321\n', env);
      assert.equal(v.code, 0, v.stderr);
      assert.equal(v.json?.['means'], 'fido2');
      assert.deepEqual(v.json?.['factors'], ['possession', 'knowledge']);
      assert.equal(v.json?.['signCount'], 1);
      const w = await tessera(['fido', 'verify', '--device', device, '--user', user, '--pin-stdin', '--store', store, '--json'], '0000\n', env);
      assert.equal(w.code, 2, w.stderr);
      assert.equal(w.json?.['retriesLeft'], 7);
      const info = await tessera(['fido', 'info', '--device', device, '--json'], '', env);
      assert.equal(info.code, 0, info.stderr);
      assert.equal(info.json?.['pin'], 'set');
    } finally {
      await bed.eject(0);
      await bed.eject(1);
    }
  });

  it('an empty reader: exit 6 no_device', async () => {
    const r = await tessera(['fido', 'verify', '--device', `pcsc:${bed.readerNames[1]}`, '--user', 'rpps:1', '--pin-stdin', '--store', join(dir, 'x.json'), '--json'], '1234\n', bed.pcscd.env);
    assert.equal(r.code, 6, r.stderr);
    assert.equal(r.json?.['error'], 'no_device');
  });
});
