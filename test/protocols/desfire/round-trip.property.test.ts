/**
 * Model-based property test: random writes and reads of random sizes and offsets (around the
 * AES block and 59-byte frame boundaries) in every communication mode, EV1 and EV2, against the
 * simulator; the card's content must always equal a plain Buffer model.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { aidFromHex, DesfireSession, type CommMode } from '../../../src/main/protocols/desfire/index.js';
import { DesfireCard } from '../../testbed/cards/desfire-card.js';
import { SimChannel } from './sim-channel.js';

const AID = aidFromHex('F51230');
const KEY = Buffer.alloc(16, 0x6b);
const SIZE = 400;
const MODES: CommMode[] = ['plain', 'mac', 'full'];

const op = fc.record({
  write: fc.boolean(),
  file: fc.constantFrom(0, 1, 2),
  offset: fc.nat(SIZE - 1),
  length: fc.oneof(fc.constantFrom(1, 15, 16, 17, 31, 32, 33, 52, 59, 60, 118, 119, 255, 256), fc.integer({ min: 1, max: SIZE })),
  seed: fc.nat(255),
});

describe('secure messaging round trips (property)', () => {
  it('every mode, both generations: the card always holds what the model holds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(op, { minLength: 1, maxLength: 8 }), async (ev2, ops) => {
        const card = new DesfireCard({
          ev2,
          applications: [
            {
              aid: AID,
              keys: [{ key: KEY }],
              files: MODES.map((commMode, fileNo) => ({ fileNo, type: 'std' as const, commMode, access: { read: 0, write: 0, readWrite: 0, change: 0 }, size: SIZE })),
            },
          ],
        });
        const session = new DesfireSession(new SimChannel(card));
        await session.selectApplication(AID);
        await (ev2 ? session.authenticateEv2First(0, KEY) : session.authenticateAes(0, KEY));
        const model = MODES.map(() => Buffer.alloc(SIZE));
        for (const o of ops) {
          const length = Math.min(o.length, SIZE - o.offset);
          const mode = MODES[o.file] ?? 'plain';
          const m = model[o.file] ?? Buffer.alloc(0);
          if (o.write) {
            const data = Buffer.alloc(length, o.seed);
            for (let i = 0; i < length; i++) data[i] = (o.seed + i * 7) & 0xff;
            await session.writeData(o.file, o.offset, data, mode);
            data.copy(m, o.offset);
          } else {
            assert.deepEqual(await session.readData(o.file, o.offset, length, mode), m.subarray(o.offset, o.offset + length));
          }
        }
        for (const [i, m] of model.entries()) assert.deepEqual(card.fileData(AID, i), m);
        assert.ok(session.authentication, 'the session survived every exchange');
      }),
      { numRuns: 60 },
    );
  });
});
