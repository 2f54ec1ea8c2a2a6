/**
 * USB HID FIDO keys through `node-hid` (hidapi): the production path of CTAPHID.
 *
 * - Enumeration keeps the FIDO interfaces: usage page 0xF1D0 (FIDO Alliance), usage 0x01
 *   (CTAPHID), with a path to open.
 * - `HIDAsync` (node-hid 3.x) is used when present, the synchronous `HID` class otherwise.
 * - hidapi's `write` takes the report-ID byte first; FIDO reports are unnumbered, so every
 *   64-byte report goes out as 0x00 followed by the report (65 bytes), on every platform.
 * - Unplugging shows up as a read error event or a failed write; both become `device_removed`
 *   (a failed write is checked against a fresh enumeration to tell removal from other I/O errors).
 *
 * The `node-hid` module is injected in tests (no USB and no /dev/uhid on the test machines).
 */
import { CtapTransportError } from './ctap-error.js';
import type { HidReportDevice } from './ctaphid-transport.js';
import { HID_REPORT_SIZE } from './ctaphid-frames.js';

export const FIDO_USAGE_PAGE = 0xf1d0;
export const FIDO_USAGE_CTAPHID = 0x01;

/** What node-hid reports of a device (the subset used here). */
export interface HidDeviceInfo {
  readonly vendorId: number;
  readonly productId: number;
  readonly path?: string | undefined;
  readonly serialNumber?: string | undefined;
  readonly manufacturer?: string | undefined;
  readonly product?: string | undefined;
  readonly usagePage?: number | undefined;
  readonly usage?: number | undefined;
}

