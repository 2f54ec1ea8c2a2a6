/** Every icon file the project ships, by path relative to the repository root. */
import { trayStates } from '../../../src/shared/status-view.js';
import { buildIcns, buildIco, type IcnsType } from './containers.js';
import { appIconDesign, smallAppIconDesign, trayDesign, trayTemplateDesign } from './design.js';
import { encodePng } from './png.js';
import { rasterise, toSvg, type Design } from './shapes.js';

/** App icon sizes: PNG set (Linux hicolor and electron-builder), ICO, ICNS. */
export const appPngSizes = [16, 24, 32, 48, 64, 128, 256, 512, 1024] as const;
export const icoSizes = [16, 24, 32, 48, 64, 256] as const;
export const icnsEntries: readonly (readonly [IcnsType, number])[] = [
  ['ic11', 32],
  ['ic12', 64],
  ['ic07', 128],
  ['ic13', 256],
  ['ic08', 256],
  ['ic14', 512],
  ['ic09', 512],
  ['ic10', 1024],
];
/** Tray pixel sizes: 1x, 1.5x (Windows at 150 %) and 2x. Templates: 1x and 2x. */
export const trayScales = [
  ['', 16],
  ['@1.5x', 24],
  ['@2x', 32],
] as const;
export const templateScales = [
  ['', 16],
  ['@2x', 32],
] as const;

function appIconPng(size: number): Buffer {
  // Below 48 px the 3x3 mosaic turns to mush: use the 2x2 small design.
  return encodePng(rasterise(size < 48 ? smallAppIconDesign() : appIconDesign(), size));
}

export function iconFiles(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const svg = (design: Design, title: string) => Buffer.from(toSvg(design, title), 'utf8');
  const appPngs = new Map<number, Buffer>(appPngSizes.map((size) => [size, appIconPng(size)]));
  const png = (size: number): Buffer => {
    const found = appPngs.get(size);
    if (!found) throw new Error(`no app icon at ${size} px`);
    return found;
  };

  files.set('assets/icons/icon.svg', svg(appIconDesign(), 'Tessera'));
  files.set('assets/icons/icon-small.svg', svg(smallAppIconDesign(), 'Tessera'));
  for (const size of appPngSizes) files.set(`assets/icons/png/${size}x${size}.png`, png(size));
  files.set('assets/icons/icon.png', png(1024));
  files.set('assets/icons/icon.ico', buildIco(icoSizes.map(png)));
  files.set('assets/icons/icon.icns', buildIcns(icnsEntries.map(([type, size]) => [type, png(size)] as const)));

  for (const state of trayStates) {
    files.set(`assets/tray/src/tray-${state}.svg`, svg(trayDesign(state), `Tessera: ${state}`));
    files.set(`assets/tray/src/tray-${state}Template.svg`, svg(trayTemplateDesign(state), `Tessera: ${state}`));
    for (const [suffix, size] of trayScales) files.set(`assets/tray/tray-${state}${suffix}.png`, encodePng(rasterise(trayDesign(state), size)));
    for (const [suffix, size] of templateScales) {
      files.set(`assets/tray/tray-${state}Template${suffix}.png`, encodePng(rasterise(trayTemplateDesign(state), size)));
    }
  }
  return files;
}
