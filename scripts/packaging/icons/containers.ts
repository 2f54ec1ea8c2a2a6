/**
 * Icon containers that hold PNG images as they are:
 * - ICO (Windows): ICONDIR (6 bytes) + one ICONDIRENTRY (16 bytes) per image + the PNG data.
 *   PNG entries are accepted by Windows since Vista; width/height 0 in an entry means 256.
 * - ICNS (macOS): 'icns' + total length, then chunks of type + length (header included) + PNG.
 */
import { decodePng } from './png.js';

export function buildIco(pngs: readonly Buffer[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(pngs.length, 4);
  const entries: Buffer[] = [];
  let offset = 6 + 16 * pngs.length;
  for (const png of pngs) {
    const { width, height } = decodePng(png);
    if (width > 256 || height > 256) throw new Error(`ICO images are at most 256 px, got ${width}x${height}`);
    const entry = Buffer.alloc(16);
    entry[0] = width === 256 ? 0 : width;
    entry[1] = height === 256 ? 0 : height;
    entry[2] = 0; // palette size
    entry[3] = 0; // reserved
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    entries.push(entry);
    offset += png.length;
  }
  return Buffer.concat([header, ...entries, ...pngs]);
}

export interface IcoImage {
  width: number;
  height: number;
  png: Buffer;
}

export function readIco(file: Buffer): IcoImage[] {
  if (file.length < 6 || file.readUInt16LE(0) !== 0 || file.readUInt16LE(2) !== 1) throw new Error('not an ICO file');
  const count = file.readUInt16LE(4);
  const images: IcoImage[] = [];
  for (let i = 0; i < count; i++) {
    const at = 6 + 16 * i;
    if (at + 16 > file.length) throw new Error('truncated ICO directory');
    const size = file.readUInt32LE(at + 8);
    const offset = file.readUInt32LE(at + 12);
    if (offset + size > file.length) throw new Error('ICO image runs past the end');
    images.push({ width: file[at] || 256, height: file[at + 1] || 256, png: file.subarray(offset, offset + size) });
  }
  return images;
}

/** ICNS PNG chunk types and the pixel size each must hold. */
export const icnsTypes = {
  ic07: 128,
  ic08: 256,
  ic09: 512,
  ic10: 1024, // 512@2x
  ic11: 32, // 16@2x
  ic12: 64, // 32@2x
  ic13: 256, // 128@2x
  ic14: 512, // 256@2x
} as const;
export type IcnsType = keyof typeof icnsTypes;

export function buildIcns(images: readonly (readonly [IcnsType, Buffer])[]): Buffer {
  const chunks = images.map(([type, png]) => {
    const { width, height } = decodePng(png);
    if (width !== icnsTypes[type] || height !== icnsTypes[type]) {
      throw new Error(`${type} must be ${icnsTypes[type]} px, got ${width}x${height}`);
    }
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(8 + png.length, 4);
    return Buffer.concat([head, png]);
  });
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + body.length, 4);
  return Buffer.concat([head, body]);
}

export function readIcns(file: Buffer): Map<string, Buffer> {
  if (file.length < 8 || file.toString('latin1', 0, 4) !== 'icns' || file.readUInt32BE(4) !== file.length) {
    throw new Error('not an ICNS file');
  }
  const out = new Map<string, Buffer>();
  let offset = 8;
  while (offset < file.length) {
    if (offset + 8 > file.length) throw new Error('truncated ICNS chunk header');
    const type = file.toString('latin1', offset, offset + 4);
    const length = file.readUInt32BE(offset + 4);
    if (length < 8 || offset + length > file.length) throw new Error(`ICNS chunk ${type} has a bad length`);
    out.set(type, file.subarray(offset + 8, offset + length));
    offset += length;
  }
  return out;
}
