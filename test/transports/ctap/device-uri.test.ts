/**
 * Device URIs: the three forms of issue 4, canonical formatting, and clear refusals.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDeviceUri, formatDeviceUri } from '../../../src/main/transports/ctap/device-uri.js';
import { CtapTransportError } from '../../../src/main/transports/ctap/ctap-error.js';

describe('device URIs', () => {
  it('parses hid:, udp: and pcsc: forms', () => {
    assert.deepEqual(parseDeviceUri('hid:/dev/hidraw3'), { scheme: 'hid', path: '/dev/hidraw3' });
    assert.deepEqual(parseDeviceUri('hid:\\\\?\\hid#vid_1050&pid_0407&mi_01#7&2b1b0fe1&0&0000'), {
      scheme: 'hid',
      path: '\\\\?\\hid#vid_1050&pid_0407&mi_01#7&2b1b0fe1&0&0000',
    });
    assert.deepEqual(parseDeviceUri('hid:DevSrvsID:4294969329'), { scheme: 'hid', path: 'DevSrvsID:4294969329' });
    assert.deepEqual(parseDeviceUri('udp:127.0.0.1:8111'), { scheme: 'udp', host: '127.0.0.1', port: 8111, listenPort: 7112 });
    assert.deepEqual(parseDeviceUri('udp:localhost:9000?listen=9001'), { scheme: 'udp', host: 'localhost', port: 9000, listenPort: 9001 });
    assert.deepEqual(parseDeviceUri('udp:[::1]:8111?listen=0'), { scheme: 'udp', host: '::1', port: 8111, listenPort: 0 });
    assert.deepEqual(parseDeviceUri('pcsc:Virtual PCD 00 00'), { scheme: 'pcsc', reader: 'Virtual PCD 00 00' });
    assert.deepEqual(parseDeviceUri('PCSC:ACS ACR122U PICC Interface 00 00'), { scheme: 'pcsc', reader: 'ACS ACR122U PICC Interface 00 00' });
  });

  it('formats back to the canonical form (default listen port omitted)', () => {
    for (const uri of ['hid:/dev/hidraw3', 'udp:127.0.0.1:8111', 'udp:127.0.0.1:40000?listen=40001', 'udp:[::1]:8111', 'pcsc:Virtual PCD 00 01']) {
      assert.equal(formatDeviceUri(parseDeviceUri(uri)), uri);
    }
    assert.equal(formatDeviceUri(parseDeviceUri('udp:127.0.0.1:8111?listen=7112')), 'udp:127.0.0.1:8111');
  });

  it('refuses malformed URIs with invalid_uri and a reason', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /empty/],
      ['/dev/hidraw3', /expected hid:/],
      ['usb:/dev/hidraw3', /unknown scheme/],
      ['hid:', /no HID device path/],
      ['pcsc:', /no reader name/],
      ['pcsc:   ', /no reader name/],
      ['udp:127.0.0.1', /expected udp:<host>:<port>/],
      ['udp:127.0.0.1:', /not a number/],
      ['udp:127.0.0.1:0', /out of range/],
      ['udp:127.0.0.1:65536', /out of range/],
      ['udp:127.0.0.1:81a1', /not a number/],
      ['udp::8111', /empty host/],
      ['udp:::1:8111', /IPv6 hosts go in brackets/],
      ['udp:[::1:8111', /unclosed/],
      ['udp:[zz]:8111', /not an IPv6 address/],
      ['udp:host name:8111', /not a host name/],
      ['udp:127.0.0.1:8111?port=1', /unknown parameter/],
      ['udp:127.0.0.1:8111?listen=x', /listen port/],
      ['udp:127.0.0.1:8111?listen=1&listen=2', /more than once/],
      ['hid:/dev/hid\nraw', /control characters/],
      ['hid:' + 'x'.repeat(2000), /longer than 1024/],
    ];
    for (const [uri, reason] of bad) {
      assert.throws(
        () => parseDeviceUri(uri),
        (e: unknown) => e instanceof CtapTransportError && e.code === 'invalid_uri' && reason.test(e.message),
        JSON.stringify(uri),
      );
    }
  });
});
