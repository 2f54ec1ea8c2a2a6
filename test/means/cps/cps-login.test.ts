/**
 * The whole CPS login (src/main/means/cps/cps-login.ts) against the CPS simulator
 * (test/testbed/cards/cps-card.ts) through an in-memory CardChannel: no pcscd. The certificates
 * come from the test PKI generated at test time.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CHALLENGE_LENGTH, cpsLogin, type CpsStep, type PinProvider, type PinRequest } from '../../../src/main/means/cps/cps-login.js';
import { CpsError, type CertificateRejection, type CpsErrorCode } from '../../../src/main/means/cps/cps-error.js';
import { TrustStore } from '../../../src/main/means/cps/trust-store.js';
import { PcscError } from '../../../src/main/transports/pcsc/pcsc-error.js';
import { CpsCard, type CpsCardOptions } from '../../testbed/cards/cps-card.js';
import {
  DEFAULT_HOLDER,
  getSharedImpostorTestPki,
  getSharedTestPki,
  x509,
  type CardCertificate,
  type IssueCardOptions,
  type TestPki,
} from '../../testbed/pki/test-pki.js';
import type { VirtualCard } from '../../testbed/virtual-card.js';
import { SimulatedChannel } from './simulated-channel.js';

const PIN = '1234';
const DAY_MS = 24 * 60 * 60 * 1000;
const ALL_STEPS: readonly CpsStep[] = ['select', 'readCertificate', 'checkCertificate', 'pinStatus', 'pinProvider', 'verifyPin', 'sign', 'verifySignature'];

/** docs/cps-profile.md §3, verbatim. */
const SELECT_CPX_IAS = '00A404040DE828BD080F8025000001FF001000';
const SELECT_CERT_EF = '00A4020402C00000';
const VERIFY_STATUS = '00200001';
const VERIFY_WITH_DATA = '0020000108';
const MSE_SET_AT = '002241A406840182800102';

/** A PIN provider that records its calls and keeps every Buffer it handed out. */
function pinProvider(pin: string): PinProvider & { calls: PinRequest[]; handed: Buffer[] } {
  const calls: PinRequest[] = [];
  const handed: Buffer[] = [];
  const provider = async (request: PinRequest): Promise<Buffer> => {
    calls.push(request);
    const b = Buffer.from(pin, 'ascii');
    handed.push(b);
    return b;
  };
  return Object.assign(provider, { calls, handed });
}

