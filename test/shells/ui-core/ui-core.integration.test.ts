/**
 * The UI core over the real agent runtime and the real pcscd, driven through the contract's host
 * dispatch (what the web shell and Electron main call): a CPS inserted shows the PIN pad with
 * the holder and tries left; the PIN typed opens the session (person, means, factors, window
 * end) and its bytes are wiped; lock, sign out; a cancelled or interrupted PIN pad fails the
 * login with a typed code and no session; a stale request id is refused; an untrusted card is a
 * notice; a wrong PIN is said on the next PIN request with the tries left; pcscd down is degraded `pcsc_unavailable` until it is back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/main/config/config.js';
import { listAuditFiles } from '../../../src/main/integrations/audit/index.js';
import { TrustStore } from '../../../src/main/means/cps/trust-store.js';
import { startUiAgent, type UiAgent } from '../../../src/main/shells/ui-core/start-ui-agent.js';
import { ReaderMonitor } from '../../../src/main/transports/pcsc/reader-monitor.js';
import { dispatchInvoke } from '../../../src/shared/bridge.js';
import { IpcChannel, type Prompt, type StatusView } from '../../../src/shared/ipc-contract.js';
import { isPrompt } from '../../../src/shared/prompt.js';
import { isStatusView } from '../../../src/shared/status-view.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { getSharedImpostorTestPki, getSharedTestPki, type CardCertificate } from '../../testbed/pki/test-pki.js';

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('UI core over the agent runtime through the real pcscd', () => {
  let bed: TestBed;
  let dir: string;
  let ui: UiAgent;
  let cert: CardCertificate;
  let impostor: CardCertificate;
  const statuses: StatusView[] = [];
  const prompts: Prompt[] = [];
  const logs: string[] = [];
  const call = (channel: string, ...args: unknown[]) => dispatchInvoke(ui.core, channel, args, { log: (m) => logs.push(m) });
  const status = (): StatusView => statuses.at(-1) ?? (ui.core.getStatus() as { ok: true; value: StatusView }).value;
  const prompt = (): Prompt => prompts.at(-1) ?? { kind: 'none' };
  const card = (): CpsCard => new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '4711' });
  const auditText = async (): Promise<string> => (await listAuditFiles(join(dir, 'audit'))).map((f) => readFileSync(f, 'utf8')).join('');
  const pinPrompt = async (): Promise<Extract<Prompt, { kind: 'pin' }>> => {
    await until('the PIN prompt', () => prompt().kind === 'pin');
    const p = prompt();
    assert.equal(p.kind, 'pin');
    return p as Extract<Prompt, { kind: 'pin' }>;
  };

  before(async () => {
    bed = await openTestBed();
    const pki = await getSharedTestPki();
    cert = await pki.issueCardCertificate();
    impostor = await (await getSharedImpostorTestPki()).issueCardCertificate();
    dir = mkdtempSync(join(tmpdir(), 'tessera-ui-core-'));
    const config = parseConfig(JSON.stringify({ session: { windowMinutes: 60 }, audit: { dir: join(dir, 'audit') }, control: { socketPath: join(dir, 'agent.sock') } }), 'test');
    ui = await startUiAgent({
      config,
      workstation: 'poste-ui-01',
      trust: TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]),
      monitor: new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } }),
      ui: { refreshMs: 200 },
    });
    ui.core.onStatus((s) => statuses.push(s));
    ui.core.onPrompt((p) => prompts.push(p));
  });

  after(async () => {
    await ui.stop();
    await bed.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('before anything: no session, the readers listed, nothing to do, every push valid', async () => {
    const r = await call(IpcChannel.getStatus);
    assert.equal(r.ok, true);
    const s = (r as { ok: true; value: StatusView }).value;
    assert.deepEqual(s.session, { state: 'none' });
    assert.equal(s.agent, 'ok');
    assert.deepEqual(s.degraded.reasons, []);
    assert.deepEqual(s.readers.map((x) => x.name), [...bed.readerNames]);
    assert.deepEqual(s.allowed, { settings: false, quit: true, securityKey: false, enrol: [] });
    assert.deepEqual(await call(IpcChannel.getPrompt), { ok: true, value: { kind: 'none' } });
  });

  it('card in → PIN pad with the holder and tries left; the PIN typed opens the session and its bytes are wiped', async () => {
    await bed.insert(0, card());
    const p = await pinPrompt();
    assert.equal(p.holder, 'JEAN MARTIN');
    assert.equal(p.means, 'cps');
    assert.equal(p.triesLeft, 3);
    assert.deepEqual(p.length, { min: 4, max: 8 });
    assert.equal(status().session.state, 'authenticating');
    // Through the host directly, to see the bytes it was handed wiped.
    const bytes = Uint8Array.from(Buffer.from('4711'));
    assert.deepEqual(ui.core.submitPin(p.requestId, bytes), { ok: true, value: null });
    assert.ok(bytes.every((b) => b === 0), 'the submitted bytes are wiped');
    await until('the active session', () => status().session.state === 'active');
    const s = status().session;
    assert.ok(s.state === 'active');
    assert.deepEqual(s.person, { displayName: 'JEAN MARTIN', id: '10001234567' });
    assert.equal(s.means, 'cps');
    assert.deepEqual([...s.factors].sort(), ['knowledge', 'possession']);
    const left = Date.parse(s.windowEnd) - Date.now();
    assert.ok(left > 59 * 60_000 && left <= 60 * 60_000, `window left ${left} ms`);
    assert.equal(prompt().kind, 'none');
    assert.ok(statuses.every(isStatusView) && prompts.every(isPrompt), 'every push matches the contract');
    assert.ok(!(await auditText()).includes('4711'), 'the PIN is in no audit record');
  });

  it('a second answer to the same request is stale; its bytes are wiped too', () => {
    const bytes = Uint8Array.from(Buffer.from('1234'));
    const r = ui.core.submitPin('no-such-request', bytes);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, 'stale-request');
    assert.ok(bytes.every((b) => b === 0));
  });

  it('lock → locked (user_lock); lock again → no-session; sign out → none', async () => {
    assert.deepEqual(await call(IpcChannel.lock), { ok: true, value: null });
    await until('the lock pushed', () => status().session.state === 'locked');
    const s = status().session;
    assert.equal(s.state === 'locked' && s.reason, 'user_lock');
    const again = await call(IpcChannel.lock);
    assert.equal(!again.ok && again.error.code, 'no-session');
    assert.deepEqual(await call(IpcChannel.signOut), { ok: true, value: null });
    await until('signed out', () => status().session.state === 'none');
    const none = await call(IpcChannel.signOut);
    assert.equal(!none.ok && none.error.code, 'no-session');
    await bed.eject(0);
  });

  it('cancel on the PIN pad: the login is refused and recorded, no notice, no session', async () => {
    await bed.insert(0, card());
    const p = await pinPrompt();
    const bad = await call(IpcChannel.submitPin, p.requestId, '12ab');
    assert.equal(!bad.ok && bad.error.code, 'invalid-request', 'letters refused by the contract');
    assert.deepEqual(await call(IpcChannel.cancelPin, p.requestId), { ok: true, value: null });
    await until('the prompt closed', () => prompt().kind === 'none');
    await until('the refusal recorded', () => ui.runtime.engine.status().state === 'signed_out');
    await ui.runtime.agent.idle();
    // The CPS means reports a PIN pad that gave no PIN as pin_entry_cancelled (the UI core's
    // pin_cancelled is its cause), not as a card error: refused, recorded, no notice, no session.
    const last = (await auditText()).trim().split('\n').map((l) => JSON.parse(l) as { decision: string; event: string; details?: { errorCode?: string } }).at(-1);
    assert.equal(last?.decision, 'refuse');
    assert.equal(last?.event, 'authentication_failed');
    assert.equal(last?.details?.errorCode, 'pin_entry_cancelled');
    assert.equal(status().session.state, 'none');
    assert.equal(prompt().kind, 'none', 'a cancel is not followed by a notice');
    const stale = await call(IpcChannel.cancelPin, p.requestId);
    assert.equal(!stale.ok && stale.error.code, 'stale-request');
    await bed.eject(0);
  });

  it('pulling the card while the PIN pad is open closes it; the late answer is stale; no session', async () => {
    await bed.insert(0, card());
    const p = await pinPrompt();
    await bed.eject(0);
    await until('the prompt closed', () => prompt().kind === 'none');
    await ui.runtime.agent.idle();
    const late = await call(IpcChannel.submitPin, p.requestId, '4711');
    assert.equal(!late.ok && late.error.code, 'stale-request');
    await until('no session', () => status().session.state === 'none');
  });

  it('a card from another authority: no PIN pad, a card_not_trusted notice', async () => {
    await bed.insert(1, new CpsCard({ certificateDer: impostor.der, privateKey: impostor.privateKey, pin: '4711' }));
    await until('the notice', () => prompt().kind === 'notice');
    assert.deepEqual(prompt(), { kind: 'notice', code: 'card_not_trusted' });
    assert.ok(!prompts.some((x) => x.kind === 'pin' && x.holder !== 'JEAN MARTIN'));
    await bed.eject(1);
    await until('the notice cleared by the removal', () => prompt().kind === 'none');
  });

  it('a wrong PIN: refused and recorded; the PIN pad asks again on the same card, saying the last PIN was wrong and the tries left', async () => {
    const same = card(); // the tries counter lives on the card
    await bed.insert(0, same);
    let p = await pinPrompt();
    assert.equal(p.reason, undefined);
    const first = p.requestId;
    assert.deepEqual(await call(IpcChannel.submitPin, p.requestId, '0000'), { ok: true, value: null });
    await until('the PIN pad asked again', () => { const q = prompt(); return q.kind === 'pin' && q.requestId !== first; });
    p = await pinPrompt();
    assert.equal(p.reason, 'wrong_pin');
    assert.equal(p.triesLeft, 2);
    const refused = (await auditText()).trim().split('\n').map((l) => JSON.parse(l) as { decision: string; event: string; details?: { errorCode?: string } }).at(-1);
    assert.deepEqual([refused?.event, refused?.decision, refused?.details?.errorCode], ['authentication_failed', 'refuse', 'wrong_pin'], 'the wrong PIN is recorded before the pad asks again');
    assert.deepEqual(await call(IpcChannel.submitPin, p.requestId, '4711'), { ok: true, value: null });
    await until('the session', () => status().session.state === 'active');
    assert.equal(same.triesLeft, 3);
    assert.deepEqual(await call(IpcChannel.signOut), { ok: true, value: null });
    await bed.eject(0);
    await until('signed out', () => status().session.state === 'none');
  });

  it('pcscd down → degraded pcsc_unavailable with its start time; back → cleared', async () => {
    await bed.pcscd.stop({ crash: true });
    await until('degraded pushed', () => status().degraded.reasons.some((r) => r.code === 'pcsc_unavailable'), 15_000);
    const reason = status().degraded.reasons.find((r) => r.code === 'pcsc_unavailable');
    assert.ok(reason && Math.abs(Date.parse(reason.since) - Date.now()) < 60_000);
    await bed.pcscd.start();
    await until('degraded cleared', () => status().degraded.reasons.length === 0, 15_000);
  });
});
