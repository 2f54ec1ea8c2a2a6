/**
 * Fuzz targets for what a DESFire badge sends: 91xx statuses and 91AF chaining, GetVersion,
 * the AES authentications, and EV1/EV2 secure messaging (MACs, CRCs, padding, lengths).
 */
import assert from 'node:assert/strict';
import {
  authenticateAesEv1,
  authenticateEv2First,
  CMD,
  DEFAULT_MAX_FRAMES,
  DEFAULT_MAX_RESPONSE_BYTES,
  DesfireError,
  type DesfireErrorCode,
  Ev1SecureChannel,
  Ev2SecureChannel,
  exchangeNative,
  parseFrameResponse,
  parseVersion,
  type ResponseMode,
} from '../../../src/main/protocols/desfire/index.js';
import { expected, joinFrames, splitFrames, typed, typedAsync, type FuzzTarget } from '../harness.js';
import { ScriptedChannel } from '../scripted-channel.js';

/** Every code a card's answer may lead to (all card statuses and our own verdicts on its data). */
const CARD_CODES: readonly DesfireErrorCode[] = [
  'authentication_error', 'permission_denied', 'application_not_found', 'file_not_found', 'length_error', 'integrity_error',
  'boundary_error', 'no_such_key', 'duplicate_error', 'parameter_error', 'command_aborted', 'out_of_eeprom', 'illegal_command',
  'no_changes', 'memory_error', 'pcd_authentication_delay', 'unexpected_status', 'integrity', 'card_data_invalid', 'chaining_limit',
];
const DESFIRE_ERRORS = [expected(DesfireError, CARD_CODES)];

const frame = (hexText: string): Buffer => Buffer.from(hexText.replace(/\s/g, ''), 'hex');

export const desfireExchangeTarget: FuzzTarget = {
  name: 'desfire-exchange',
  description: 'native command/response chaining (91AF both ways, limits), GetVersion parsing, EV1 and EV2 AES authentication against arbitrary frames',
  runs: 1500,
  seeds: () =>
    Promise.resolve([
      Buffer.concat([Buffer.of(0), joinFrames([frame('0401010100160591AF'), frame('0401010100160591AF'), frame('04782E21801D80BA00000000000091 00')])]),
      Buffer.concat([Buffer.of(40), joinFrames([frame('91AF'), frame('91AF'), frame('AABB9100')])]),
      Buffer.concat([Buffer.of(1), joinFrames([Buffer.concat([Buffer.alloc(16, 0x11), frame('91AF')]), Buffer.concat([Buffer.alloc(16, 0x22), frame('9100')])])]),
      Buffer.concat([Buffer.of(2), joinFrames([frame('91AE')])]),
    ]),
  async check(input) {
    const selector = input[0] ?? 0;
    const frames = splitFrames(input.subarray(1));
    const channel = new ScriptedChannel(frames, frame('91AF'));
    const key = Buffer.alloc(16, 0x5a);
    const rnd = (n: number): Buffer => Buffer.alloc(n, 0x42);
    switch (selector % 4) {
      case 0: {
        const r = await typedAsync(() => exchangeNative(channel, CMD.GET_VERSION, Buffer.alloc(0)), DESFIRE_ERRORS);
        if (r.ok) {
          assert.ok(r.value.length <= DEFAULT_MAX_RESPONSE_BYTES);
          typed(() => parseVersion(r.value), DESFIRE_ERRORS);
        }
        break;
      }
      case 1:
        await typedAsync(() => authenticateAesEv1(channel, 0, Buffer.from(key), rnd), DESFIRE_ERRORS);
        break;
      case 2:
        await typedAsync(() => authenticateEv2First(channel, 0, Buffer.from(key), { random: rnd }), DESFIRE_ERRORS);
        break;
      default: {
        // a command long enough to be chained out (selector picks its length)
        const payload = Buffer.alloc(selector, 0x33);
        const r = await typedAsync(() => exchangeNative(channel, CMD.WRITE_DATA, payload), DESFIRE_ERRORS);
        if (r.ok) assert.ok(r.value.length <= DEFAULT_MAX_RESPONSE_BYTES);
      }
    }
    // the frames are bounded whatever the card says (91AF forever stops at the limit)
    assert.ok(channel.commands <= DEFAULT_MAX_FRAMES + 1, `${channel.commands} frames`);
    for (const f of frames) typed(() => parseFrameResponse(f, 0x60), DESFIRE_ERRORS);
  },
};

const MODES: readonly ResponseMode[] = ['plain', 'mac', 'full', 'management', 'none'];

export const desfireSecureMessagingTarget: FuzzTarget = {
  name: 'desfire-secure-messaging',
  description: 'EV1 (CMAC, CRC32, 00/80 padding) and EV2 (truncated CMAC, ISO 9797-1 M2 padding) response checks on arbitrary bytes',
  runs: 2000,
  check(input) {
    const selector = input[0] ?? 0;
    const body = Buffer.from(input.subarray(1));
    const mode = MODES[selector % MODES.length] ?? 'mac';
    const expectedLength = selector & 0x80 ? selector & 0x3f : undefined;
    const opts = expectedLength === undefined ? {} : { expectedLength };
    const accepted = [expected(DesfireError, ['integrity', 'card_data_invalid'])];
    const ev1 = new Ev1SecureChannel(Buffer.alloc(16, 1));
    const r1 = typed(() => ev1.unprotectResponse(body, mode, opts), accepted);
    if (r1.ok) assert.ok(r1.value.length <= body.length);
    const ev2 = new Ev2SecureChannel(Buffer.alloc(16, 2), Buffer.alloc(16, 3), Buffer.from('9d00c4df', 'hex'));
    const r2 = typed(() => ev2.unprotectResponse(body, mode, opts), accepted);
    if (r2.ok) assert.ok(r2.value.length <= body.length);
    // a forged MAC over random bytes verifies with probability 2^-64: MAC mode never accepts noise
    if (mode === 'mac' && body.length >= 8) {
      assert.equal(r1.ok, false, 'EV1 accepted a response with a random CMAC');
      assert.equal(r2.ok, false, 'EV2 accepted a response with a random MAC');
    }
    ev1.wipe();
    ev2.wipe();
  },
};

export const DESFIRE_TARGETS: readonly FuzzTarget[] = [desfireExchangeTarget, desfireSecureMessagingTarget];
