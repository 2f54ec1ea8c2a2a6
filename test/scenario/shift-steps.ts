/**
 * What the person does and sees during the shift, as small steps over a `ShiftWorld`: type a PIN
 * on the PIN pad when it is asked, tap the badge, read the status view and the audit trail. Every
 * wait is for a state, bounded so a hang fails with a name.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Decision } from '../../src/main/session/policy/decision.js';
import type { StatusView } from '../../src/shared/status-view.js';
import { until } from '../shells/agent/until.js';
import type { ShiftWorld } from './shift-world.js';

/** What the scenario asserts of each audit record. */
export interface RecordShape {
  readonly event: string;
  readonly decision: string;
  readonly reason: string;
  readonly person: string | null;
  readonly means: string | null;
  readonly factors: readonly string[];
  /** Present (true) only when the record says it was taken while the provider was unreachable. */
  readonly offline?: true;
}

interface Line extends Omit<RecordShape, 'offline'> {
  readonly seq: number;
  readonly hash: string;
  readonly details?: { readonly offline?: boolean };
}

export class Shift {
  readonly decisions: Decision[] = [];
  private cursor = 0;
  private readonly off: () => void;

  constructor(readonly w: ShiftWorld) {
    this.off = w.ui.runtime.engine.onRecorded((d) => this.decisions.push(d));
  }

  dispose(): void {
    this.off();
  }

  view(): StatusView {
    const r = this.w.ui.core.getStatus();
    assert.ok(r.ok, 'the status is available');
    return r.value;
  }

  async waitView(what: string, cond: (v: StatusView) => boolean): Promise<StatusView> {
    await until(what, () => cond(this.view()), 20_000).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; last seen ${JSON.stringify(this.view())}; degraded ${JSON.stringify(this.w.ui.runtime.degraded())}; probe ${this.w.ui.runtime.probe?.state() ?? 'none'}`);
    });
    return this.view();
  }

  /** Waits for the PIN pad to ask for `means`' PIN; resolves with the request id. */
  private async pinAsked(means: string): Promise<string> {
    let id: string | undefined;
    await until(`the ${means} PIN prompt`, () => {
      const p = this.w.ui.core.getPrompt();
      id = p.ok && p.value.kind === 'pin' && p.value.means === means ? p.value.requestId : undefined;
      return id !== undefined;
    }, 20_000);
    assert.ok(id !== undefined);
    return id;
  }

  /** Waits for the PIN pad to ask for `means`' PIN, then types `pin`. */
  async typePin(means: string, pin: string): Promise<void> {
    const id = await this.pinAsked(means);
    const typed = Buffer.from(pin);
    const r = this.w.ui.core.submitPin(id, typed);
    typed.fill(0);
    assert.ok(r.ok, 'the PIN pad took the PIN');
  }

  /** Waits for the PIN pad to ask for `means`' PIN, then the person cancels. */
  async cancelPin(means: string): Promise<void> {
    assert.ok(this.w.ui.core.cancelPin(await this.pinAsked(means)).ok);
  }

  /** Resolves with the next `n` decisions recorded after `from` (the count before the action). */
  async decided(from: number, n = 1): Promise<Decision[]> {
    await until(`${n} decision(s)`, () => this.decisions.length >= from + n, 20_000);
    return this.decisions.slice(from, from + n);
  }

  /**
   * A badge tap: on the reader until the agent recorded `n` decisions about it (`then` meanwhile:
   * a PIN), then away, and the removal recorded too (so the next step's records come after it).
   */
  async tap(then?: () => Promise<void>, n = 1): Promise<Decision[]> {
    // Decisions still being recorded (a window timer) are not the tap's.
    await this.w.ui.runtime.agent.idle();
    const from = this.decisions.length;
    await this.w.bed.insert(1, this.w.badge);
    let made: Decision[] = [];
    try {
      if (then) await then();
      made = await this.decided(from, n);
    } finally {
      await this.w.ui.runtime.agent.idle();
      await this.w.bed.eject(1);
    }
    await this.decided(from + n, 1);
    return made;
  }

  lines(): Line[] {
    return readFileSync(join(this.w.auditDir, 'audit-000001.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Line);
  }

  /** The records written since the last call are exactly `expected` (waits for them to be written). */
  async expectRecords(step: string, expected: readonly RecordShape[]): Promise<void> {
    await until(`${step}: ${expected.length} audit record(s)`, () => this.lines().length >= this.cursor + expected.length, 20_000);
    const got = this.lines().slice(this.cursor).map(shape);
    assert.deepEqual(got, expected, `${step}: audit records`);
    this.cursor += expected.length;
  }

  /** Every record of the file was asserted. */
  get asserted(): number {
    return this.cursor;
  }
}

export function shape(l: Line): RecordShape {
  return { event: l.event, decision: l.decision, reason: l.reason, person: l.person, means: l.means, factors: [...l.factors], ...(l.details?.offline === true ? { offline: true as const } : {}) };
}
