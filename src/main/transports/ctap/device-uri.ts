/**
 * Authenticator addresses, the same everywhere (CLI `--device`, configuration, audit):
 *
 * - `hid:<path>`: a USB HID device by its OS path, as `node-hid` lists it (`/dev/hidraw3`,
 *   `DevSrvsID:4294969329`, `\\?\hid#vid_1050&pid_0407...`); the path is taken verbatim.
 * - `udp:<host>:<port>[?listen=<port>]`: CTAPHID reports over UDP (simulators); `listen` is the
 *   local port the device sends to (default 7112). IPv6 hosts go in brackets: `udp:[::1]:8111`.
 * - `pcsc:<reader name>`: an NFC key on a PC/SC reader, by the reader name the daemon lists
 *   (`pcsc:Virtual PCD 00 00`), verbatim.
 */
import { CtapTransportError } from './ctap-error.js';

export const DEFAULT_UDP_DEVICE_PORT = 8111;
export const DEFAULT_UDP_LISTEN_PORT = 7112;

export type DeviceUri =
  | { readonly scheme: 'hid'; readonly path: string }
  | { readonly scheme: 'udp'; readonly host: string; readonly port: number; readonly listenPort: number }
  | { readonly scheme: 'pcsc'; readonly reader: string };

function invalid(uri: string, why: string): CtapTransportError {
  return new CtapTransportError('invalid_uri', `invalid device URI ${JSON.stringify(uri)}: ${why}`);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function parsePort(uri: string, text: string, what: string, min: number): number {
  if (!/^\d{1,5}$/.test(text)) throw invalid(uri, `${what} ${JSON.stringify(text)} is not a number`);
  const port = Number(text);
  if (port < min || port > 65535) throw invalid(uri, `${what} ${port} is out of range ${min}-65535`);
  return port;
}

export function parseDeviceUri(uri: string): DeviceUri {
  if (typeof uri !== 'string' || uri.length === 0) throw invalid(String(uri), 'empty');
  if (uri.length > 1024) throw invalid(uri.slice(0, 40) + '…', 'longer than 1024 characters');
  if (CONTROL.test(uri)) throw invalid(uri, 'control characters');
  const colon = uri.indexOf(':');
  if (colon < 0) throw invalid(uri, 'expected hid:<path>, udp:<host>:<port>[?listen=<port>] or pcsc:<reader name>');
  const scheme = uri.slice(0, colon).toLowerCase();
  const rest = uri.slice(colon + 1);
  switch (scheme) {
    case 'hid':
      if (rest.length === 0) throw invalid(uri, 'no HID device path after hid:');
      return { scheme: 'hid', path: rest };
    case 'pcsc':
      if (rest.trim().length === 0) throw invalid(uri, 'no reader name after pcsc:');
      return { scheme: 'pcsc', reader: rest };
    case 'udp':
      return parseUdp(uri, rest);
    default:
      throw invalid(uri, `unknown scheme ${JSON.stringify(scheme)} (hid, udp or pcsc)`);
  }
}

function parseUdp(uri: string, rest: string): DeviceUri {
  const q = rest.indexOf('?');
  const address = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? undefined : rest.slice(q + 1);
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) throw invalid(uri, 'unclosed [ in IPv6 host');
    host = address.slice(1, close);
    if (address[close + 1] !== ':') throw invalid(uri, 'expected :<port> after the IPv6 host');
    portText = address.slice(close + 2);
    if (!/^[0-9a-fA-F:.]+$/.test(host) || !host.includes(':')) throw invalid(uri, `${JSON.stringify(host)} is not an IPv6 address`);
  } else {
    const c = address.lastIndexOf(':');
    if (c < 0) throw invalid(uri, 'expected udp:<host>:<port>');
    host = address.slice(0, c);
    portText = address.slice(c + 1);
    if (host.length === 0) throw invalid(uri, 'empty host');
    if (host.includes(':')) throw invalid(uri, 'IPv6 hosts go in brackets: udp:[::1]:8111');
    if (!/^[A-Za-z0-9.-]+$/.test(host)) throw invalid(uri, `${JSON.stringify(host)} is not a host name or IPv4 address`);
  }
  if (host.length === 0) throw invalid(uri, 'empty host');
  const port = parsePort(uri, portText, 'port', 1);
  let listenPort = DEFAULT_UDP_LISTEN_PORT;
  if (query !== undefined) {
    const params = query.split('&');
    for (const p of params) {
      const eq = p.indexOf('=');
      const key = eq < 0 ? p : p.slice(0, eq);
      if (key !== 'listen' || eq < 0) throw invalid(uri, `unknown parameter ${JSON.stringify(p)} (only listen=<port>)`);
      listenPort = parsePort(uri, p.slice(eq + 1), 'listen port', 0);
    }
    if (params.length > 1) throw invalid(uri, 'listen given more than once');
  }
  return { scheme: 'udp', host, port, listenPort };
}

export function formatDeviceUri(d: DeviceUri): string {
  switch (d.scheme) {
    case 'hid':
      return `hid:${d.path}`;
    case 'pcsc':
      return `pcsc:${d.reader}`;
    case 'udp': {
      const host = d.host.includes(':') ? `[${d.host}]` : d.host;
      const listen = d.listenPort === DEFAULT_UDP_LISTEN_PORT ? '' : `?listen=${d.listenPort}`;
      return `udp:${host}:${d.port}${listen}`;
    }
  }
}
