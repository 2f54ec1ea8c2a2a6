/**
 * Hostile FIDO2 authenticators over real UDP sockets, through the production path
 * (`openCtapDevice` → `UdpReportDevice` → `CtapHidTransport`): every misbehaviour ends in a
 * typed transport error within the request's time budget, never a hang or a crash.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openCtapDevice } from '../../src/main/transports/ctap/open-ctap-device.js';
import { CtapTransportError, type CtapTransportErrorCode } from '../../src/main/transports/ctap/ctap-error.js';
import type { CtapTransport } from '../../src/main/transports/ctap/ctap-transport.js';
import { CMD, contReport, initReport, startHostileAuthenticator, type HostileAuthenticator, type Misbehaviour } from './hostile-authenticator.js';

const GET_INFO = Buffer.from([0x04]);
const BUDGET_MS = 400;

async function withHostile(misbehave: Misbehaviour, fn: (t: CtapTransport, dev: HostileAuthenticator) => Promise<void>): Promise<void> {
  const dev = await startHostileAuthenticator(misbehave);
  const t = await openCtapDevice(dev.uri, { initTimeoutMs: 1000, hidOptions: { cancelDrainMs: 200, busyBackoffMs: 5 } });
  try {
    await fn(t, dev);
  } finally {
    await t.close();
    await dev.close();
  }
}

function rejectsWith(p: Promise<unknown>, code: CtapTransportErrorCode): Promise<void> {
  return assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CtapTransportError, `not a transport error: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

describe('hostile authenticators (CTAPHID over UDP)', () => {
  it('floods keepalives forever: timeout at the budget, CTAPHID_CANCEL sent, every keepalive surfaced', async () => {
    await withHostile((ctx) => ctx.repeat(2, () => initReport(ctx.cid, CMD.KEEPALIVE, 1, Buffer.of(0x02))), async (t, dev) => {
      let keepalives = 0;
      await rejectsWith(t.cbor(GET_INFO, { timeoutMs: BUDGET_MS, onKeepalive: () => (keepalives += 1) }), 'timeout');
      assert.ok(keepalives > 5, `${keepalives} keepalives surfaced`);
      assert.ok(dev.commands.includes(CMD.CANCEL), 'no CTAPHID_CANCEL after the budget ran out');
    });
  });

  it('answers on another channel: ignored (not ours to read), timeout at the budget', async () => {
    await withHostile((ctx) => ctx.send(initReport(ctx.cid ^ 1, ctx.cmd, 1, Buffer.of(0x00))), async (t) => {
      await rejectsWith(t.cbor(GET_INFO, { timeoutMs: BUDGET_MS }), 'timeout');
    });
  });

  it('continuation packets out of sequence: invalid_frame; the next request starts clean', async () => {
    let n = 0;
    await withHostile((ctx) => {
      n += 1;
      if (n === 1) {
        ctx.send(initReport(ctx.cid, ctx.cmd, 200, Buffer.alloc(57, 1)));
        ctx.send(contReport(ctx.cid, 1, Buffer.alloc(59, 2))); // seq 0 skipped
        return;
      }
      ctx.send(initReport(ctx.cid, ctx.cmd, 2, Buffer.from([0x00, 0xa0])));
    }, async (t) => {
      await rejectsWith(t.cbor(GET_INFO, { timeoutMs: BUDGET_MS }), 'invalid_frame');
      assert.deepEqual(await t.cbor(GET_INFO, { timeoutMs: BUDGET_MS }), Buffer.from([0x00, 0xa0]));
    });
  });

  it('a repeated sequence number: invalid_frame', async () => {
    await withHostile((ctx) => {
      ctx.send(initReport(ctx.cid, ctx.cmd, 200, Buffer.alloc(57, 1)));
      ctx.send(contReport(ctx.cid, 0, Buffer.alloc(59, 2)));
      ctx.send(contReport(ctx.cid, 0, Buffer.alloc(59, 3)));
    }, async (t) => {
      await rejectsWith(t.cbor(GET_INFO, { timeoutMs: BUDGET_MS }), 'invalid_frame');
    });
  });

  it('announces a message longer than CTAPHID can carry (BCNT 65535): message_too_long before any buffering', async () => {
    await withHostile((ctx) => ctx.send(initReport(ctx.cid, ctx.cmd, 0xffff, Buffer.alloc(57, 7))), async (t) => {
      await rejectsWith(t.cbor(GET_INFO, { timeoutMs: BUDGET_MS }), 'message_too_long');
    });
  });

  it('announces a long message then stops sending: timeout at the budget', async () => {
    await withHostile((ctx) => ctx.send(initReport(ctx.cid, ctx.cmd, 7000, Buffer.alloc(57, 7))), async (t) => {
      await rejectsWith(t.cbor(GET_INFO, { timeoutMs: BUDGET_MS }), 'timeout');
    });
  });

  it('CTAPHID_ERROR frames: invalid channel → invalid_channel; busy forever → channel_busy after the bounded retries', async () => {
    await withHostile((ctx) => ctx.send(initReport(ctx.cid, CMD.ERROR, 1, Buffer.of(0x0b))), async (t) => {
      await rejectsWith(t.cbor(GET_INFO, { timeoutMs: BUDGET_MS }), 'invalid_channel');
    });
    await withHostile((ctx) => ctx.send(initReport(ctx.cid, CMD.ERROR, 1, Buffer.of(0x06))), async (t, dev) => {
      await rejectsWith(t.cbor(GET_INFO, { timeoutMs: 5000 }), 'channel_busy');
      assert.equal(dev.commands.filter((c) => c === CMD.CBOR).length, 6, 'one request and five retries');
    });
  });

  it('an empty CBOR answer (no status byte) and an answer to another command are invalid_frame', async () => {
    await withHostile((ctx) => ctx.send(initReport(ctx.cid, ctx.cmd, 0)), async (t) => {
      await rejectsWith(t.cbor(GET_INFO, { timeoutMs: BUDGET_MS }), 'invalid_frame');
    });
    await withHostile((ctx) => ctx.send(initReport(ctx.cid, CMD.PING, 1, Buffer.of(0))), async (t) => {
      await rejectsWith(t.cbor(GET_INFO, { timeoutMs: BUDGET_MS }), 'invalid_frame');
    });
  });

  it('answers CTAPHID_INIT only with another nonce: device_not_found within the INIT time', async () => {
    const dev = await startHostileAuthenticator(() => undefined, { initNonce: 'wrong' });
    try {
      await rejectsWith(openCtapDevice(dev.uri, { initTimeoutMs: 300 }), 'device_not_found');
    } finally {
      await dev.close();
    }
  });
});
