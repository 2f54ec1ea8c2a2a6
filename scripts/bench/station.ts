/**
 * A workstation of the long-running benches (soak, control channel load): a real agent runtime
 * (`startAgentRuntime`: audit log fsync'd per decision → recorded session engine → reader-driven
 * agent → control socket) bound to one reader of the test bed's pcscd, with the cards it uses:
 * a CPS of its professional and that person's enrolled DESFire badge.
 *
 * Several stations share one pcscd (one per reader: a ward on one host). Each station's agent
 * sees only its own reader, through `OneReaderMonitor`; everything below the monitor (PC/SC
 * context, pcscd, vpcd) is the real one.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../../src/main/config/config.js';
import type { Kms } from '../../src/main/integrations/kms/index.js';
import type { Decision } from '../../src/main/session/policy/decision.js';
import { enrolBlankBadge, type JsonEnrolmentRegister } from '../../src/main/means/desfire/index.js';
import type { TrustStore } from '../../src/main/means/cps/trust-store.js';
import { startAgentRuntime, type AgentRuntime } from '../../src/main/shells/agent/agent-runtime.js';
import { ReaderMonitor, type ReaderEvent, type ReaderInfo } from '../../src/main/transports/pcsc/reader-monitor.js';
import type { TestBed } from '../../test/testbed/bed.js';
import { CpsCard } from '../../test/testbed/cards/cps-card.js';
import { DesfireCard } from '../../test/testbed/cards/desfire-card.js';
import type { TestPki } from '../../test/testbed/pki/test-pki.js';
import { SimulatedChannel } from '../../test/means/cps/simulated-channel.js';
import { AID, cpsTwoFactor } from '../../test/means/desfire/badge-fixture.js';

export const STATION_CPS_PIN = '1234';
const BADGE_PIN = '4826';

/** The real monitor, narrowed to one reader: the station's agent neither sees nor handles the others. */
export class OneReaderMonitor extends ReaderMonitor {
  constructor(readonly reader: string) {
    super({ backoff: { initialMs: 100, maxMs: 500 } });
  }

  override on(listener: (event: ReaderEvent) => void): () => void {
    return super.on((e) => {
      if (!('reader' in e) || e.reader === this.reader) listener(e);
    });
  }

  override list(): ReaderInfo[] {
    return super.list().filter((r) => r.name === this.reader);
  }
}

export interface StationDeps {
  readonly bed: TestBed;
  readonly pki: TestPki;
  readonly trust: TrustStore;
  readonly kms: Kms;
  readonly register: JsonEnrolmentRegister;
  /** Folder for this run (audit logs, sockets). */
  readonly dir: string;
}

export class Station {
  private readonly decisions: Decision[] = [];
  private readonly waiters = new Set<() => void>();
  /**
   * Wait for the agent's card reset before pulling the card (default). A card pulled while the
   * reset-on-release runs makes pcscd miss the next insertion on that reader (observed with
   * vpcd); `false` pulls right away, as a hurried person does.
   */
  settleRelease = true;
  private constructor(
    readonly index: number,
    readonly reader: string,
    readonly personId: string,
    readonly cps: CpsCard,
    readonly badge: DesfireCard,
    readonly runtime: AgentRuntime,
    readonly auditDir: string,
    private readonly monitor: OneReaderMonitor,
    private readonly bed: TestBed,
  ) {
    runtime.engine.onRecorded((d) => {
      this.decisions.push(d);
      for (const w of this.waiters) w();
    });
  }

