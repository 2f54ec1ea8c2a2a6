/**
 * Card recognition: ATR first, then harmless probes, so any card gets a type and an unknown or
 * broken card gets `unknown` (with the reason) instead of an exception.
 *
 *  - CPS: ATR matches a CPx pattern (docs/cps-profile.md §1) and SELECT of the CPX IAS AID answers 9000.
 *  - FIDO (NFC authenticator): SELECT of the FIDO AID A0000006472F0001 answers 9000 (CTAP NFC binding).
 *  - DESFire: native GetVersion wrapped in ISO 7816 (`90 60 00 00 00`) answers `91AF` with an
 *    NXP vendor byte (04) and hardware type 01 (DESFire).
 */
import type { CardChannel } from '../transports/card-channel.js';
import { selectCpsApplication } from '../protocols/iasecc/cps-commands.js';
import { CPS_ATRS, CPS_CONTACTLESS_ATRS, matchAtr } from '../protocols/iasecc/cps-profile.js';
import { exchange, fromHex, hex } from '../protocols/iso7816/index.js';

export type CardType = 'cps' | 'desfire' | 'fido' | 'unknown';

export interface CardRecognition {
  readonly type: CardType;
  readonly atr: string;
  /** Human-oriented detail for diagnostics (`CPS3 contact`, `FIDO_2_0`, why unknown...). */
  readonly detail: string;
  /** False when the card is recognised but Tessera cannot use that interface (CPx contactless). */
  readonly usable: boolean;
}

const FIDO_AID = fromHex('A0 00 00 06 47 2F 00 01');

async function probeFido(channel: CardChannel): Promise<string | undefined> {
  const resp = await exchange(channel, { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: FIDO_AID, le: 256 });
  if (!resp.ok) return undefined;
  const version = resp.data.toString('latin1');
  return /^(U2F_V2|FIDO_2_0)$/.test(version) ? version : 'FIDO';
}

async function probeDesfire(channel: CardChannel): Promise<string | undefined> {
  const resp = await exchange(channel, { cla: 0x90, ins: 0x60, p1: 0x00, p2: 0x00, le: 256 });
  if (resp.sw !== 0x91af || resp.data.length < 7) return undefined;
  if (resp.data[0] !== 0x04 || resp.data[1] !== 0x01) return undefined;
  return `DESFire hardware ${resp.data[3]}.${resp.data[4]}`;
}

export async function recognizeCard(channel: CardChannel): Promise<CardRecognition> {
  const atr = hex(channel.atr);
  if (channel.atr.length === 0) return { type: 'unknown', atr, detail: 'mute card (no ATR)', usable: false };
  try {
    const cps = matchAtr(channel.atr, CPS_ATRS);
    if (cps) {
      return (await selectCpsApplication(channel))
        ? { type: 'cps', atr, detail: cps.name, usable: true }
        : { type: 'unknown', atr, detail: `${cps.name} ATR but no CPS application`, usable: false };
    }
    const cl = matchAtr(channel.atr, CPS_CONTACTLESS_ATRS);
    if (cl) return { type: 'cps', atr, detail: `${cl.name} (contactless interface, not used)`, usable: false };
    const fido = await probeFido(channel);
    if (fido) return { type: 'fido', atr, detail: fido, usable: true };
    const desfire = await probeDesfire(channel);
    if (desfire) return { type: 'desfire', atr, detail: desfire, usable: true };
    return { type: 'unknown', atr, detail: 'no known application answered', usable: false };
  } catch (e) {
    // A card that answers nonsense to a probe is an unknown card, not a crash. Transport
    // failures (card pulled, daemon gone) are not about the card's type: they propagate.
    if (e instanceof Error && 'layer' in e && (e as { layer: unknown }).layer === 'transport') throw e;
    return { type: 'unknown', atr, detail: `card answered a probe incorrectly: ${e instanceof Error ? e.message : String(e)}`, usable: false };
  }
}