interface HidEvents {
  on(event: 'data', cb: (data: Buffer) => void): unknown;
  on(event: 'error', cb: (err: unknown) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

/** node-hid 3.x `HIDAsync` instance. */
export interface HidAsyncHandle extends HidEvents {
  write(data: Buffer | number[]): Promise<number>;
  close(): Promise<void>;
}

/** node-hid `HID` (synchronous) instance. */
export interface HidSyncHandle extends HidEvents {
  write(data: Buffer | number[]): number;
  close(): void;
}

/** The parts of the `node-hid` module this transport uses. */
export interface NodeHidModule {
  devices(): HidDeviceInfo[];
  devicesAsync?: () => Promise<HidDeviceInfo[]>;
  HIDAsync?: { open(path: string): Promise<HidAsyncHandle> };
  HID: new (path: string) => HidSyncHandle;
}

export interface FidoHidDevice {
  readonly uri: string;
  readonly path: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly product?: string | undefined;
  readonly manufacturer?: string | undefined;
  readonly serialNumber?: string | undefined;
}

let loaded: Promise<NodeHidModule> | undefined;

/** Loads `node-hid` once; a missing or broken native addon is `io_error`. */
export function loadNodeHid(): Promise<NodeHidModule> {
  loaded ??= import('node-hid').then(
    (mod: unknown) => {
      const m = mod as { default?: unknown };
      return (m.default ?? mod) as NodeHidModule;
    },
    (e: unknown) => {
      loaded = undefined;
      throw new CtapTransportError('io_error', `node-hid unavailable: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    },
  );
  return loaded;
}

async function enumerate(hid: NodeHidModule): Promise<HidDeviceInfo[]> {
  try {
    return hid.devicesAsync ? await hid.devicesAsync() : hid.devices();
  } catch (e) {
    throw new CtapTransportError('io_error', `HID enumeration failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

export function isFidoInterface(d: HidDeviceInfo): boolean {
  return d.usagePage === FIDO_USAGE_PAGE && (d.usage === undefined || d.usage === FIDO_USAGE_CTAPHID) && typeof d.path === 'string' && d.path.length > 0;
}

/** The FIDO (CTAPHID) interfaces of the connected HID devices, with their `hid:` URIs. */
export async function listFidoDevices(hid?: NodeHidModule): Promise<FidoHidDevice[]> {
  const all = await enumerate(hid ?? (await loadNodeHid()));
  const seen = new Set<string>();
  const out: FidoHidDevice[] = [];
  for (const d of all) {
    if (!isFidoInterface(d) || d.path === undefined || seen.has(d.path)) continue;
    seen.add(d.path);
    out.push({
      uri: `hid:${d.path}`,
      path: d.path,
      vendorId: d.vendorId,
      productId: d.productId,
      product: d.product,
      manufacturer: d.manufacturer,
      serialNumber: d.serialNumber,
    });
  }
  return out;
}

type Handle = { kind: 'async'; h: HidAsyncHandle } | { kind: 'sync'; h: HidSyncHandle };

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class NodeHidReportDevice implements HidReportDevice {
  private readonly reportListeners = new Set<(report: Buffer) => void>();
  private readonly errorListeners = new Set<(error: CtapTransportError) => void>();
  private closed = false;
  private removed: CtapTransportError | undefined;

  private constructor(private readonly hid: NodeHidModule, private readonly handle: Handle, readonly path: string) {
    handle.h.on('data', (data: Buffer) => this.onData(data));
    handle.h.on('error', (err: unknown) => {
      if (this.closed) return;
      this.fail(new CtapTransportError('device_removed', `HID device ${path} stopped answering (${describe(err)})`, { cause: err }));
    });
  }

  /** Opens `path`; a path that is not an enumerated FIDO interface is `device_not_found`. */
  static async open(path: string, opts: { hid?: NodeHidModule } = {}): Promise<NodeHidReportDevice> {
    const hid = opts.hid ?? (await loadNodeHid());
    const present = (await enumerate(hid)).find((d) => d.path === path);
    if (!present) throw new CtapTransportError('device_not_found', `no HID device at ${path}`);
    if (!isFidoInterface(present)) throw new CtapTransportError('device_not_found', `HID device ${path} is not a FIDO interface (usage page 0x${(present.usagePage ?? 0).toString(16)})`);
    let handle: Handle;
    try {
      handle = hid.HIDAsync ? { kind: 'async', h: await hid.HIDAsync.open(path) } : { kind: 'sync', h: new hid.HID(path) };
    } catch (e) {
      throw new CtapTransportError('io_error', `cannot open HID device ${path}: ${describe(e)}`, { cause: e });
    }
    return new NodeHidReportDevice(hid, handle, path);
  }

  private onData(data: Buffer): void {
    if (this.closed) return;
    let report = Buffer.isBuffer(data) ? data : Buffer.from(data);
    // Some stacks hand back the (zero) report-ID byte first.
    if (report.length === HID_REPORT_SIZE + 1 && report[0] === 0) report = report.subarray(1);
    if (report.length > HID_REPORT_SIZE) return;
    if (report.length < HID_REPORT_SIZE) {
      const padded = Buffer.alloc(HID_REPORT_SIZE);
      report.copy(padded);
      report = padded;
    }
    for (const l of [...this.reportListeners]) l(report);
  }

  private fail(error: CtapTransportError): void {
    if (this.removed) return;
    this.removed = error;
    for (const l of [...this.errorListeners]) l(error);
  }

  async write(report: Buffer): Promise<void> {
    if (this.closed) throw new CtapTransportError('closed', `HID device ${this.path} closed`);
    if (this.removed) throw this.removed;
    if (report.length !== HID_REPORT_SIZE) throw new RangeError(`HID report of ${report.length} bytes`);
    const out = Buffer.alloc(HID_REPORT_SIZE + 1); // 0x00 report ID, then the report
    report.copy(out, 1);
    let written: number;
    try {
      written = this.handle.kind === 'async' ? await this.handle.h.write(out) : this.handle.h.write(out);
    } catch (e) {
      throw await this.classifyWriteFailure(e);
    } finally {
      out.fill(0); // requests carry PIN material
    }
    if (written < 0) throw await this.classifyWriteFailure(new Error(`write returned ${written}`));
  }

  private async classifyWriteFailure(e: unknown): Promise<CtapTransportError> {
    if (this.removed) return this.removed;
    const stillThere = await enumerate(this.hid).then((all) => all.some((d) => d.path === this.path), () => true);
    if (stillThere) return new CtapTransportError('io_error', `write to HID device ${this.path} failed: ${describe(e)}`, { cause: e });
    const error = new CtapTransportError('device_removed', `HID device ${this.path} unplugged`, { cause: e });
    this.fail(error);
    return error;
  }

  onReport(cb: (report: Buffer) => void): () => void {
    this.reportListeners.add(cb);
    return () => this.reportListeners.delete(cb);
  }

  onError(cb: (error: CtapTransportError) => void): () => void {
    this.errorListeners.add(cb);
    return () => this.errorListeners.delete(cb);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reportListeners.clear();
    this.errorListeners.clear();
    this.handle.h.removeAllListeners('data');
    try {
      if (this.handle.kind === 'async') await this.handle.h.close();
      else this.handle.h.close();
    } catch {
      // closing an unplugged device may fail; nothing is left to release
    }
    // The 'error' listener stays (it ignores events once closed): an EventEmitter without one throws.
  }
}
