/**
 * `EngineAgent.enrolFidoKey` in the agent runtime, through the real transports (a CPS login on
 * the real pcscd, the key on the UDP CTAPHID simulator): refused without a two-factor session
 * before any key is looked for; no key in time; a blank key enrolled with its PIN and a touch
 * (keepalive), `writing` then `registering`, the enrolment on the audit chain before the store
 * holds it, the PIN wiped; the same key again is already enrolled; a wrong PIN; a key without a
 * PIN; a cancel while the key waits for a touch aborts it as `cancelled` — and the same cancel
 * on the forgotten-card fallback is recorded as a cancelled authentication, the session untouched.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listAuditFiles, verifyAuditFile } from '../../../src/main/integrations/audit/index.js';
import { FidoError, JsonFileEnrolmentStore } from '../../../src/main/means/fido2/index.js';
import type { FidoEnrolmentRequest } from '../../../src/main/shells/agent/fido-enrolment.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { SimAuthenticator } from '../../testbed/fido/authenticator.js';
import { startUdpCtapDevice, type UdpCtapDevice } from '../../testbed/fido/ctaphid-device.js';
import { cpsLogin, startTestRuntime, type TestRuntime } from './runtime-fixture.js';

const KEY_PIN = '8642';

function failsWith(code: string, extra: (e: FidoError) => boolean = () => true): (e: unknown) => boolean {
  return (e) => e instanceof FidoError && e.code === code && extra(e);
}

describe('agent runtime: a FIDO2 key enrolled inside the two-factor session, through the real transports', () => {
  let bed: TestBed;
  let t: TestRuntime;
  let storeDir: string;
  let store: JsonFileEnrolmentStore;
  let ports: { devicePort: number; hostPort: number };
  let uri = '';
  let key: UdpCtapDevice | undefined;
  let person = '';

  /** Plugs `authenticator` in at the one device address the agent knows (replacing the key there). */
  const plug = async (authenticator: SimAuthenticator): Promise<void> => {
    await key?.close();
    key = await startUdpCtapDevice({ handler: authenticator.handler, ...ports });
  };
  const unplug = async (): Promise<void> => {
    await key?.close();
    key = undefined;
  };
  /** A request that records the PINs it handed out and the steps and keepalives it heard. */
  const request = (pin = KEY_PIN, extra: Partial<FidoEnrolmentRequest> = {}) => {
    const given: Buffer[] = [];
    const heard: string[] = [];
    const req: FidoEnrolmentRequest = {
      pin: async () => {
        const b = Buffer.from(pin);
        given.push(b);
        heard.push('pin');
        return b;
      },
      onStep: (step) => heard.push(step),
      onKeepalive: (s) => {
        if (s === 'user-presence-needed' && heard.at(-1) !== 'touch') heard.push('touch');
      },
      ...extra,
    };
    return { req, given, heard };
  };
  const enrolledLines = () => t.audit().filter((l) => l.event === 'means_enrolled');

  before(async () => {
    bed = await openTestBed();
    storeDir = mkdtempSync(join(tmpdir(), 'tessera-fido-enrol-'));
    store = new JsonFileEnrolmentStore(join(storeDir, 'fido-store.json'));
    const first = await startUdpCtapDevice({ handler: new SimAuthenticator({ pin: KEY_PIN }).handler, devicePort: 0, hostPort: 0 });
    ports = { devicePort: first.devicePort, hostPort: first.hostPort };
    uri = first.uri;
    await first.close();
    t = await startTestRuntime('fido-enrol', { fido: { store, devices: [uri], timeoutMs: 10_000 } });
  });

  after(async () => {
    await key?.close();
    await t.dispose();
    await bed.close();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('without a session: refused (no_session) before any key is looked for or any PIN asked', async () => {
    const { req, heard } = request();
    await assert.rejects(t.runtime.agent.enrolFidoKey(req), failsWith('enrolment_refused', (e) => e.reason === 'no_session'));
    assert.deepEqual(heard, []);
    assert.equal(enrolledLines().length, 0);
  });

  it('in the session, no key comes in time: no_device, no PIN asked', async () => {
    await cpsLogin(bed, 0, t.runtime);
    person = t.runtime.engine.status().current?.person.id ?? '';
    await unplug();
    const { req, heard } = request(KEY_PIN, { presentTimeoutMs: 600 });
    await assert.rejects(t.runtime.agent.enrolFidoKey(req), failsWith('no_device'));
    assert.deepEqual(heard, []);
  });

  it('a blank key plugged in while waiting: PIN, writing, touch, registering; audited before the store holds it; the PIN wiped', async () => {
    await unplug();
    const authenticator = new SimAuthenticator({ pin: KEY_PIN, touchDelayMs: 300 });
    let storedAtRegistering: number | undefined;
    const { req, given, heard } = request(KEY_PIN, {
      onStep: (step) => {
        heard.push(step);
        if (step === 'registering') void store.list().then((l) => (storedAtRegistering = l.length));
      },
    });
    const running = t.runtime.agent.enrolFidoKey(req);
    setTimeout(() => void plug(authenticator), 700);
    const enrolment = await running;
    assert.deepEqual(heard, ['pin', 'writing', 'touch', 'registering']);
    assert.equal(storedAtRegistering, 0, 'not stored when registering starts');
    assert.ok(given.every((b) => b.every((x) => x === 0)), 'the PIN is wiped');
    assert.equal(enrolment.personId, person);
    assert.equal(authenticator.credentialCount, 1);
    assert.deepEqual((await store.list({ personId: person })).map((r) => r.credentialId), [enrolment.credentialId]);
    const [line] = enrolledLines();
    assert.deepEqual(
      [line?.decision, line?.reason, line?.means, line?.person, line?.factors, line?.details?.['credentialId'], line?.details?.['subjectPerson']],
      ['allow', 'fido2.enrolled', 'fido2', person, ['possession', 'knowledge'], enrolment.credentialId, person],
    );
    assert.ok(!t.auditText().includes(KEY_PIN), 'no PIN on the trail');
    for (const f of await listAuditFiles(join(t.dir, 'audit'))) assert.equal((await verifyAuditFile(f)).ok, true);
  });

  it('the same key again: already_enrolled (the key refuses the excluded credential), nothing recorded', async () => {
    const { req } = request();
    await assert.rejects(t.runtime.agent.enrolFidoKey(req), failsWith('already_enrolled'));
    assert.equal(enrolledLines().length, 1);
  });

  it('a wrong PIN: wrong_pin with the tries left; a key with no PIN: pin_not_set before any PIN is asked', async () => {
    await plug(new SimAuthenticator({ pin: KEY_PIN }));
    const wrong = request('1111');
    await assert.rejects(t.runtime.agent.enrolFidoKey(wrong.req), failsWith('wrong_pin', (e) => e.retriesLeft === 7));
    assert.ok(wrong.given.every((b) => b.every((x) => x === 0)));
    await plug(new SimAuthenticator({}));
    const none = request();
    await assert.rejects(t.runtime.agent.enrolFidoKey(none.req), failsWith('pin_not_set'));
    assert.deepEqual(none.heard, []);
    assert.equal(enrolledLines().length, 1);
  });

  it('cancelled while the key waits for a touch: the key operation is aborted (cancelled), nothing enrolled', async () => {
    const authenticator = new SimAuthenticator({ pin: KEY_PIN, touchDelayMs: 5_000 });
    await plug(authenticator);
    const abort = new AbortController();
    const { req } = request(KEY_PIN, {
      signal: abort.signal,
      onKeepalive: (s) => {
        if (s === 'user-presence-needed') abort.abort();
      },
    });
    const t0 = Date.now();
    await assert.rejects(t.runtime.agent.enrolFidoKey(req), failsWith('cancelled'));
    assert.ok(Date.now() - t0 < 4_000, 'the touch was not waited for');
    assert.equal(authenticator.credentialCount, 0);
    assert.equal(enrolledLines().length, 1);
  });

  it('the forgotten-card fallback cancelled at the touch: cancelled, recorded as such, the session stays locked', async () => {
    // A key of the person's (enrolled here with a short touch), then slow to be touched.
    const authenticator = new SimAuthenticator({ pin: KEY_PIN, touchDelayMs: 200 });
    await plug(authenticator);
    await t.runtime.agent.enrolFidoKey(request().req);
    authenticator.opts.touchDelayMs = 5_000;
    await t.runtime.engine.lock();
    const abort = new AbortController();
    const pin = Buffer.from(KEY_PIN);
    const t0 = Date.now();
    await assert.rejects(
      t.runtime.agent.fidoFallback({
        person, pin, signal: abort.signal,
        onKeepalive: (s) => {
          if (s === 'user-presence-needed') abort.abort();
        },
      }),
      failsWith('cancelled'),
    );
    assert.ok(Date.now() - t0 < 4_000, 'the touch was not waited for');
    assert.ok(pin.every((b) => b === 0), 'the PIN is wiped');
    assert.equal(t.runtime.engine.status().locked, true);
    const last = t.audit().at(-1);
    assert.deepEqual([last?.event, last?.decision, last?.means, last?.details?.['errorCode']], ['authentication_failed', 'refuse', 'fido2', 'cancelled']);
  });
});
