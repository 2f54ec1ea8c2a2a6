/**
 * A ward with several stations on one host: one isolated pcscd serving eight vpcd readers
 * (four driver entries of two slots each), one reader monitor, eight different cards (four
 * CPS of four professionals, four DESFire badges of four other people, EV1 and EV2, fixed
 * and random UIDs) inserted at once and logged in in parallel. Each reader reports its own
 * card and only its own; the person found on reader i is the holder of card i; pulling a
 * subset of the cards affects only those readers, and the readers left keep working.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { recognizeCard } from '../../../src/main/means/card-recognition.js';
import { cpsLogin } from '../../../src/main/means/cps/cps-login.js';
import { TrustStore } from '../../../src/main/means/cps/trust-store.js';
import { enrolBlankBadge, tapBadge } from '../../../src/main/means/desfire/index.js';
import type { Kms } from '../../../src/main/integrations/kms/index.js';
import { ReaderMonitor, type ReaderEvent } from '../../../src/main/transports/pcsc/reader-monitor.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { startPcscd } from '../../testbed/pcscd.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { DesfireCard } from '../../testbed/cards/desfire-card.js';
import { getSharedTestPki } from '../../testbed/pki/test-pki.js';
import type { VirtualCard } from '../../testbed/virtual-card.js';
import { SimulatedChannel } from '../../means/cps/simulated-channel.js';
import { AID, cpsTwoFactor, kmsFor, newMasters, tempRegister } from '../../means/desfire/badge-fixture.js';

const READERS = 8;
const CPS_PIN = '1234';

interface Station {
  readonly index: number;
  readonly card: VirtualCard;
  readonly kind: 'cps' | 'desfire';
  /** The person this card belongs to (what a login on this reader must find). */
  readonly personId: string;
}

