/**
 * Host CTAPHID transport ↔ the UDP device harness (SoloKeys convention), over real sockets on
 * ephemeral ports.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startUdpCtapDevice, type CtapCborHandler } from '../../testbed/fido/ctaphid-device.js';
import { UdpReportDevice } from '../../../src/main/transports/ctap/udp-report-device.js';
import { CtapHidTransport } from '../../../src/main/transports/ctap/ctaphid-transport.js';
import { CtapTransportError } from '../../../src/main/transports/ctap/ctap-error.js';
import { MAX_MESSAGE_SIZE } from '../../../src/main/transports/ctap/ctaphid-frames.js';
import { openCtapDevice } from '../../../src/main/transports/ctap/open-ctap-device.js';
import type { CtapKeepaliveStatus } from '../../../src/main/transports/ctap/ctap-transport.js';

const echo: CtapCborHandler = async (request) => Buffer.concat([Buffer.from([0x00]), request]);

async function withDevice(handler: CtapCborHandler, fn: (uri: string, ports: { devicePort: number; hostPort: number }) => Promise<void>): Promise<void> {
  const dev = await startUdpCtapDevice({ handler, devicePort: 0, hostPort: 0 });
  try {
    await fn(dev.uri, dev);
  } finally {
    await dev.close();
  }
}

describe('CTAPHID over UDP: host transport against the device harness', () => {
  it('opens a channel, echoes CBOR messages of every size up to the maximum, pings and winks', async () => {
    await withDevice(echo, async (uri) => {
      const t = await openCtapDevice(uri);
      try {
        assert.ok(t instanceof CtapHidTransport);
        assert.notEqual(t.cid, 0xffffffff);
        assert.ok(t.supportsCbor && t.supportsWink && t.noMsg);
        for (const size of [1, 56, 57, 58, 116, 117, 1000, MAX_MESSAGE_SIZE - 1]) {
          const req = Buffer.alloc(size);
          for (let i = 0; i < size; i++) req[i] = (i * 7 + size) & 0xff;
          const answer = await t.cbor(req);
          assert.deepEqual(answer, Buffer.concat([Buffer.from([0]), req]), `size ${size}`);
        }
        const data = Buffer.from('tessera ping');
        assert.deepEqual(await t.ping(data), data);
        const big = Buffer.alloc(MAX_MESSAGE_SIZE, 0x42);
        assert.deepEqual(await t.ping(big), big);
        await t.wink();
        await assert.rejects(t.cbor(Buffer.alloc(MAX_MESSAGE_SIZE + 1)), (e: unknown) => e instanceof CtapTransportError && e.code === 'message_too_long');
      } finally {
        await t.close();
      }
    });
  });

  it('surfaces keepalives while a slow handler runs', async () => {
    const slow: CtapCborHandler = async (request, ctx) => {
      await new Promise((r) => setTimeout(r, 150));
      ctx.keepalive('user-presence-needed');
      await new Promise((r) => setTimeout(r, 150));
      return echo(request, ctx);
    };
    await withDevice(slow, async (uri) => {
      const t = await openCtapDevice(uri);
      try {
        const seen: CtapKeepaliveStatus[] = [];
        const answer = await t.cbor(Buffer.from([0x02, 0xa0]), { onKeepalive: (s) => seen.push(s) });
        assert.deepEqual(answer, Buffer.from([0x00, 0x02, 0xa0]));
        assert.ok(seen.includes('processing'), `keepalives: ${seen.join(',')}`);
        assert.ok(seen.includes('user-presence-needed'), `keepalives: ${seen.join(',')}`);
        assert.equal(seen.indexOf('user-presence-needed') > seen.indexOf('processing'), true);
      } finally {
        await t.close();
      }
    });
  });

  it('cancel through AbortSignal sends CTAPHID_CANCEL, aborts the handler and leaves the channel usable', async () => {
    let handlerSawAbort = false;
    const waitForever: CtapCborHandler = (request, ctx) => {
      if (request[0] === 0x04) return echo(request, ctx);
      return new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => { handlerSawAbort = true; reject(new Error('aborted')); });
      });
    };
    const dev = await startUdpCtapDevice({ handler: waitForever, devicePort: 0, hostPort: 0 });
    try {
      const t = await openCtapDevice(dev.uri);
      try {
        const ac = new AbortController();
        const pending = t.cbor(Buffer.from([0x01, 0xa0]), { signal: ac.signal, onKeepalive: () => ac.abort() });
        await assert.rejects(pending, (e: unknown) => e instanceof CtapTransportError && e.code === 'cancelled');
        assert.equal(dev.sim.cancels, 1);
        assert.equal(handlerSawAbort, true);
        assert.deepEqual(await t.cbor(Buffer.from([0x04])), Buffer.from([0x00, 0x04]), 'next request gets its own answer');
      } finally {
        await t.close();
      }
    } finally {
      await dev.close();
    }
  });

  it('a request that outlives its time budget rejects timeout and cancels on the device', async () => {
    const dev = await startUdpCtapDevice({
      handler: (_r, ctx) => new Promise((_res, rej) => ctx.signal.addEventListener('abort', () => rej(new Error('x')))),
      devicePort: 0,
      hostPort: 0,
    });
    try {
      const t = await openCtapDevice(dev.uri);
      try {
        await assert.rejects(t.cbor(Buffer.from([0x01]), { timeoutMs: 250 }), (e: unknown) => e instanceof CtapTransportError && e.code === 'timeout');
        assert.equal(dev.sim.cancels, 1);
      } finally {
        await t.close();
      }
    } finally {
      await dev.close();
    }
  });

  it('no device on the port: device_not_found', async () => {
    const dev = await startUdpCtapDevice({ handler: echo, devicePort: 0, hostPort: 0 });
    const uri = dev.uri;
    await dev.close();
    await assert.rejects(openCtapDevice(uri, { initTimeoutMs: 300 }), (e: unknown) => e instanceof CtapTransportError && e.code === 'device_not_found');
  });

  it('the simulator stopping mid-request: a typed error, not a hang', async () => {
    const dev = await startUdpCtapDevice({ handler: () => new Promise(() => undefined), devicePort: 0, hostPort: 0 });
    const t = await openCtapDevice(dev.uri);
    try {
      const pending = t.cbor(Buffer.from([0x01]), { timeoutMs: 700 });
      await new Promise((r) => setTimeout(r, 120));
      await dev.close();
      await assert.rejects(pending, (e: unknown) => e instanceof CtapTransportError && (e.code === 'timeout' || e.code === 'device_removed'));
    } finally {
      await t.close();
    }
  });

  it('UdpReportDevice ignores datagrams that are not 64-byte reports', async () => {
    await withDevice(echo, async (_uri, ports) => {
      const d = await UdpReportDevice.open({ port: ports.devicePort, listenPort: ports.hostPort });
      try {
        const t = await CtapHidTransport.open(d, { uri: 'udp:test' });
        assert.deepEqual(await t.cbor(Buffer.from([0x04])), Buffer.from([0x00, 0x04]));
        await t.close();
      } finally {
        await d.close();
      }
    });
  });
});
