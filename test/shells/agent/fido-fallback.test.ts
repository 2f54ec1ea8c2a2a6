/**
 * The forgotten-card path in the agent runtime, through the real transports: a FIDO2 key on the
 * UDP CTAPHID simulator and an NFC key on a vpcd reader of the real pcscd. The assertion with the
 * key's PIN opens the session under the RIE row "FIDO2 key + PIN", recorded as the fallback
 * (`fallback_used` / `card_forgotten_fido_fallback` before the decision, `fallback` on the
 * decision); the control channel's `fidoFallback` does the same; a wrong PIN or a person without
 * a key is refused and recorded; the PIN is wiped and appears in no record.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listAuditFiles, verifyAuditFile } from '../../../src/main/integrations/audit/index.js';
import { ControlClient, ControlError } from '../../../src/main/integrations/control/index.js';
import type { AuthEvent } from '../../../src/main/means/auth-event.js';
import { enrollFidoKey, FidoError, JsonFileEnrolmentStore } from '../../../src/main/means/fido2/index.js';
import type { AgentRuntime } from '../../../src/main/shells/agent/agent-runtime.js';
import { openCtapDevice } from '../../../src/main/transports/ctap/open-ctap-device.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { SimAuthenticator } from '../../testbed/fido/authenticator.js';
import { startUdpCtapDevice, type UdpCtapDevice } from '../../testbed/fido/ctaphid-device.js';
import { InProcessCtapTransport } from '../../testbed/fido/in-process-transport.js';
import { NfcFidoCard } from '../../testbed/fido/nfc-fido-card.js';
import { startTestRuntime, type AuditLine, type TestRuntime } from './runtime-fixture.js';
import { until } from './until.js';

const ALICE = 'rpps:10001234567';
const BOB = 'rpps:10007654321';
const ALICE_PIN = '97531';
const BOB_PIN = '86420';

/** The two-factor event an enrolment needs (enrolment itself is tested in test/means/fido2). */
const twoFactor = (person: string): AuthEvent => ({
  means: 'cps',
  factors: ['possession', 'knowledge'],
  subject: { id: person, name: person },
  proof: { kind: 'card-signature', challenge: '00', certificateSha256: 'ab'.repeat(32) },
  at: new Date(),
});


