/**
 * The node-hid wrapper with an injected fake `node-hid` module: no USB and no /dev/uhid exist on
 * the test machines, so the production path is checked against node-hid's documented behaviour
 * (report-ID byte first on write, 'data'/'error' events, HIDAsync in 3.x) rather than hardware.
 * The fake device runs the CTAPHID device harness behind it, so whole transactions go through.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import {
  NodeHidReportDevice,
  listFidoDevices,
  type HidDeviceInfo,
  type NodeHidModule,
  type HidAsyncHandle,
  type HidSyncHandle,
} from '../../../src/main/transports/ctap/node-hid-report-device.js';
import { openCtapDevice } from '../../../src/main/transports/ctap/open-ctap-device.js';
import { CtapTransportError } from '../../../src/main/transports/ctap/ctap-error.js';
import { CtapHidDeviceSim, type CtapCborHandler } from '../../testbed/fido/ctaphid-device.js';

const echo: CtapCborHandler = async (request) => Buffer.concat([Buffer.from([0x00]), request]);

const KEY: HidDeviceInfo = { vendorId: 0x1050, productId: 0x0407, path: '/dev/hidraw3', usagePage: 0xf1d0, usage: 1, product: 'Security Key' };
const KEYBOARD: HidDeviceInfo = { vendorId: 0x1050, productId: 0x0407, path: '/dev/hidraw2', usagePage: 0x01, usage: 6 };
const OTHER_FIDO_USAGE: HidDeviceInfo = { vendorId: 0x20a0, productId: 0x42b1, path: '/dev/hidraw5', usagePage: 0xf1d0, usage: 2 };
const NO_PATH: HidDeviceInfo = { vendorId: 0x20a0, productId: 0x42b1, usagePage: 0xf1d0, usage: 1 };

/** A fake HID handle backed by the CTAPHID device simulator. */
class FakeHandle extends EventEmitter {
  readonly writes: Buffer[] = [];
  closed = false;
  readonly sim: CtapHidDeviceSim;
  constructor(private readonly world: FakeHidWorld) {
    super();
    this.sim = new CtapHidDeviceSim({ handler: world.handler }, (report) => {
      setImmediate(() => { if (!this.closed) this.emit('data', world.readWithReportId ? Buffer.concat([Buffer.from([0]), report]) : report); });
    });
  }
  writeBytes(data: Buffer | number[]): number {
    const b = Buffer.from(data);
    this.writes.push(b);
    if (this.world.unplugged) throw new Error('Cannot write to hid device');
    this.sim.receive(b.subarray(1));
    return b.length;
  }
  unplug(): void {
    this.world.unplugged = true;
    this.world.devices = this.world.devices.filter((d) => d.path !== KEY.path);
    this.emit('error', new Error('could not read from HID device'));
  }
}

class FakeHidWorld {
  devices: HidDeviceInfo[] = [KEYBOARD, KEY, OTHER_FIDO_USAGE, NO_PATH];
  unplugged = false;
  readWithReportId = false;
  handles: FakeHandle[] = [];
  constructor(readonly handler: CtapCborHandler = echo) {}

  module(kind: 'async' | 'sync'): NodeHidModule {
    return fakeNodeHid(this, kind);
  }
}

function fakeNodeHid(world: FakeHidWorld, kind: 'async' | 'sync'): NodeHidModule {
  {
    class FakeHID extends FakeHandle implements HidSyncHandle {
      constructor(path: string) {
        if (!world.devices.some((d) => d.path === path)) throw new Error(`cannot open device with path ${path}`);
        super(world);
        world.handles.push(this);
      }
      write(data: Buffer | number[]): number {
        return this.writeBytes(data);
      }
      close(): void {
        this.closed = true;
        this.sim.close();
      }
    }
    class FakeHIDAsync extends FakeHandle implements HidAsyncHandle {
      async write(data: Buffer | number[]): Promise<number> {
        return this.writeBytes(data);
      }
      async close(): Promise<void> {
        this.closed = true;
        this.sim.close();
      }
    }
    const mod: NodeHidModule = {
      devices: () => [...world.devices],
      HID: FakeHID,
    };
    if (kind === 'async') {
      return {
        ...mod,
        devicesAsync: async () => [...world.devices],
        HIDAsync: {
          async open(path: string) {
            if (!world.devices.some((d) => d.path === path)) throw new Error(`cannot open device with path ${path}`);
            const h = new FakeHIDAsync(world);
            world.handles.push(h);
            return h;
          },
        },
      };
    }
    return mod;
  }
}