  static async open(index: number, deps: StationDeps): Promise<Station> {
    const reader = deps.bed.readerNames[index];
    if (reader === undefined) throw new RangeError(`the test bed has no reader ${index}`);
    const n = String(index).padStart(2, '0');
    const rpps = `100077700${n}`;
    const cert = await deps.pki.issueCardCertificate({ rpps, givenName: `POSTE${n}`, surname: 'SOAK' });
    const person = { id: `rpps:${rpps}`, name: `POSTE${n} SOAK` };
    const badge = new DesfireCard({ ev2: true, randomUid: true });
    await enrolBlankBadge(new SimulatedChannel(badge), { keys: deps.kms, aid: AID, proof: cpsTwoFactor(person), person, pin: Buffer.from(BADGE_PIN), register: deps.register });
    const dir = join(deps.dir, `station-${n}`);
    mkdirSync(dir, { recursive: true });
    const auditDir = join(dir, 'audit');
    const config = parseConfig(JSON.stringify({ audit: { dir: auditDir }, control: { socketPath: join(dir, 'agent.sock') } }), 'bench');
    const monitor = new OneReaderMonitor(reader);
    const runtime = await startAgentRuntime({
      config,
      workstation: `poste-${n}`,
      trust: deps.trust,
      monitor,
      pinPad: async () => Buffer.from(STATION_CPS_PIN),
      badge: { keys: deps.kms, register: deps.register, aid: AID },
      ...(process.env['SOAK_DEBUG'] ? { report: (r: unknown) => process.stderr.write(`[${index} ${performance.now().toFixed(0)}] ${JSON.stringify(r)}\n`) } : {}),
    });
    const cps = new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: STATION_CPS_PIN });
    return new Station(index, reader, person.id, cps, badge, runtime, auditDir, monitor, deps.bed);
  }

  /** Decisions recorded so far (count), to wait for the next ones. */
  get decisionCount(): number {
    return this.decisions.length;
  }

  decisionsSince(from: number): readonly Decision[] {
    return this.decisions.slice(from);
  }

  /** Forgets the decisions kept so far (a soak of thousands of cycles keeps only what it waits for). */
  dropDecisions(): void {
    this.decisions.length = 0;
  }

  /** Waits until a decision recorded at or after index `from` matches; throws after `timeoutMs`. */
  async decision(from: number, match: (d: Decision) => boolean, what: string, timeoutMs = 10_000): Promise<Decision> {
    const found = (): Decision | undefined => this.decisions.slice(from).find(match);
    const now = found();
    if (now) return now;
    return new Promise<Decision>((resolve, reject) => {
      const check = (): void => {
        const d = found();
        if (!d) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(d);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`station ${this.index}: no ${what} within ${timeoutMs} ms (decisions: ${this.decisions.slice(from).map((d) => `${d.decision}/${d.reason}`).join(', ') || 'none'})`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Puts a card on the reader (no wait: the agent's decision is what the caller waits for). */
  present(card: CpsCard | DesfireCard): Promise<void> {
    return this.slot().insert(card);
  }

  /**
   * Takes the card away and waits until the station's agent has seen the reader empty. The card
   * leaves once the agent's reset-on-release is done (an exclusive connection waits for it and
   * leaves the card as is): see `settleRelease`.
   */
  async withdraw(timeoutMs = 10_000): Promise<void> {
    await this.runtime.agent.idle();
    if (this.settleRelease) {
      const ch = await this.monitor.connect(this.reader);
      await ch.close('leave');
    }
    await this.slot().remove();
    const deadline = performance.now() + timeoutMs;
    while (this.runtime.agent.readers().some((r) => r.card)) {
      if (performance.now() > deadline) throw new Error(`station ${this.index}: the agent still sees a card ${timeoutMs} ms after removal`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await this.runtime.agent.idle();
  }

  /** Full CPS login: card in, PIN, session open (or unlocked) for this person; card out, session locked. */
  async cpsLogin(): Promise<number> {
    const from = this.decisionCount;
    const t0 = performance.now();
    await this.present(this.cps);
    await this.decision(from, (d) => (d.decision === 'open' || d.decision === 'unlock') && d.person === this.personId, 'CPS session');
    const ms = performance.now() - t0;
    const removedFrom = this.decisionCount;
    await this.withdraw();
    await this.decision(removedFrom, (d) => d.decision === 'lock', 'lock on card removal');
    return ms;
  }

  /** Badge tap → unlocked (re-identified inside the window) → locked again; returns insert → unlock in ms. */
  async tapUnlockLock(): Promise<number> {
    const from = this.decisionCount;
    const t0 = performance.now();
    await this.present(this.badge);
    await this.decision(from, (d) => d.decision === 'unlock' && d.person === this.personId, 'badge unlock');
    const ms = performance.now() - t0;
    await this.withdraw();
    const lockFrom = this.decisionCount;
    await this.runtime.engine.lock();
    await this.decision(lockFrom, (d) => d.decision === 'lock', 'lock');
    return ms;
  }

  /** After a failed cycle: card out, session locked, so the next cycle starts from the usual state. */
  async recover(): Promise<void> {
    await this.withdraw().catch(() => undefined);
    if (!this.runtime.engine.status().locked) await this.runtime.engine.lock().catch(() => undefined);
  }

  stop(): Promise<void> {
    return this.runtime.stop();
  }

  private slot(): TestBed['slots'][number] {
    const s = this.bed.slots[this.index];
    if (!s) throw new RangeError(`the test bed has no slot ${this.index}`);
    return s;
  }
}
