/**
 * Wraps the CPS simulator to see how long the card itself computes (time inside `processApdu`)
 * and how often the reader resets it or asks its ATR (vpcd control exchanges, not APDUs).
 * APDUs themselves are counted from the slot's own `apduLog`.
 */
import { performance } from 'node:perf_hooks';
import type { CpsCard } from '../../test/testbed/cards/cps-card.js';
import type { VirtualCard } from '../../test/testbed/virtual-card.js';

export class ObservedCard implements VirtualCard {
  computeMs = 0;
  atrReads = 0;
  resets = 0;

  constructor(private readonly inner: CpsCard) {}

  get atr(): Buffer {
    this.atrReads += 1;
    return this.inner.atr;
  }

  powerOn(): void {
    this.inner.powerOn();
  }

  powerOff(): void {
    this.inner.powerOff();
  }

  reset(): void {
    this.resets += 1;
    this.inner.reset();
  }

  processApdu(apdu: Buffer): Buffer {
    const t0 = performance.now();
    try {
      return this.inner.processApdu(apdu);
    } finally {
      this.computeMs += performance.now() - t0;
    }
  }
}