const isCode = (code: string) => (e: unknown): boolean => e instanceof CtapTransportError && e.code === code;

describe('node-hid report device (fake node-hid module)', () => {
  it('the real node-hid module loads and enumerates (no FIDO key on the test machines)', async () => {
    const list = await listFidoDevices();
    assert.ok(Array.isArray(list));
    for (const d of list) assert.match(d.uri, /^hid:./);
  });

  it('lists FIDO interfaces only: usage page 0xF1D0, usage 1, with a path', async () => {
    const world = new FakeHidWorld();
    const list = await listFidoDevices(world.module('async'));
    assert.deepEqual(list.map((d) => d.uri), ['hid:/dev/hidraw3']);
    assert.equal(list[0]?.product, 'Security Key');
    assert.deepEqual((await listFidoDevices(world.module('sync'))).map((d) => d.path), ['/dev/hidraw3']);
  });

  for (const kind of ['async', 'sync'] as const) {
    it(`${kind === 'async' ? 'HIDAsync' : 'HID'}: writes 0x00 + 64-byte reports and runs whole transactions`, async () => {
      const world = new FakeHidWorld();
      const t = await openCtapDevice('hid:/dev/hidraw3', { hid: world.module(kind) });
      try {
        const req = Buffer.alloc(300, 0x33);
        assert.deepEqual(await t.cbor(req), Buffer.concat([Buffer.from([0]), req]));
        const handle = world.handles[0];
        assert.ok(handle);
        assert.ok(handle.writes.length >= 7);
        for (const w of handle.writes) {
          assert.equal(w.length, 65, 'report-ID byte + 64');
          assert.equal(w[0], 0x00, 'report ID 0 (unnumbered reports)');
        }
        assert.equal(handle.writes[0]?.subarray(1, 6).toString('hex'), 'ffffffff86', 'INIT on the broadcast channel');
      } finally {
        await t.close();
      }
      assert.equal(world.handles[0]?.closed, true);
    });
  }

  it('input reports that carry a leading report-ID byte are accepted', async () => {
    const world = new FakeHidWorld();
    world.readWithReportId = true;
    const t = await openCtapDevice('hid:/dev/hidraw3', { hid: world.module('async') });
    try {
      assert.deepEqual(await t.cbor(Buffer.from([0x04])), Buffer.from([0x00, 0x04]));
    } finally {
      await t.close();
    }
  });

  it('a path that is not present, or not a FIDO interface: device_not_found', async () => {
    const world = new FakeHidWorld();
    await assert.rejects(openCtapDevice('hid:/dev/hidraw9', { hid: world.module('async') }), isCode('device_not_found'));
    await assert.rejects(NodeHidReportDevice.open('/dev/hidraw2', { hid: world.module('async') }), isCode('device_not_found'));
  });

  it('unplugged during an operation (read error event): device_removed', async () => {
    const world = new FakeHidWorld(() => new Promise(() => undefined));
    const t = await openCtapDevice('hid:/dev/hidraw3', { hid: world.module('async') });
    try {
      const pending = t.cbor(Buffer.from([0x01]), { timeoutMs: 5000 });
      await new Promise((r) => setTimeout(r, 20));
      world.handles[0]?.unplug();
      await assert.rejects(pending, isCode('device_removed'));
      await assert.rejects(t.cbor(Buffer.from([0x01])), isCode('device_removed'));
    } finally {
      await t.close();
    }
  });

  it('unplugged before a write (write throws, device gone from enumeration): device_removed', async () => {
    const world = new FakeHidWorld();
    const dev = await NodeHidReportDevice.open('/dev/hidraw3', { hid: world.module('sync') });
    world.unplugged = true;
    world.devices = world.devices.filter((d) => d.path !== KEY.path);
    await assert.rejects(dev.write(Buffer.alloc(64)), isCode('device_removed'));
    await dev.close();
  });

  it('a write failure with the device still present: io_error', async () => {
    const world = new FakeHidWorld();
    const dev = await NodeHidReportDevice.open('/dev/hidraw3', { hid: world.module('sync') });
    world.unplugged = true; // write throws, but enumeration still lists it
    await assert.rejects(dev.write(Buffer.alloc(64)), isCode('io_error'));
    await dev.close();
  });
});
