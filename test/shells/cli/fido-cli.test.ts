/**
 * `tessera fido ...` end to end over CTAPHID/UDP: the real binary in a child process, the
 * simulated authenticator behind `startUdpCtapDevice` in this process. One test per stable exit
 * code of the issue, plus info, set-pin, change-pin, enroll (proof by another enrolled key),
 * revoke and list.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrollFidoKey, JsonFileEnrolmentStore } from '../../../src/main/means/fido2/index.js';
import type { AuthEvent } from '../../../src/main/means/auth-event.js';
import { SimAuthenticator, type SimAuthenticatorOptions } from '../../testbed/fido/authenticator.js';
import { startUdpCtapDevice, type UdpCtapDevice } from '../../testbed/fido/ctaphid-device.js';
import { InProcessCtapTransport } from '../../testbed/fido/in-process-transport.js';
import { tessera } from './fido-cli-run.js';

const USER = 'rpps:10001234567';
const cpsEvent = (): AuthEvent => ({
  means: 'cps',
  factors: ['possession', 'knowledge'],
  subject: { id: USER, name: 'Camille Martin' },
  proof: { kind: 'card-signature', challenge: '00', certificateSha256: 'ab' },
  at: new Date(),
});

describe('tessera fido over UDP (CTAPHID)', () => {
  let dir: string;
  let n = 0;
  const devices: UdpCtapDevice[] = [];

  async function key(opts: SimAuthenticatorOptions): Promise<{ sim: SimAuthenticator; uri: string }> {
    const sim = new SimAuthenticator(opts);
    const dev = await startUdpCtapDevice({ handler: sim.handler, devicePort: 0, hostPort: 0 });
    devices.push(dev);
    return { sim, uri: dev.uri };
  }

  /** A key already enrolled for USER (enrolment done in process, as after a CPS login). */
  async function enrolledKey(opts: SimAuthenticatorOptions = { pin: '1234' }): Promise<{ sim: SimAuthenticator; uri: string; store: string }> {
    const k = await key(opts);
    const store = join(dir, `store-${n++}.json`);
    await enrollFidoKey(new InProcessCtapTransport(k.sim.handler), { personEvent: cpsEvent(), personId: USER, verification: { kind: 'pin', pin: Buffer.from('1234') }, store: new JsonFileEnrolmentStore(store) });
    return { ...k, store };
  }

  const verifyArgs = (uri: string, store: string): string[] => ['fido', 'verify', '--device', uri, '--user', USER, '--pin-stdin', '--store', store, '--json'];

  before(() => { dir = mkdtempSync(join(tmpdir(), 'tessera-fido-cli-')); });
  after(async () => {
    for (const d of devices) await d.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('info --json: versions, AAGUID, options, PIN protocols, retries', async () => {
    const k = await key({ pin: '1234' });
    const r = await tessera(['fido', 'info', '--device', k.uri, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json?.['versions'], ['FIDO_2_0', 'FIDO_2_1']);
    assert.equal(r.json?.['aaguid'], '7e55e8a0-c0de-4fa1-b0a0-f1d02a17e55e');
    assert.deepEqual(r.json?.['pinUvAuthProtocols'], [2, 1]);
    assert.equal(r.json?.['pin'], 'set');
    assert.equal(r.json?.['pinRetries'], 8);
    assert.equal((r.json?.['options'] as Record<string, boolean>)['clientPin'], true);
  });

  it('set-pin then change-pin (old and new PIN on two lines); the PIN never reaches the output', async () => {
    const k = await key({});
    const s = await tessera(['fido', 'set-pin', '--device', k.uri, '--new-pin-stdin', '--json'], '24680\n');
    assert.equal(s.code, 0, s.stderr);
    assert.equal(k.sim.pinIsSet, true);
    const wrong = await tessera(['fido', 'change-pin', '--device', k.uri, '--pin-stdin', '--json'], '11111\n97531\n');
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.equal(wrong.json?.['retriesLeft'], 7);
    const c = await tessera(['fido', 'change-pin', '--device', k.uri, '--pin-stdin', '--json'], '24680\n97531\n');
    assert.equal(c.code, 0, c.stderr);
    const again = await tessera(['fido', 'set-pin', '--device', k.uri, '--new-pin-stdin', '--json'], '13579\n');
    assert.equal(again.code, 1);
    assert.equal(again.json?.['error'], 'pin_already_set');
    for (const r of [s, wrong, c, again]) assert.ok(!/24680|97531|13579/.test(r.stdout + r.stderr));
  });

  it('verify: exit 0 with means fido2, possession + knowledge and the counter; fallback flagged', async () => {
    const k = await enrolledKey();
    const r = await tessera([...verifyArgs(k.uri, k.store), '--fallback'], '1234\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json?.['ok'], true);
    assert.equal(r.json?.['means'], 'fido2');
    assert.deepEqual(r.json?.['factors'], ['possession', 'knowledge']);
    assert.equal(r.json?.['signCount'], 1);
    assert.equal(r.json?.['fallback'], true);
  });

  it('wrong PIN: exit 2 with retriesLeft; blocked PIN: exit 3', async () => {
    const k = await enrolledKey({ pin: '1234', threeStrikes: false });
    const r = await tessera(verifyArgs(k.uri, k.store), '9999\n');
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.json?.['error'], 'wrong_pin');
    assert.equal(r.json?.['retriesLeft'], 7);
    assert.match(r.stderr, /Code PIN incorrect, 7 essais restants/);
    while (k.sim.retries > 1) await tessera(verifyArgs(k.uri, k.store), '9999\n');
    const blocked = await tessera(verifyArgs(k.uri, k.store), '9999\n');
    assert.equal(blocked.code, 3, blocked.stderr);
    assert.equal(blocked.json?.['error'], 'pin_blocked');
  });

  it('touch-only key: exit 5 uv_unavailable; PIN supported but not set: exit 5 pin_not_set', async () => {
    const k = await key({ pinSupport: false });
    const store = join(dir, 'empty-store.json');
    const other = await enrolledKey();
    const r = await tessera(verifyArgs(k.uri, other.store), '1234\n');
    assert.equal(r.code, 5, r.stderr);
    assert.equal(r.json?.['error'], 'uv_unavailable');
    assert.match(r.stderr, /un simple appui ne suffit pas/);
    const unset = await key({});
    const p = await tessera(verifyArgs(unset.uri, other.store), '1234\n');
    assert.equal(p.code, 5, p.stderr);
    assert.equal(p.json?.['error'], 'pin_not_set');
    assert.match(p.stderr, /tessera fido set-pin/);
    assert.ok(store);
  });

  it('bad assertion signature: exit 8 bad_signature', async () => {
    const k = await enrolledKey({ pin: '1234', wrongSignature: true });
    const r = await tessera(verifyArgs(k.uri, k.store), '1234\n');
    assert.equal(r.code, 8, r.stderr);
    assert.equal(r.json?.['error'], 'bad_signature');
  });

  it('user presence denied, or never given (keepalives, then timeout): exit 9; the touch prompt is shown', async () => {
    const k = await enrolledKey();
    k.sim.opts.userPresence = 'denied';
    const r = await tessera(verifyArgs(k.uri, k.store), '1234\n');
    assert.equal(r.code, 9, r.stderr);
    assert.equal(r.json?.['error'], 'user_presence_timeout');
    k.sim.opts.userPresence = 'timeout';
    k.sim.opts.touchDelayMs = 300;
    const t = await tessera(verifyArgs(k.uri, k.store), '1234\n');
    assert.equal(t.code, 9, t.stderr);
    assert.match(t.stderr, /Touchez votre clé/);
  });

  it('on-key biometrics with --uv: exit 0, possession + inherence; a slow key (keepalives) still answers', async () => {
    const k = await key({ builtInUv: true, pinSupport: false, processingDelayMs: 150 });
    const store = join(dir, `store-${n++}.json`);
    await enrollFidoKey(new InProcessCtapTransport(k.sim.handler), { personEvent: cpsEvent(), personId: USER, verification: { kind: 'builtin' }, store: new JsonFileEnrolmentStore(store) });
    const r = await tessera(['fido', 'verify', '--device', k.uri, '--user', USER, '--uv', '--store', store, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json?.['factors'], ['possession', 'inherence']);
    const info = await tessera(['fido', 'info', '--device', k.uri, '--json']);
    assert.equal(info.json?.['builtInUv'], 'configured');
    assert.equal(info.json?.['pin'], 'unsupported');
    assert.equal(info.json?.['usable'], true);
  });

  it('no device at the URI: exit 6', async () => {
    const store = join(dir, 'none.json');
    const r = await tessera(['fido', 'verify', '--device', 'udp:127.0.0.1:9?listen=0', '--user', USER, '--pin-stdin', '--store', store, '--json'], '1234\n');
    assert.equal(r.code, 6, r.stderr);
    assert.equal(r.json?.['error'], 'no_device');
  });

  it('enroll needs a 2FA proof (exit 1 usage without one); with another enrolled key it enrols; revoke then list', async () => {
    const a = await enrolledKey();
    const b = await key({ pin: '4321' });
    const none = await tessera(['fido', 'enroll', '--device', b.uri, '--user', USER, '--pin-stdin', '--store', a.store, '--json'], '1234\n4321\n');
    assert.equal(none.code, 1);
    assert.equal(none.json?.['error'], 'usage');
    const r = await tessera(['fido', 'enroll', '--device', b.uri, '--user', USER, '--pin-stdin', '--store', a.store, '--with-key', a.uri, '--json'], '1234\n4321\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json?.['ok'], true);
    assert.equal(r.json?.['alg'], -7);
    assert.equal(typeof r.json?.['credentialId'], 'string');
    assert.equal((r.json?.['enrolledWith'] as Record<string, string>)['means'], 'fido2');
    const v = await tessera(verifyArgs(b.uri, a.store), '4321\n');
    assert.equal(v.code, 0, v.stderr);
    const rv = await tessera(['fido', 'revoke', '--store', a.store, '--credential', String(r.json?.['credentialId']), '--json']);
    assert.equal(rv.code, 0, rv.stderr);
    const after = await tessera(verifyArgs(b.uri, a.store), '4321\n');
    assert.equal(after.code, 1);
    assert.equal(after.json?.['error'], 'not_enrolled');
    const l = await tessera(['fido', 'list', '--store', a.store, '--user', USER, '--json']);
    const recs = l.json?.['enrolments'] as Array<{ revoked: boolean }>;
    assert.deepEqual(recs.map((x) => x.revoked).sort(), [false, true]);
  });
});
