/**
 * One entry point from a device URI to a `CtapTransport` (see `device-uri.ts` for the forms).
 *
 * - `hid:` opens the path through `node-hid` and runs CTAPHID_INIT.
 * - `udp:` binds the listen port, sends to the device port and runs CTAPHID_INIT.
 * - `pcsc:` holds an exclusive connection to the card in that reader through the
 *   `ReaderMonitor` (the caller's, or a private one stopped on close) for the transport's whole
 *   life; close() releases it, which resets the card.
 */
import type { CtapTransport } from './ctap-transport.js';
import { CtapTransportError } from './ctap-error.js';
import { parseDeviceUri, formatDeviceUri } from './device-uri.js';
import { CtapHidTransport, type CtapHidTransportOptions } from './ctaphid-transport.js';
import { UdpReportDevice } from './udp-report-device.js';
import { NodeHidReportDevice, listFidoDevices, type FidoHidDevice, type NodeHidModule } from './node-hid-report-device.js';
import { CtapNfcTransport } from './ctap-nfc-transport.js';
import { ReaderMonitor } from '../pcsc/reader-monitor.js';
import { isTesseraError } from '../../errors.js';

export interface OpenCtapDeviceOptions {
  /** PC/SC monitor for `pcsc:` URIs (a private one is started and stopped otherwise). */
  readonly monitor?: ReaderMonitor;
  /** `node-hid` module for `hid:` URIs (injected in tests). */
  readonly hid?: NodeHidModule;
  /** Time allowed for CTAPHID_INIT (default 3000 ms). */
  readonly initTimeoutMs?: number;
  /** Options of the CTAPHID transport (timeouts, busy retries). */
  readonly hidOptions?: Omit<CtapHidTransportOptions, 'uri' | 'initTimeoutMs'>;
  /** NFC: one extended-length APDU per message instead of chaining (default false). */
  readonly extendedLength?: boolean;
}

export { listFidoDevices, type FidoHidDevice };

export async function openCtapDevice(uri: string, opts: OpenCtapDeviceOptions = {}): Promise<CtapTransport> {
  const d = parseDeviceUri(uri);
  const canonical = formatDeviceUri(d);
  switch (d.scheme) {
    case 'hid': {
      const device = await NodeHidReportDevice.open(d.path, opts.hid ? { hid: opts.hid } : {});
      return CtapHidTransport.open(device, { ...opts.hidOptions, uri: canonical, initTimeoutMs: opts.initTimeoutMs ?? 3000 });
    }
    case 'udp': {
      const device = await UdpReportDevice.open({ host: d.host, port: d.port, listenPort: d.listenPort });
      return CtapHidTransport.open(device, { ...opts.hidOptions, uri: canonical, initTimeoutMs: opts.initTimeoutMs ?? 3000 });
    }
    case 'pcsc':
      return openNfc(d.reader, canonical, opts);
  }
}

async function openNfc(reader: string, uri: string, opts: OpenCtapDeviceOptions): Promise<CtapTransport> {
  let monitor = opts.monitor;
  const ownMonitor = !monitor;
  if (!monitor) {
    monitor = new ReaderMonitor();
    await monitor.start();
    await monitor.settled(2000);
  }
  const m = monitor;
  const stopOwn = async (): Promise<void> => {
    if (ownMonitor) await m.stop();
  };
  const info = m.list().find((r) => r.name === reader);
  if (!info || !info.cardPresent) {
    await stopOwn();
    throw new CtapTransportError('device_not_found', info ? `no key on reader ${reader}` : `no reader named ${reader}`);
  }
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => { release = resolve; });
  let opened: (t: CtapNfcTransport) => void = () => undefined;
  let failed: (e: unknown) => void = () => undefined;
  const ready = new Promise<CtapNfcTransport>((resolve, reject) => { opened = resolve; failed = reject; });
  const held = m.withCard(reader, async (channel) => {
    const transport = await CtapNfcTransport.open(channel, {
      uri,
      extendedLength: opts.extendedLength ?? false,
      onClose: async () => {
        release();
        await held.catch(() => undefined);
        await stopOwn();
      },
    });
    opened(transport);
    await released;
  });
  held.catch((e: unknown) => failed(e));
  try {
    return await ready;
  } catch (e) {
    await stopOwn();
    if (e instanceof CtapTransportError) throw e;
    if (isTesseraError(e) && (e.code === 'no_card' || e.code === 'reader_unavailable')) {
      throw new CtapTransportError('device_not_found', `no key on reader ${reader}: ${e.message}`, { cause: e });
    }
    throw new CtapTransportError('io_error', `cannot connect to the key on ${reader}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
