/**
 * Host transports against the device simulator on an in-process report bus: two applications
 * sharing one key (channel busy and retry), and an unplug mid-request.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessHidBus, openInProcessCtapTransport } from '../../testbed/fido/in-process-device.js';
import type { CtapCborHandler } from '../../testbed/fido/ctaphid-device.js';
import { CtapHidTransport } from '../../../src/main/transports/ctap/ctaphid-transport.js';
import { CtapTransportError } from '../../../src/main/transports/ctap/ctap-error.js';

const slowEcho: CtapCborHandler = async (request) => {
  await new Promise((r) => setTimeout(r, request[0] === 0x01 ? 150 : 0));
  return Buffer.concat([Buffer.from([0x00]), request]);
};

describe('CTAPHID transport ↔ device simulator in process', () => {
  it('two hosts on one key: the second is answered CHANNEL_BUSY and gets through by retrying', async () => {
    const bus = new InProcessHidBus({ handler: slowEcho });
    const a = await CtapHidTransport.open(bus.connect(), { uri: 'hid:a' });
    const b = await CtapHidTransport.open(bus.connect(), { uri: 'hid:b', busyBackoffMs: 10, busyRetries: 8 });
    try {
      assert.notEqual(a.cid, b.cid, 'each host has its own channel');
      const slow = a.cbor(Buffer.from([0x01, 0xaa]));
      await new Promise((r) => setTimeout(r, 20));
      const [ra, rb] = await Promise.all([slow, b.cbor(Buffer.from([0x04, 0xbb]))]);
      assert.deepEqual(ra, Buffer.from([0x00, 0x01, 0xaa]));
      assert.deepEqual(rb, Buffer.from([0x00, 0x04, 0xbb]));
    } finally {
      await a.close();
      await b.close();
      bus.close();
    }
  });

  it('without retries left the busy answer surfaces as channel_busy', async () => {
    const bus = new InProcessHidBus({ handler: slowEcho });
    const a = await CtapHidTransport.open(bus.connect(), { uri: 'hid:a' });
    const b = await CtapHidTransport.open(bus.connect(), { uri: 'hid:b', busyRetries: 0 });
    try {
      const slow = a.cbor(Buffer.from([0x01]));
      await new Promise((r) => setTimeout(r, 20));
      await assert.rejects(b.cbor(Buffer.from([0x04])), (e: unknown) => e instanceof CtapTransportError && e.code === 'channel_busy');
      await slow;
    } finally {
      await a.close();
      await b.close();
      bus.close();
    }
  });

  it('unplugged mid-request: device_removed', async () => {
    const { transport, bus } = await openInProcessCtapTransport(() => new Promise(() => undefined));
    try {
      const pending = transport.cbor(Buffer.from([0x01]), { timeoutMs: 5000 });
      await new Promise((r) => setTimeout(r, 20));
      bus.unplug();
      await assert.rejects(pending, (e: unknown) => e instanceof CtapTransportError && e.code === 'device_removed');
    } finally {
      await transport.close();
    }
  });

  it('PING and WINK through the simulator', async () => {
    let winks = 0;
    const { transport } = await openInProcessCtapTransport(slowEcho, { device: { onWink: () => winks++ } });
    try {
      const data = Buffer.alloc(500, 0x61);
      assert.deepEqual(await transport.ping?.(data), data);
      await transport.wink?.();
      assert.equal(winks, 1);
    } finally {
      await transport.close();
    }
  });
});
