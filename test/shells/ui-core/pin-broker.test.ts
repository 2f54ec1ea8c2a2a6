/**
 * The PIN pad broker without a card: one request at a time, answers checked against the request
 * id and length, every byte handed over wiped, cancellation and supersession typed, notices and
 * the touch prompt after a key's PIN.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PinBroker, type PinAsk } from '../../../src/main/shells/ui-core/pin-broker.js';
import { UiError } from '../../../src/main/shells/ui-core/ui-error.js';
import { isPrompt, type Prompt } from '../../../src/shared/prompt.js';

const ask: PinAsk = { reader: 'Lecteur 0', holder: 'JEAN MARTIN', means: 'cps', triesLeft: 3, length: { min: 4, max: 8 } };
const bytes = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const idOf = (p: Prompt): string => (p.kind === 'pin' ? p.requestId : assert.fail(`no PIN prompt: ${JSON.stringify(p)}`));

async function rejection(p: Promise<unknown>): Promise<UiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof UiError, String(e));
    assert.equal(e.layer, 'shell');
    return e;
  }
  return assert.fail('resolved');
}

describe('PIN broker', () => {
  it('a request shows a valid pin prompt; the answer resolves a fresh Buffer and wipes what was handed over', async () => {
    const b = new PinBroker();
    const seen: Prompt[] = [];
    b.onPrompt((p) => seen.push(p));
    const pending = b.ask(ask);
    const prompt = b.prompt();
    assert.ok(isPrompt(prompt));
    assert.deepEqual({ ...prompt, requestId: 'x' }, { kind: 'pin', requestId: 'x', holder: 'JEAN MARTIN', means: 'cps', triesLeft: 3, length: { min: 4, max: 8 } });
    const given = bytes('4711');
    assert.deepEqual(b.submit(idOf(prompt), given), { ok: true, value: null });
    assert.ok(given.every((x) => x === 0));
    const pin = await pending;
    assert.equal(pin.toString('ascii'), '4711');
    assert.deepEqual(b.prompt(), { kind: 'none' });
    assert.deepEqual(seen.map((p) => p.kind), ['pin', 'none']);
  });

  it('refused answers (wrong id, too short, too long, not digits) change nothing but are wiped', async () => {
    const b = new PinBroker();
    const pending = b.ask(ask);
    const id = idOf(b.prompt());
    for (const [rid, pin, code] of [['other', '4711', 'stale-request'], [id, '471', 'invalid-request'], [id, '123456789', 'invalid-request'], [id, '47a1', 'invalid-request']] as const) {
      const given = bytes(pin);
      const r = b.submit(rid, given);
      assert.equal(!r.ok && r.error.code, code, `${rid}/${pin}`);
      assert.ok(given.every((x) => x === 0), `${pin} wiped`);
    }
    assert.equal(b.prompt().kind, 'pin', 'still waiting');
    b.submit(id, bytes('4711'));
    (await pending).fill(0);
    const late = b.submit(id, bytes('4711'));
    assert.equal(!late.ok && late.error.code, 'stale-request', 'one answer per request');
  });

  it('cancel → pin_cancelled; a new request, a new card or the removal of its card → pin_superseded; other removals do nothing', async () => {
    const b = new PinBroker();
    const first = b.ask(ask);
    assert.deepEqual(b.cancel(idOf(b.prompt())), { ok: true, value: null });
    assert.equal((await rejection(first)).code, 'pin_cancelled');
    assert.equal(b.takeAborted('Lecteur 0'), true);
    assert.equal(b.takeAborted('Lecteur 0'), false, 'told once');

    const second = b.ask(ask);
    const third = b.ask({ ...ask, reader: 'Lecteur 1' });
    assert.equal((await rejection(second)).code, 'pin_superseded');
    b.cardEvent('removed', 'Lecteur 0');
    assert.equal(b.prompt().kind, 'pin', 'a removal elsewhere leaves the request open');
    b.cardEvent('removed', 'Lecteur 1');
    assert.equal((await rejection(third)).code, 'pin_superseded');
    const fourth = b.ask(ask);
    b.cardEvent('inserted', 'Lecteur 1');
    assert.equal((await rejection(fourth)).code, 'pin_superseded');
    assert.deepEqual(b.prompt(), { kind: 'none' });
  });

  it('a key PIN is followed by the touch prompt until the key answers; notices wait for no PIN request and go with the next card', async () => {
    const b = new PinBroker();
    let aborted = 0;
    const key = b.ask({ reader: 'fido2', holder: 'JEAN MARTIN', means: 'fido2', length: { min: 4, max: 16 }, touchAfter: () => aborted++ });
    const id = idOf(b.prompt());
    b.submit(id, bytes('2468'));
    (await key).fill(0);
    assert.deepEqual(b.prompt(), { kind: 'touch_key', requestId: id });
    b.clearTouch();
    assert.deepEqual(b.prompt(), { kind: 'none' });
    const late = b.cancelTouch(id);
    assert.equal(!late.ok && late.error.code, 'stale-request', 'the touch prompt is over: nothing to cancel');
    assert.equal(aborted, 0);

    b.notice('card_not_trusted');
    assert.deepEqual(b.prompt(), { kind: 'notice', code: 'card_not_trusted' });
    b.cardEvent('removed', 'Lecteur 0');
    assert.deepEqual(b.prompt(), { kind: 'none' });
    const pending = b.ask(ask);
    b.notice('pin_blocked');
    assert.equal(b.prompt().kind, 'pin', 'a notice never hides an open PIN request');
    b.stop();
    assert.equal((await rejection(pending)).code, 'ui_stopped');
    assert.equal((await rejection(b.ask(ask))).code, 'ui_stopped', 'refused once stopped');
  });

  it('"touch your key" from a keepalive: shown once, cancelled with its id (the key operation aborted once), stale after; never over a PIN request', async () => {
    let n = 0;
    const b = new PinBroker(() => `t-${++n}`);
    const aborts: string[] = [];
    b.showTouch(() => aborts.push('first'));
    b.showTouch(() => aborts.push('second'));
    assert.deepEqual(b.prompt(), { kind: 'touch_key', requestId: 't-1' }, 'each keepalive does not make a new prompt');
    const wrong = b.cancelTouch('t-2');
    assert.equal(!wrong.ok && wrong.error.code, 'stale-request');
    assert.deepEqual(b.cancelTouch('t-1'), { ok: true, value: null });
    assert.deepEqual(aborts, ['first']);
    assert.deepEqual(b.prompt(), { kind: 'none' });
    const again = b.cancelTouch('t-1');
    assert.equal(!again.ok && again.error.code, 'stale-request');
    assert.deepEqual(aborts, ['first'], 'a second cancel aborts nothing');

    const pending = b.ask(ask);
    b.showTouch(() => aborts.push('hidden'));
    assert.equal(b.prompt().kind, 'pin', 'a keepalive never hides an open PIN request');
    b.stop();
    assert.equal((await rejection(pending)).code, 'ui_stopped');
    assert.deepEqual(aborts, ['first']);
  });

  it('any sequence of asks, answers, cancels and card events leaves at most one request open, every prompt valid, every answer wiped', async () => {
    type Step = { kind: 'ask' } | { kind: 'submit'; pin: string; fresh: boolean } | { kind: 'cancel' } | { kind: 'card'; type: 'inserted' | 'removed'; reader: string };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.constant<Step>({ kind: 'ask' }),
      fc.record({ kind: fc.constant('submit' as const), pin: fc.string({ maxLength: 12 }), fresh: fc.boolean() }),
      fc.constant<Step>({ kind: 'cancel' }),
      fc.record({ kind: fc.constant('card' as const), type: fc.constantFrom('inserted' as const, 'removed' as const), reader: fc.constantFrom('Lecteur 0', 'Lecteur 1') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const b = new PinBroker();
        const prompts: Prompt[] = [];
        b.onPrompt((p) => prompts.push(p));
        const outcomes: Promise<unknown>[] = [];
        let open = 0;
        for (const s of steps) {
          const p = b.prompt();
          if (s.kind === 'ask') {
            outcomes.push(b.ask(ask).then((buf) => buf.fill(0), (e: unknown) => assert.ok(e instanceof UiError)));
          } else if (s.kind === 'submit') {
            const given = bytes(s.pin);
            b.submit(s.fresh && p.kind === 'pin' ? p.requestId : 'stale', given);
            assert.ok(given.every((x) => x === 0));
          } else if (s.kind === 'cancel') {
            if (p.kind === 'pin') b.cancel(p.requestId);
          } else {
            b.cardEvent(s.type, s.reader);
          }
          open = b.prompt().kind === 'pin' ? 1 : 0;
          assert.ok(open <= 1);
        }
        b.stop();
        await Promise.all(outcomes);
        assert.ok(prompts.every(isPrompt));
      }),
      { numRuns: 150 },
    );
  });
});