function isCpsError(code: CpsErrorCode, extra: { reason?: CertificateRejection; retriesLeft?: number } = {}): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof CpsError, `expected CpsError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    assert.equal(e.code, code, e.message);
    if ('reason' in extra) assert.equal(e.reason, extra.reason, e.message);
    if ('retriesLeft' in extra) assert.equal(e.retriesLeft, extra.retriesLeft);
    return true;
  };
}

function zeroed(b: Buffer): boolean {
  return b.length > 0 && b.every((x) => x === 0);
}

describe('cpsLogin against the CPS simulator', () => {
  let pki: TestPki;
  let trust: TrustStore;
  let cert: CardCertificate;

  before(async () => {
    pki = await getSharedTestPki();
    trust = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]);
    cert = await pki.issueCardCertificate();
  });

  function card(extra: Partial<CpsCardOptions> = {}, c: CardCertificate = cert): CpsCard {
    return new CpsCard({ certificateDer: c.der, privateKey: c.privateKey, pin: PIN, ...extra });
  }

  async function cardWith(options: IssueCardOptions): Promise<CpsCard> {
    return card({}, await pki.issueCardCertificate(options));
  }

  describe('success', () => {
    it('yields possession + knowledge for the RPPS holder, with a verified card signature', async () => {
      const sim = card();
      const channel = new SimulatedChannel(sim, { readerName: 'Lecteur CPS 01' });
      const pin = pinProvider(PIN);
      const at = new Date();
      const result = await cpsLogin(channel, { trust, pin, now: () => at });

      const { event } = result;
      assert.equal(event.means, 'cps');
      assert.deepEqual(event.factors, ['possession', 'knowledge']);
      assert.deepEqual(event.subject, {
        id: `rpps:${DEFAULT_HOLDER.rpps}`,
        rpps: DEFAULT_HOLDER.rpps,
        name: `${DEFAULT_HOLDER.givenName} ${DEFAULT_HOLDER.surname}`,
        givenName: DEFAULT_HOLDER.givenName,
        surname: DEFAULT_HOLDER.surname,
        profession: DEFAULT_HOLDER.profession,
      });
      assert.equal(event.reader, 'Lecteur CPS 01');
      assert.equal(event.at, at);
      assert.equal(event.proof.kind, 'card-signature');
      assert.match(event.proof.challenge, /^[0-9a-f]{64}$/, '32 random bytes, hex');
      assert.equal(CHALLENGE_LENGTH, 32);
      const certSha = createHash('sha256').update(cert.der).digest('hex');
      assert.equal(event.proof.certificateSha256, certSha);
      assert.equal(result.certificate.sha256, certSha);
      assert.equal(result.certificate.serial, cert.certificate.serialNumber);
      assert.equal(sim.pinVerified, true);
      assert.equal(sim.triesLeft, 3);

      // The PIN provider is asked once, after the holder is known.
      assert.equal(pin.calls.length, 1);
      assert.equal(pin.calls[0]?.holder.rpps, DEFAULT_HOLDER.rpps);
      assert.equal(pin.calls[0]?.retriesLeft, 3);

      // Every step is reported (values are diagnostics; only their presence and form are checked).
      assert.deepEqual(Object.keys(result.steps).sort(), [...ALL_STEPS].sort());
      for (const step of ALL_STEPS) assert.ok(Number.isFinite(result.steps[step]) && result.steps[step] >= 0, step);
    });

    it('sends the documented sequence: SELECT AID, SELECT EF, READ BINARY…, VERIFY status, VERIFY, MSE, INTERNAL AUTHENTICATE', async () => {
      const channel = new SimulatedChannel(card());
      await cpsLogin(channel, { trust, pin: pinProvider(PIN) });
      assert.equal(channel.sent[0], SELECT_CPX_IAS);
      assert.equal(channel.sent[1], SELECT_CERT_EF);
      assert.equal(channel.sent[2], '00B00000E7');
      const verifyStatus = channel.sent.indexOf(VERIFY_STATUS);
      const verify = channel.sent.indexOf(VERIFY_WITH_DATA + '31323334FFFFFFFF');
      const mse = channel.sent.indexOf(MSE_SET_AT);
      assert.ok(verifyStatus > 2 && verify > verifyStatus && mse > verify, channel.sent.join('\n'));
      assert.ok(channel.sent.slice(3, verifyStatus).every((c) => c.startsWith('00B0')), 'only READ BINARY between SELECT EF and VERIFY');
      assert.equal(channel.sent.at(-1)?.slice(0, 10), '0088000033');
      assert.equal(channel.sent.length, mse + 2);
    });

    it('signs a fresh challenge each time, from the injected random source when given', async () => {
      const a = await cpsLogin(new SimulatedChannel(card()), { trust, pin: pinProvider(PIN) });
      const b = await cpsLogin(new SimulatedChannel(card()), { trust, pin: pinProvider(PIN) });
      assert.notEqual(a.event.proof.challenge, b.event.proof.challenge);

      const fixed = Buffer.alloc(32, 0x42);
      const sizes: number[] = [];
      const channel = new SimulatedChannel(card());
      const r = await cpsLogin(channel, {
        trust,
        pin: pinProvider(PIN),
        random: (n) => {
          sizes.push(n);
          return Buffer.from(fixed);
        },
      });
      assert.deepEqual(sizes, [32]);
      assert.equal(r.event.proof.challenge, fixed.toString('hex'));
      const digestInfo = '3031300D060960864801650304020105000420' + createHash('sha256').update(fixed).digest('hex').toUpperCase();
      assert.equal(channel.sent.at(-1), '0088000033' + digestInfo + '00');
    });

    it('works with a card that answers every case-4 command with 61xx (forceGetResponse)', async () => {
      const channel = new SimulatedChannel(card({ forceGetResponse: true }));
      const r = await cpsLogin(channel, { trust, pin: pinProvider(PIN) });
      assert.deepEqual(r.event.factors, ['possession', 'knowledge']);
      assert.ok(channel.instructions.includes('C0'), 'GET RESPONSE was used');
    });

    it('wipes the PIN Buffer returned by the PIN provider', async () => {
      const pin = pinProvider(PIN);
      await cpsLogin(new SimulatedChannel(card()), { trust, pin });
      assert.equal(pin.handed.length, 1);
      assert.ok(zeroed(pin.handed[0] ?? Buffer.alloc(0)), 'PIN zeroed after a successful login');
    });
  });

  describe('PIN', () => {
    it('wrong PIN → wrong_pin with the tries left, PIN wiped, and the next attempt is told 2 tries', async () => {
      const sim = card();
      const wrong = pinProvider('9999');
      await assert.rejects(cpsLogin(new SimulatedChannel(sim), { trust, pin: wrong }), isCpsError('wrong_pin', { retriesLeft: 2 }));
      assert.ok(zeroed(wrong.handed[0] ?? Buffer.alloc(0)), 'PIN zeroed after a wrong PIN');
      assert.equal(sim.triesLeft, 2);

      const again = pinProvider('9999');
      await assert.rejects(cpsLogin(new SimulatedChannel(sim), { trust, pin: again }), isCpsError('wrong_pin', { retriesLeft: 1 }));
      assert.equal(again.calls[0]?.retriesLeft, 2);
    });

    it('the wrong PIN that uses the last try → pin_blocked', async () => {
      const sim = card({ triesLeft: 1 });
      const wrong = pinProvider('0000');
      await assert.rejects(cpsLogin(new SimulatedChannel(sim), { trust, pin: wrong }), isCpsError('pin_blocked'));
      assert.equal(wrong.calls[0]?.retriesLeft, 1);
      assert.equal(sim.blocked, true);
    });

    it('a blocked PIN → pin_blocked, and neither the PIN provider nor a PIN-carrying VERIFY is used', async () => {
      const sim = card({ triesLeft: 0 });
      const channel = new SimulatedChannel(sim);
      const pin = pinProvider(PIN);
      await assert.rejects(cpsLogin(channel, { trust, pin }), isCpsError('pin_blocked'));
      assert.equal(pin.calls.length, 0);
      assert.ok(channel.sent.includes(VERIFY_STATUS));
      assert.ok(!channel.sent.some((c) => c.startsWith(VERIFY_WITH_DATA)), 'no PIN sent to a blocked card');
    });

    it('a PIN that is not 4 digits → invalid_pin_format, nothing presented, no try spent, PIN wiped', async () => {
      const sim = card();
      const channel = new SimulatedChannel(sim);
      const pin = pinProvider('12345');
      await assert.rejects(cpsLogin(channel, { trust, pin }), isCpsError('invalid_pin_format'));
      assert.ok(!channel.sent.some((c) => c.startsWith(VERIFY_WITH_DATA)));
      assert.equal(sim.triesLeft, 3);
      assert.ok(zeroed(pin.handed[0] ?? Buffer.alloc(0)));
    });

    it('the PIN pad gives no PIN (cancelled, superseded, failed) → pin_entry_cancelled with the pad’s error as cause; no VERIFY with data, no try spent', async () => {
      for (const failure of [Object.assign(new Error('the person cancelled the PIN pad'), { code: 'pin_cancelled' }), new Error('pad gone'), 'not even an Error']) {
        const sim = card({ triesLeft: 2 });
        const channel = new SimulatedChannel(sim);
        const asked: PinRequest[] = [];
        await assert.rejects(
          cpsLogin(channel, {
            trust,
            pin: (req) => {
              asked.push(req);
              return Promise.reject(failure);
            },
          }),
          (e: unknown) => isCpsError('pin_entry_cancelled')(e) && e instanceof CpsError && e.cause === failure,
        );
        assert.equal(asked.length, 1);
        assert.equal(asked[0]?.retriesLeft, 2, 'the pad was told the tries left');
        assert.ok(!channel.sent.some((c) => c.startsWith(VERIFY_WITH_DATA)), 'no PIN presented');
        assert.equal(sim.triesLeft, 2, 'the try counter is untouched');
      }
    });
  });

  describe('certificate', () => {
    /** Login must fail with untrusted_certificate/`reason`, without asking for the PIN or sending VERIFY. */
    async function assertUntrusted(sim: VirtualCard, reason: CertificateRejection, now?: () => Date): Promise<void> {
      const channel = new SimulatedChannel(sim);
      const pin = pinProvider(PIN);
      await assert.rejects(cpsLogin(channel, { trust, pin, ...(now ? { now } : {}) }), isCpsError('untrusted_certificate', { reason }));
      assert.equal(pin.calls.length, 0, 'PIN provider not called for an untrusted certificate');
      assert.ok(!channel.instructions.includes('20'), 'no VERIFY sent');
    }

    it('a card from an impostor PKI (same CA names, other keys) → bad_chain_signature', async () => {
      const impostor = await getSharedImpostorTestPki();
      const fake = await impostor.issueCardCertificate();
      await assertUntrusted(card({}, fake), 'bad_chain_signature');
    });

    it('an expired card certificate → expired', async () => {
      await assertUntrusted(await cardWith({ notBefore: new Date(Date.now() - 400 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) }), 'expired');
    });

    it('a card certificate not valid yet → not_yet_valid', async () => {
      await assertUntrusted(await cardWith({ notBefore: new Date(Date.now() + DAY_MS) }), 'not_yet_valid');
    });

    it('an injected clock past notAfter makes a valid certificate expired', async () => {
      await assertUntrusted(card(), 'expired', () => new Date(Date.now() + 5 * 365 * DAY_MS));
    });

    it('an injected clock before notBefore makes a valid certificate not yet valid', async () => {
      await assertUntrusted(card(), 'not_yet_valid', () => new Date(Date.now() - 30 * DAY_MS));
    });

    it('a serialNumber without the 8 + RPPS form (ADELI 0…) → unsupported_identifier', async () => {
      await assertUntrusted(await cardWith({ nationalId: '012345678901' }), 'unsupported_identifier');
    });

    it('a keyUsage without digitalSignature → not_for_authentication', async () => {
      await assertUntrusted(await cardWith({ keyUsages: x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.dataEncipherment }), 'not_for_authentication');
    });
  });

  describe('proof of possession', () => {
    it('a card signing with another key than its certificate’s → bad_signature', async () => {
      const other = await pki.issueCardCertificate();
      const sim = new CpsCard({ certificateDer: cert.der, privateKey: other.privateKey, pin: PIN });
      const pin = pinProvider(PIN);
      await assert.rejects(cpsLogin(new SimulatedChannel(sim), { trust, pin }), isCpsError('bad_signature'));
      assert.ok(zeroed(pin.handed[0] ?? Buffer.alloc(0)));
    });
  });

  describe('card and transport', () => {
    it('a card without the CPX IAS application → unsupported_card', async () => {
      const notCps: VirtualCard = {
        atr: Buffer.from('3BAC00402A001225006480000310009000', 'hex'),
        powerOn: () => undefined,
        powerOff: () => undefined,
        reset: () => undefined,
        processApdu: () => Buffer.from('6A82', 'hex'),
      };
      const pin = pinProvider(PIN);
      await assert.rejects(cpsLogin(new SimulatedChannel(notCps), { trust, pin }), isCpsError('unsupported_card'));
      assert.equal(pin.calls.length, 0);
    });

    it('the card pulled while the certificate is read → card_removed, PIN never asked', async () => {
      const channel = new SimulatedChannel(card(), { failAt: { index: 2, error: new PcscError('card_removed', 'SCardTransmit: card removed') } });
      const pin = pinProvider(PIN);
      await assert.rejects(cpsLogin(channel, { trust, pin }), (e: unknown) => {
        assert.ok(isCpsError('card_removed')(e));
        assert.ok(e instanceof CpsError && e.cause instanceof PcscError);
        return true;
      });
      assert.equal(pin.calls.length, 0);
    });
  });
});
