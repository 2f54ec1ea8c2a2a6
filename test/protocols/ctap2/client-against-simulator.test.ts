/**
 * The CTAP2 client against the simulated authenticator, in process: every command, both PIN/UV
 * auth protocols, both credential algorithms, and each way a key can refuse.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  ClientPin, Ctap2Device, Ctap2Error, CTAP_STATUS, PERMISSION, getAssertion, getInfo, getNextAssertion, makeCredential,
  parseAuthenticatorData, parseCoseKey, uvCapability, verifyAssertion, verifyAttestation, pinUvAuthProtocol, COSE,
} from '../../../src/main/protocols/ctap2/index.js';
import { SimAuthenticator, type SimAuthenticatorOptions } from '../../testbed/fido/authenticator.js';
import { InProcessCtapTransport } from '../../testbed/fido/in-process-transport.js';

const RP = 'tessera.local';
const pin = (s: string): Buffer => Buffer.from(s, 'utf8');

function setup(opts: SimAuthenticatorOptions = {}): { sim: SimAuthenticator; dev: Ctap2Device; transport: InProcessCtapTransport } {
  const sim = new SimAuthenticator(opts);
  const transport = new InProcessCtapTransport(sim.handler);
  return { sim, dev: new Ctap2Device(transport), transport };
}

async function statusOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Ctap2Error && e.code === 'ctap_status') return e.status;
    throw e;
  }
  return undefined;
}

async function enrol(dev: Ctap2Device, clientPin: ClientPin, p: Buffer, algorithms: Array<-7 | -8> = [-7]) {
  const cdh = randomBytes(32);
  const t = await clientPin.getPinUvAuthTokenUsingPinWithPermissions(p, PERMISSION.mc | PERMISSION.ga, RP);
  const mc = await makeCredential(dev, { clientDataHash: cdh, rp: { id: RP }, user: { id: Buffer.from('u1') }, algorithms, pinUvAuth: t });
  const ad = parseAuthenticatorData(mc.authData);
  const acd = ad.attestedCredentialData;
  assert.ok(acd);
  const key = parseCoseKey(acd.publicKey);
  return { mc, ad, acd, key, token: t, cdh };
}

describe('CTAP2 client against the simulator', () => {
  it('getInfo reports versions, AAGUID, options and protocols', async () => {
    const { dev, sim } = setup({ pin: '1234' });
    const info = await getInfo(dev);
    assert.deepEqual(info.versions, ['FIDO_2_0', 'FIDO_2_1']);
    assert.deepEqual(info.aaguid, sim.aaguid);
    assert.deepEqual(info.pinUvAuthProtocols, [2, 1]);
    assert.equal(info.options['clientPin'], true);
    assert.deepEqual(uvCapability(info), { pin: 'set', builtInUv: 'unsupported', permissionsTokens: true });
    assert.deepEqual(info.algorithms?.map((a) => a.alg), [-7, -8]);
    assert.deepEqual(uvCapability(await getInfo(setup({}).dev)).pin, 'not_set');
    assert.deepEqual(uvCapability(await getInfo(setup({ pinSupport: false }).dev)), { pin: 'unsupported', builtInUv: 'unsupported', permissionsTokens: false });
  });

  for (const version of [1, 2] as const) {
    describe(`PIN/UV auth protocol ${version}`, () => {
      it('setPIN, getRetries, changePIN, then getPinToken with the new PIN only', async () => {
        const { dev, sim } = setup({});
        const cp = new ClientPin(dev, pinUvAuthProtocol(version));
        await cp.setPin(pin('123456'));
        assert.equal(sim.pinIsSet, true);
        assert.deepEqual(await cp.getRetries(), { pinRetries: 8, powerCycleState: false });
        await cp.changePin(pin('123456'), pin('9876'));
        assert.equal(await statusOf(cp.getPinToken(pin('123456'))), CTAP_STATUS.CTAP2_ERR_PIN_INVALID);
        const t = await cp.getPinToken(pin('9876'));
        assert.equal(t.token.length, 32);
        assert.equal((await cp.getRetries()).pinRetries, 8);
        assert.equal(await statusOf(cp.setPin(pin('5555'))), CTAP_STATUS.CTAP2_ERR_NOT_ALLOWED);
      });

      it('makeCredential + getAssertion with a permission token verify end to end (ES256 and EdDSA)', async () => {
        for (const alg of [COSE.algES256, COSE.algEdDSA] as const) {
          const { dev } = setup({ pin: '1234', pinProtocols: [version] });
          const cp = ClientPin.forInfo(dev, await getInfo(dev));
          assert.equal(cp.protocol.version, version);
          const { mc, ad, acd, key, cdh } = await enrol(dev, cp, pin('1234'), [alg]);
          assert.equal(key.alg, alg);
          assert.ok(ad.flags.up && ad.flags.uv && ad.flags.at);
          assert.deepEqual(verifyAttestation(mc.fmt, mc.attStmt, ad, cdh, key), { fmt: 'packed', type: 'self' });
          const t = await cp.getPinUvAuthTokenUsingPinWithPermissions(pin('1234'), PERMISSION.ga, RP);
          const cdh2 = randomBytes(32);
          const a = await getAssertion(dev, { rpId: RP, clientDataHash: cdh2, allowList: [acd.credentialId], pinUvAuth: t });
          assert.deepEqual(a.credentialId, acd.credentialId);
          const checked = verifyAssertion({ authData: a.authData, signature: a.signature, clientDataHash: cdh2, rpId: RP, credentialKey: key, storedSignCount: ad.signCount });
          assert.equal(checked.signCount, 1);
          assert.throws(() => verifyAssertion({ authData: a.authData, signature: a.signature, clientDataHash: randomBytes(32), rpId: RP, credentialKey: key, storedSignCount: 0 }), { code: 'bad_signature' });
          assert.throws(() => verifyAssertion({ authData: a.authData, signature: a.signature, clientDataHash: cdh2, rpId: 'other.example', credentialKey: key, storedSignCount: 0 }), { code: 'rp_id_mismatch' });
          assert.throws(() => verifyAssertion({ authData: a.authData, signature: a.signature, clientDataHash: cdh2, rpId: RP, credentialKey: key, storedSignCount: 1 }), { code: 'possible_clone' });
        }
      });
    });
  }

  it('getPinToken (CTAP 2.0) works and a wrong pinUvAuthParam is refused', async () => {
    const { dev } = setup({ pin: '1234' });
    const cp = ClientPin.forInfo(dev, await getInfo(dev));
    const t = await cp.getPinToken(pin('1234'));
    const forged = { protocol: t.protocol, token: randomBytes(32) };
    const st = await statusOf(makeCredential(dev, { clientDataHash: randomBytes(32), rp: { id: RP }, user: { id: Buffer.from('u') }, algorithms: [-7], pinUvAuth: forged }));
    assert.equal(st, CTAP_STATUS.CTAP2_ERR_PIN_AUTH_INVALID);
  });

  it('a token bound to another rpId or without the ga permission is refused', async () => {
    const { dev } = setup({ pin: '1234' });
    const cp = ClientPin.forInfo(dev, await getInfo(dev));
    const { acd } = await enrol(dev, cp, pin('1234'));
    const mcOnly = await cp.getPinUvAuthTokenUsingPinWithPermissions(pin('1234'), PERMISSION.mc, RP);
    assert.equal(await statusOf(getAssertion(dev, { rpId: RP, clientDataHash: randomBytes(32), allowList: [acd.credentialId], pinUvAuth: mcOnly })), CTAP_STATUS.CTAP2_ERR_UNAUTHORIZED_PERMISSION);
    const other = await cp.getPinUvAuthTokenUsingPinWithPermissions(pin('1234'), PERMISSION.ga, 'other.example');
    assert.equal(await statusOf(getAssertion(dev, { rpId: RP, clientDataHash: randomBytes(32), allowList: [acd.credentialId], pinUvAuth: other })), CTAP_STATUS.CTAP2_ERR_UNAUTHORIZED_PERMISSION);
  });

  it('counts wrong PINs down, applies the 3-consecutive rule, and blocks at 0', async () => {
    const { dev, sim } = setup({ pin: '1234' });
    const cp = ClientPin.forInfo(dev, await getInfo(dev));
    assert.equal(await statusOf(cp.getPinToken(pin('0000'))), CTAP_STATUS.CTAP2_ERR_PIN_INVALID);
    assert.equal(await statusOf(cp.getPinToken(pin('0000'))), CTAP_STATUS.CTAP2_ERR_PIN_INVALID);
    assert.equal(await statusOf(cp.getPinToken(pin('0000'))), CTAP_STATUS.CTAP2_ERR_PIN_AUTH_BLOCKED);
    assert.equal(await statusOf(cp.getPinToken(pin('1234'))), CTAP_STATUS.CTAP2_ERR_PIN_AUTH_BLOCKED);
    assert.equal((await cp.getRetries()).pinRetries, 5);
    sim.powerCycle();
    for (let i = 0; i < 4; i++) {
      if (i === 3) sim.powerCycle();
      assert.equal(await statusOf(cp.getPinToken(pin('0000'))), i === 2 ? CTAP_STATUS.CTAP2_ERR_PIN_AUTH_BLOCKED : CTAP_STATUS.CTAP2_ERR_PIN_INVALID);
    }
    sim.powerCycle();
    assert.equal(await statusOf(cp.getPinToken(pin('0000'))), CTAP_STATUS.CTAP2_ERR_PIN_BLOCKED);
    assert.equal((await cp.getRetries()).pinRetries, 0);
    assert.equal(await statusOf(cp.getPinToken(pin('1234'))), CTAP_STATUS.CTAP2_ERR_PIN_BLOCKED);
  });

  it('on-key biometrics: getPinUvAuthTokenUsingUvWithPermissions; a mismatch is UV_INVALID', async () => {
    const { dev } = setup({ builtInUv: true, pinSupport: false });
    const info = await getInfo(dev);
    assert.equal(uvCapability(info).builtInUv, 'configured');
    const cp = ClientPin.forInfo(dev, info);
    const t = await cp.getPinUvAuthTokenUsingUvWithPermissions(PERMISSION.mc | PERMISSION.ga, RP);
    const mc = await makeCredential(dev, { clientDataHash: randomBytes(32), rp: { id: RP }, user: { id: Buffer.from('u') }, algorithms: [-8], pinUvAuth: t });
    assert.equal(parseAuthenticatorData(mc.authData).flags.uv, true);
    const bad = setup({ builtInUv: true, uvMismatch: true });
    const cp2 = ClientPin.forInfo(bad.dev, await getInfo(bad.dev));
    assert.equal(await statusOf(cp2.getPinUvAuthTokenUsingUvWithPermissions(PERMISSION.ga, RP)), CTAP_STATUS.CTAP2_ERR_UV_INVALID);
  });

  it('user presence denied / timed out come back as their CTAP status; keepalives reach the caller', async () => {
    const denied = setup({ userPresence: 'denied', pin: '1234' });
    const cp = ClientPin.forInfo(denied.dev, await getInfo(denied.dev));
    const t = await cp.getPinUvAuthTokenUsingPinWithPermissions(pin('1234'), PERMISSION.mc, RP);
    assert.equal(await statusOf(makeCredential(denied.dev, { clientDataHash: randomBytes(32), rp: { id: RP }, user: { id: Buffer.from('u') }, algorithms: [-7], pinUvAuth: t })), CTAP_STATUS.CTAP2_ERR_OPERATION_DENIED);
    const slow = setup({ pin: '1234', touchDelayMs: 60 });
    const seen: string[] = [];
    const dev = new Ctap2Device(slow.transport, { onKeepalive: (s) => seen.push(s) });
    const cp2 = ClientPin.forInfo(dev, await getInfo(dev));
    const t2 = await cp2.getPinUvAuthTokenUsingPinWithPermissions(pin('1234'), PERMISSION.mc, RP);
    await makeCredential(dev, { clientDataHash: randomBytes(32), rp: { id: RP }, user: { id: Buffer.from('u') }, algorithms: [-7], pinUvAuth: t2 });
    assert.ok(seen.length >= 1 && seen.every((s) => s === 'user-presence-needed'));
    const timeout = setup({ userPresence: 'timeout', touchDelayMs: 10, pin: '1234' });
    const cp3 = ClientPin.forInfo(timeout.dev, await getInfo(timeout.dev));
    const t3 = await cp3.getPinUvAuthTokenUsingPinWithPermissions(pin('1234'), PERMISSION.mc, RP);
    assert.equal(await statusOf(makeCredential(timeout.dev, { clientDataHash: randomBytes(32), rp: { id: RP }, user: { id: Buffer.from('u') }, algorithms: [-7], pinUvAuth: t3 })), CTAP_STATUS.CTAP2_ERR_USER_ACTION_TIMEOUT);
  });

  it('slow key: keepalives "processing" first, then the answer; an abort cancels the request', async () => {
    const slow = setup({ pin: '1234', processingDelayMs: 90 });
    const seen: string[] = [];
    const dev = new Ctap2Device(slow.transport, { onKeepalive: (s) => seen.push(s) });
    const info = await getInfo(dev);
    assert.equal(info.options['clientPin'], true);
    assert.ok(seen.length >= 1 && seen.every((s) => s === 'processing'));
    const abort = new AbortController();
    const pending = getInfo(dev, { signal: abort.signal });
    abort.abort();
    await assert.rejects(pending, { code: 'cancelled' });
  });

  it('getNextAssertion walks the other matching credentials', async () => {
    const { dev } = setup({ pin: '1234' });
    const cp = ClientPin.forInfo(dev, await getInfo(dev));
    const a = await enrol(dev, cp, pin('1234'));
    const b = await enrol(dev, cp, pin('1234'), [-8]);
    const t = await cp.getPinUvAuthTokenUsingPinWithPermissions(pin('1234'), PERMISSION.ga, RP);
    const cdh = randomBytes(32);
    const first = await getAssertion(dev, { rpId: RP, clientDataHash: cdh, allowList: [a.acd.credentialId, b.acd.credentialId], pinUvAuth: t });
    assert.equal(first.numberOfCredentials, 2);
    const second = await getNextAssertion(dev);
    assert.deepEqual(second.credentialId, b.acd.credentialId);
    verifyAssertion({ authData: second.authData, signature: second.signature, clientDataHash: cdh, rpId: RP, credentialKey: b.key, storedSignCount: 0 });
    assert.equal(await statusOf(getNextAssertion(dev)), CTAP_STATUS.CTAP2_ERR_NOT_ALLOWED);
  });

  it('the wire request is canonical CBOR: command byte then keys in ascending order', async () => {
    const { dev, transport } = setup({ pin: '1234' });
    const cp = ClientPin.forInfo(dev, await getInfo(dev));
    await cp.getPinUvAuthTokenUsingPinWithPermissions(pin('1234'), PERMISSION.ga, RP);
    const req = transport.log.at(-1)!.request;
    assert.equal(req[0], 0x06);
    // a6 = map(6): 01 02 | 02 09 | 03 {...} | 06 bytes | 09 02 | 0a "tessera.local"
    assert.equal(req[1], 0xa6);
    assert.deepEqual([...req.subarray(2, 6)], [0x01, 0x02, 0x02, 0x09]);
    assert.deepEqual(req.subarray(req.length - 2 - RP.length - 2), Buffer.concat([Buffer.from([0x09, 0x02, 0x0a, 0x60 + RP.length]), Buffer.from(RP)]));
    assert.equal(createHash('sha256').update(RP).digest().length, 32);
  });
});
