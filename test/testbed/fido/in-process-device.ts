/**
 * The CTAPHID device simulator without sockets: a report "bus" that links host-side
 * `HidReportDevice`s to one `CtapHidDeviceSim`, as several applications opening the same USB key
 * would be. Reports are delivered asynchronously (next turn of the event loop), never re-entrantly.
 */
import { CtapHidDeviceSim, type CtapCborHandler, type CtapHidDeviceOptions } from './ctaphid-device.js';
import { CtapHidTransport, type CtapHidTransportOptions, type HidReportDevice } from '../../../src/main/transports/ctap/ctaphid-transport.js';
import { CtapTransportError } from '../../../src/main/transports/ctap/ctap-error.js';

export class InProcessHidBus {
  readonly sim: CtapHidDeviceSim;
  private readonly hosts = new Set<InProcessHidDevice>();
  private closed = false;

  constructor(opts: CtapHidDeviceOptions) {
    this.sim = new CtapHidDeviceSim(opts, (report) => {
      const copy = Buffer.from(report);
      setImmediate(() => {
        for (const h of [...this.hosts]) h.deliver(copy);
      });
    });
  }

  /** A new host-side handle on the device. */
  connect(): InProcessHidDevice {
    const d = new InProcessHidDevice(this);
    this.hosts.add(d);
    return d;
  }

  /** Host → device. */
  fromHost(report: Buffer): void {
    if (this.closed) return;
    const copy = Buffer.from(report);
    setImmediate(() => this.sim.receive(copy));
  }

  detach(d: InProcessHidDevice): void {
    this.hosts.delete(d);
  }

  /** The key is unplugged: every host handle reports `device_removed`. */
  unplug(): void {
    this.close();
    for (const h of [...this.hosts]) h.removed();
  }

  close(): void {
    this.closed = true;
    this.sim.close();
  }
}

export class InProcessHidDevice implements HidReportDevice {
  private readonly reportCbs = new Set<(r: Buffer) => void>();
  private readonly errorCbs = new Set<(e: CtapTransportError) => void>();
  private gone = false;

  constructor(private readonly bus: InProcessHidBus) {}

  async write(report: Buffer): Promise<void> {
    if (this.gone) throw new CtapTransportError('device_removed', 'in-process key unplugged');
    this.bus.fromHost(report);
  }

  onReport(cb: (r: Buffer) => void): () => void {
    this.reportCbs.add(cb);
    return () => this.reportCbs.delete(cb);
  }

  onError(cb: (e: CtapTransportError) => void): () => void {
    this.errorCbs.add(cb);
    return () => this.errorCbs.delete(cb);
  }

  deliver(report: Buffer): void {
    for (const cb of [...this.reportCbs]) cb(report);
  }

  removed(): void {
    this.gone = true;
    const e = new CtapTransportError('device_removed', 'in-process key unplugged');
    for (const cb of [...this.errorCbs]) cb(e);
  }

  async close(): Promise<void> {
    this.bus.detach(this);
    this.reportCbs.clear();
    this.errorCbs.clear();
  }
}

/**
 * A CTAPHID transport on a private in-process device running `handler`; closing the transport
 * stops the device.
 */
export async function openInProcessCtapTransport(
  handler: CtapCborHandler,
  opts: { device?: Omit<CtapHidDeviceOptions, 'handler'>; transport?: Partial<CtapHidTransportOptions> } = {},
): Promise<{ transport: CtapHidTransport; bus: InProcessHidBus }> {
  const bus = new InProcessHidBus({ ...opts.device, handler });
  const host = bus.connect();
  const inner = host.close.bind(host);
  host.close = async () => {
    await inner();
    bus.close();
  };
  const transport = await CtapHidTransport.open(host, { uri: 'hid:in-process', ...opts.transport });
  return { transport, bus };
}
