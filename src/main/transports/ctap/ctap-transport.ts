/**
 * What the CTAP2 client sees of an authenticator, whatever carries it: USB HID (`node-hid`,
 * production), CTAPHID reports over UDP (simulators), or CTAP over PC/SC (NFC keys).
 * Device URIs: `hid:<path>`, `udp:<host>:<port>[?listen=<port>]`, `pcsc:<reader name>`.
 */
export type CtapKeepaliveStatus = 'processing' | 'user-presence-needed';

export interface CtapRequestOptions {
  /** Aborting sends CTAPHID_CANCEL (HID) and rejects with a transport `cancelled` error. */
  readonly signal?: AbortSignal;
  /** Overall time budget for this request, keepalives included. */
  readonly timeoutMs?: number;
  /** Called on each keepalive, so the UI can say "touch your key". */
  readonly onKeepalive?: (status: CtapKeepaliveStatus) => void;
}

export interface CtapTransport {
  readonly uri: string;
  /**
   * One CTAP2 message: `request` = command byte followed by its CBOR parameters; resolves with
   * the authenticator's answer = status byte followed by optional CBOR. Transport failures
   * (unplugged, timeout, channel busy, malformed frames) reject with the transport's errors.
   */
  cbor(request: Buffer, opts?: CtapRequestOptions): Promise<Buffer>;
  /** Liveness check where the transport has one (CTAPHID_PING echoes `data`). */
  ping?(data: Buffer, opts?: CtapRequestOptions): Promise<Buffer>;
  /** Ask the device to signal itself (CTAPHID_WINK) where supported. */
  wink?(): Promise<void>;
  close(): Promise<void>;
}