type CardEvent = Extract<ReaderEvent, { type: 'card-inserted' | 'card-removed' }>;

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('eight virtual readers on one pcscd', () => {
  let bed: TestBed;
  let monitor: ReaderMonitor;
  let trust: TrustStore;
  let kms: Kms;
  const masters = newMasters();
  const reg = tempRegister();
  const stations: Station[] = [];
  const events: CardEvent[] = [];

  const eventsOf = (reader: string, type?: CardEvent['type']): CardEvent[] => events.filter((e) => e.reader === reader && (type === undefined || e.type === type));
  const name = (i: number): string => bed.readerNames[i] ?? assert.fail(`no reader ${i}`);

  /** Logs in on reader `i` the way the agent does (recognise, then the CPS login or the badge tap) and returns the person found. */
  const login = (s: Station): Promise<string> =>
    monitor.withCard(name(s.index), async (ch) => {
      const kind = await recognizeCard(ch);
      if (s.kind === 'cps') {
        assert.equal(kind.type, 'cps', `reader ${s.index} should hold a CPS`);
        const r = await cpsLogin(ch, { trust, pin: async () => Buffer.from(CPS_PIN) });
        assert.deepEqual([...r.event.factors], ['possession', 'knowledge']);
        return r.event.subject.id;
      }
      assert.equal(kind.type, 'desfire', `reader ${s.index} should hold a badge`);
      return (await tapBadge(ch, { keys: kms, register: reg.register, aid: AID })).event.subject.id;
    });

  before(async () => {
    bed = await openTestBed({ readers: READERS });
    const pki = await getSharedTestPki();
    trust = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]);
    kms = kmsFor(masters);
    for (let i = 0; i < READERS; i++) {
      const n = String(i).padStart(2, '0');
      if (i % 2 === 0) {
        const rpps = `100012345${n}`;
        const cert = await pki.issueCardCertificate({ rpps, givenName: `SOIGNANT${n}`, surname: 'CPS' });
        stations.push({ index: i, kind: 'cps', card: new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: CPS_PIN }), personId: `rpps:${rpps}` });
      } else {
        const person = { id: `rpps:100099999${n}`, name: `Badge ${n}` };
        const card = new DesfireCard({ ev2: i % 4 === 1, randomUid: i % 4 === 1 });
        await enrolBlankBadge(new SimulatedChannel(card), { keys: kms, aid: AID, proof: cpsTwoFactor(person), person, pin: Buffer.from('4826'), register: reg.register });
        stations.push({ index: i, kind: 'desfire', card, personId: person.id });
      }
    }
    monitor = new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } });
    monitor.on((e) => {
      if (e.type === 'card-inserted' || e.type === 'card-removed') events.push(e);
    });
    await monitor.start();
    await monitor.settled(3000);
  });

  after(async () => {
    await monitor?.stop();
    await kms?.close();
    await bed?.close();
    reg.dispose();
  });

  it('refuses a reader count the daemon cannot be given (odd, below 2, above 16) before starting anything', async () => {
    for (const readers of [3, 0, 18]) await assert.rejects(startPcscd({ readers }), RangeError);
  });

  it('lists eight distinct readers, all empty', () => {
    assert.equal(bed.readerNames.length, READERS);
    assert.equal(new Set(bed.readerNames).size, READERS);
    const listed = monitor.list();
    for (const n of bed.readerNames) assert.equal(listed.find((r) => r.name === n)?.cardPresent, false, `${n} listed and empty`);
  });

  it('eight cards inserted at once: each reader reports its own card once, and its login finds its own holder', async () => {
    await Promise.all(stations.map((s) => bed.insert(s.index, s.card)));
    await until('eight insertions', () => events.filter((e) => e.type === 'card-inserted').length >= READERS);
    for (const s of stations) assert.equal(eventsOf(name(s.index), 'card-inserted').length, 1, `one insertion on reader ${s.index}`);
    // Logins in parallel, twice over, so every reader carries traffic while the others do.
    for (let round = 0; round < 2; round++) {
      const found = await Promise.all(stations.map((s) => login(s)));
      assert.deepEqual(found, stations.map((s) => s.personId));
    }
    // Each card answered only its own reader: the CPS cards got their own PIN, the badges their own keys.
    assert.equal(new Set(stations.map((s) => s.personId)).size, READERS);
    assert.equal(events.filter((e) => e.type === 'card-removed').length, 0);
  });

  it('pulling cards 1, 2, 5 and 6 at once removes only those; the four left still log in as their holders', async () => {
    const pulled = stations.filter((s) => [1, 2, 5, 6].includes(s.index));
    const kept = stations.filter((s) => !pulled.includes(s));
    await Promise.all(pulled.map((s) => bed.eject(s.index)));
    await until('four removals', () => events.filter((e) => e.type === 'card-removed').length >= pulled.length);
    for (const s of pulled) assert.equal(eventsOf(name(s.index), 'card-removed').length, 1, `reader ${s.index} removed once`);
    for (const s of kept) assert.equal(eventsOf(name(s.index), 'card-removed').length, 0, `reader ${s.index} untouched`);
    const listed = new Map(monitor.list().map((r) => [r.name, r.cardPresent]));
    for (const s of stations) assert.equal(listed.get(name(s.index)), kept.includes(s), `presence of reader ${s.index}`);
    const found = await Promise.all(kept.map((s) => login(s)));
    assert.deepEqual(found, kept.map((s) => s.personId));
    await assert.rejects(login(pulled[0] ?? assert.fail('no pulled card')), 'an emptied reader has no card to log in with');
  });

  it('cards moved to other readers are found there: the person follows the card, not the reader', async () => {
    // Take out everything, then put the CPS of reader 0 in reader 1 and the badge of reader 1 in reader 0, and so on.
    await Promise.all(stations.filter((s) => monitor.list().some((r) => r.name === name(s.index) && r.cardPresent)).map((s) => bed.eject(s.index)));
    const moved: Station[] = stations.map((s) => ({ ...s, index: s.index ^ 1 }));
    const before = events.length;
    await Promise.all(moved.map((s) => bed.insert(s.index, s.card)));
    await until('eight insertions', () => events.slice(before).filter((e) => e.type === 'card-inserted').length >= READERS);
    const found = await Promise.all(moved.map((s) => login(s)));
    assert.deepEqual(found, moved.map((s) => s.personId));
    await Promise.all(moved.map((s) => bed.eject(s.index)));
  });
});
