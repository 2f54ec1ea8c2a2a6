/**
 * CRC32 as MIFARE DESFire EV1/EV2 use it for enciphered data and ChangeKey cryptograms:
 * the IEEE 802.3 polynomial (reflected 0xEDB88320), initial value 0xFFFFFFFF, NO final XOR
 * (the "JAMCRC" variant: the bitwise complement of the usual CRC-32), appended LSB first.
 * Check value: "123456789" → 0x340BC6D9 (the standard CRC-32 of it is 0xCBF43926).
 */

const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** DESFire CRC32 of the concatenation of `parts`, as an unsigned 32-bit number. */
export function crc32Desfire(...parts: Uint8Array[]): number {
  let crc = 0xffffffff;
  for (const part of parts) {
    for (const b of part) crc = (TABLE[(crc ^ b) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return crc >>> 0;
}

/** The 4 bytes appended to DESFire data: the CRC32 little-endian. */
export function crc32DesfireBytes(...parts: Uint8Array[]): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(crc32Desfire(...parts));
  return out;
}