describe('agent runtime: FIDO2 fallback for a forgotten card, through the real transports', () => {
  let bed: TestBed;
  let dir: string;
  let runtime: AgentRuntime;
  let udp: UdpCtapDevice;
  let aliceCredential = '';
  const bobKey = new SimAuthenticator({ pin: BOB_PIN });
  const aliceKey = new SimAuthenticator({ pin: ALICE_PIN });
  const pins: Buffer[] = [];

  let fixture: TestRuntime;
  let storeDir: string;
  let store: JsonFileEnrolmentStore;
  const audit = (): AuditLine[] => fixture.audit();
  const pin = (text: string): Buffer => {
    const b = Buffer.from(text);
    pins.push(b);
    return b;
  };

  before(async () => {
    bed = await openTestBed();
    storeDir = mkdtempSync(join(tmpdir(), 'tessera-fido-store-'));
    store = new JsonFileEnrolmentStore(join(storeDir, 'fido-store.json'));
    // Alice's key: the UDP CTAPHID simulator, enrolled through the same transport.
    udp = await startUdpCtapDevice({ handler: aliceKey.handler, devicePort: 0, hostPort: 0 });
    const t = await openCtapDevice(udp.uri);
    try {
      aliceCredential = (await enrollFidoKey(t, { personEvent: twoFactor(ALICE), personId: ALICE, verification: { kind: 'pin', pin: Buffer.from(ALICE_PIN) }, store })).enrolment.credentialId;
    } finally {
      await t.close();
    }
    // Bob's key: an NFC key, enrolled in process, presented later on a vpcd reader.
    await enrollFidoKey(new InProcessCtapTransport(bobKey.handler), { personEvent: twoFactor(BOB), personId: BOB, verification: { kind: 'pin', pin: Buffer.from(BOB_PIN) }, store });

    fixture = await startTestRuntime('fido-fallback', { fido: { store, devices: [udp.uri], timeoutMs: 10_000 } });
    runtime = fixture.runtime;
    dir = fixture.dir;
  });

  after(async () => {
    await fixture.dispose();
    await udp.close();
    await bed.close();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('key + PIN over UDP CTAPHID opens the session: rie.fido_pin, means fido2, fallback; the fallback is on the chain first', async () => {
    const d = await runtime.agent.fidoFallback({ person: ALICE, pin: pin(ALICE_PIN) });
    assert.deepEqual([d.decision, d.reason, d.means, d.person, d.fallback], ['open', 'rie.fido_pin', 'fido2', ALICE, true]);
    assert.deepEqual([...(d.factors ?? [])].sort(), ['knowledge', 'possession']);
    const s = runtime.engine.status();
    assert.equal(s.state, 'active');
    assert.equal(s.current?.means, 'fido2');
    const lines = audit();
    const used = lines.findIndex((l) => l.event === 'fallback_used');
    const open = lines.findIndex((l) => l.decision === 'open');
    assert.ok(used >= 0 && open > used, `fallback_used before open in ${JSON.stringify(lines)}`);
    assert.deepEqual([lines[used]?.reason, lines[used]?.means, lines[used]?.person, lines[used]?.details?.fallback, lines[used]?.details?.credentialId], ['card_forgotten_fido_fallback', 'fido2', ALICE, true, aliceCredential]);
    assert.deepEqual([lines[open]?.means, lines[open]?.details?.fallback, lines[open]?.details?.credentialId], ['fido2', true, aliceCredential]);
  });

  it('over the control channel: locked, then fidoFallback with the PIN unlocks; the answer says fallback', async () => {
    await runtime.engine.lock();
    const client = await ControlClient.connect(join(dir, 'agent.sock'), { timeoutMs: 15_000 });
    try {
      const r = await client.request('fidoFallback', { person: ALICE, pin: ALICE_PIN });
      assert.equal(r.fallback, true);
      assert.equal(r.means, 'fido2');
      assert.equal(r.person, ALICE);
      assert.ok(r.decision === 'unlock' || r.decision === 'open', JSON.stringify(r));
      assert.equal(runtime.engine.status().state, 'active');
    } finally {
      client.close();
    }
  });

  it('a wrong PIN is refused (wrong_pin, tries left) and recorded as a failed fido2 authentication; the session is untouched', async () => {
    await runtime.engine.lock();
    const wrong = pin('11111');
    await assert.rejects(runtime.agent.fidoFallback({ person: ALICE, pin: wrong }), (e: unknown) => e instanceof FidoError && e.code === 'wrong_pin' && e.retriesLeft === 7);
    assert.equal(runtime.engine.status().locked, true);
    const last = audit().at(-1);
    assert.deepEqual([last?.event, last?.decision, last?.means, last?.details?.errorCode], ['authentication_failed', 'refuse', 'fido2', 'wrong_pin']);
    const client = await ControlClient.connect(join(dir, 'agent.sock'), { timeoutMs: 15_000 });
    try {
      await assert.rejects(client.request('fidoFallback', { person: ALICE, pin: '22222' }), (e: unknown) => e instanceof ControlError && e.remoteCode === 'wrong_pin');
    } finally {
      client.close();
    }
  });

  it('a person with no enrolled key is refused (not_enrolled) before any key is used', async () => {
    await assert.rejects(runtime.agent.fidoFallback({ person: 'rpps:10009999999', pin: pin('1234') }), (e: unknown) => e instanceof FidoError && e.code === 'not_enrolled');
    assert.equal(runtime.engine.status().locked, true);
  });

  it('an NFC key on a PC/SC reader is found by itself, and skipped silently for someone else (no PIN tried on it)', async () => {
    await bed.insert(1, new NfcFidoCard({ handler: bobKey.handler }));
    await until('the agent to see the key', () => runtime.agent.readers().some((r) => r.name === bed.readerNames[1] && r.card));
    await runtime.agent.idle();
    // Alice: Bob's key on the reader comes first, answers that it holds none of her credentials, and is left alone.
    const a = await runtime.agent.fidoFallback({ person: ALICE, pin: pin(ALICE_PIN) });
    assert.deepEqual([a.decision, a.reason, a.person], ['unlock', 'rie.fido_pin', ALICE]);
    assert.equal(bobKey.retries, 8, 'Bob’s key never saw a PIN');
    // Bob: his key on the reader.
    const d = await runtime.agent.fidoFallback({ person: BOB, pin: pin(BOB_PIN) });
    assert.equal(d.person, BOB);
    // Alice's session (locked) stays; Bob's two-factor fallback switches the workstation to him.
    assert.deepEqual([d.decision, d.reason, d.previousPerson], ['switch_user', 'rie.fido_pin', ALICE]);
    assert.equal(d.fallback, true);
    assert.equal(runtime.engine.status().current?.person.id, BOB);
    await bed.eject(1);
  });

  it('no PIN given: a key with on-key biometrics (named by the request) counts as FIDO2 + biometrics', async () => {
    const carol = 'rpps:10003333333';
    const fingerprint = await startUdpCtapDevice({ handler: new SimAuthenticator({ builtInUv: true, pinSupport: false }).handler, devicePort: 0, hostPort: 0 });
    try {
      const t = await openCtapDevice(fingerprint.uri);
      try {
        await enrollFidoKey(t, { personEvent: twoFactor(carol), personId: carol, verification: { kind: 'builtin' }, store });
      } finally {
        await t.close();
      }
      // Not named, her key is not among the keys found: the key that is there is not hers, its PIN is not tried.
      await assert.rejects(runtime.agent.fidoFallback({ person: carol, pin: pin('24680') }), (e: unknown) => e instanceof FidoError && e.code === 'not_enrolled');
      assert.equal(aliceKey.retries, 8, 'Alice’s key never saw Carol’s PIN');
      const d = await runtime.agent.fidoFallback({ person: carol, device: fingerprint.uri });
      assert.deepEqual([d.decision, d.reason, d.person, d.fallback], ['switch_user', 'rie.fido_biometric', carol, true]);
      assert.deepEqual([...(d.factors ?? [])].sort(), ['inherence', 'possession']);
    } finally {
      await fingerprint.close();
    }
  });

  it('every PIN buffer was wiped; no PIN in the audit trail; the chain verifies', async () => {
    await runtime.agent.idle();
    assert.ok(pins.length === 6 && pins.every((p) => p.every((b) => b === 0)), 'PIN buffers wiped');
    const raw = readFileSync(join(dir, 'audit', 'audit-000001.jsonl'), 'utf8');
    // Hashes and credential ids are long runs where five digits can appear by chance: look elsewhere.
    const text = raw.replace(/[0-9a-f]{32,}/g, '').replace(/[A-Za-z0-9_-]{40,}/g, '');
    for (const p of [ALICE_PIN, BOB_PIN, '11111', '22222', '24680']) assert.ok(!text.includes(p), `PIN ${p} not in the audit`);
    assert.equal((await verifyAuditFile(await listAuditFiles(join(dir, 'audit')))).ok, true);
  });
});
