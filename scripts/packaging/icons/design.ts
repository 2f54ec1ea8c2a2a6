/**
 * The Tessera icons. Motif: tesserae, the small square tiles of a mosaic. The app icon sets a
 * "T" in white tiles among blue ones, with one green tile (care); small sizes and the tray use
 * a 2x2 tile glyph drawn on a 16-unit grid so edges fall on whole pixels at 16 and 32 px.
 */
import type { TrayState } from '../../../src/shared/status-view.js';
import type { Design, Paint, Shape } from './shapes.js';

export const palette = {
  navyTop: '#1f5a96',
  navyBottom: '#123a66',
  white: '#ffffff',
  blue: '#3f8fd1',
  lightBlue: '#6cb2e6',
  green: '#2fa35a',
  amber: '#e39b00',
  red: '#d93b3b',
  grey: '#7d8794',
  trayBlue: '#2f6db3',
  templateBlack: '#000000',
} as const;

/** Large app icon (48 px and up), on a 1024 grid with the macOS icon body size (824, radius 185). */
export function appIconDesign(): Design {
  const background: Paint = { kind: 'linear', x1: 0, y1: 100, x2: 0, y2: 924, from: palette.navyTop, to: palette.navyBottom };
  // 3 x 3 tiles of 168 with 28 gaps, centred: 232, 428, 624.
  const at = (i: number) => 232 + i * 196;
  const tile = (col: number, row: number, fill: string): Shape => ({ kind: 'rect', x: at(col), y: at(row), w: 168, h: 168, r: 30, fill });
  return {
    grid: 1024,
    shapes: [
      { kind: 'rect', x: 100, y: 100, w: 824, h: 824, r: 185, fill: background },
      tile(0, 0, palette.white),
      tile(1, 0, palette.white),
      tile(2, 0, palette.white),
      tile(0, 1, palette.blue),
      tile(1, 1, palette.white),
      tile(2, 1, palette.green),
      tile(0, 2, palette.lightBlue),
      tile(1, 2, palette.white),
      tile(2, 2, palette.blue),
    ],
  };
}

/** Small app icon (16 to 32 px): the same colours as a 2x2 mosaic, on a 16 grid. */
export function smallAppIconDesign(): Design {
  const tile = (x: number, y: number, fill: string): Shape => ({ kind: 'rect', x, y, w: 4, h: 4, r: 0.75, fill });
  return {
    grid: 16,
    shapes: [
      { kind: 'rect', x: 1, y: 1, w: 14, h: 14, r: 3, fill: { kind: 'linear', x1: 0, y1: 1, x2: 0, y2: 15, from: palette.navyTop, to: palette.navyBottom } },
      tile(3, 3, palette.white),
      tile(9, 3, palette.white),
      tile(3, 9, palette.lightBlue),
      tile(9, 9, palette.green),
    ],
  };
}

/** Cells of the 2x2 tray glyph on its 16 grid: 6-unit tiles, 2-unit gap, 1-unit margin. */
const cells = { topLeft: [1, 1], topRight: [9, 1], bottomLeft: [1, 9], bottomRight: [9, 9] } as const;
type Cell = keyof typeof cells;

function trayTile(cell: Cell, fill: string): Shape {
  const [x, y] = cells[cell];
  return { kind: 'rect', x, y, w: 6, h: 6, r: 1.25, fill };
}

function trayOutline(cell: Cell, fill: string): Shape {
  const [x, y] = cells[cell];
  return { kind: 'ring', x, y, w: 6, h: 6, r: 1.25, width: 1, fill };
}

/** Padlock in the bottom-right cell: shackle ring whose lower half hides behind the body. */
function padlock(fill: string): Shape[] {
  return [
    { kind: 'ring', x: 10, y: 8, w: 4, h: 5, r: 2, width: 1, fill },
    { kind: 'rect', x: 9, y: 11, w: 6, h: 4, r: 0.75, fill },
  ];
}

function cross(fill: string): Shape[] {
  return [
    { kind: 'segment', x1: 10, y1: 10, x2: 14, y2: 14, width: 1.75, fill },
    { kind: 'segment', x1: 14, y1: 10, x2: 10, y2: 14, width: 1.75, fill },
  ];
}

const threeTiles = (fill: string): Shape[] => [trayTile('topLeft', fill), trayTile('topRight', fill), trayTile('bottomLeft', fill)];

/**
 * Coloured tray glyph (Windows, Linux). The bottom-right tile carries the state: green when a
 * session is open, a padlock when it is locked, amber when degraded, a red cross on error;
 * all grey when no one is signed in.
 */
export function trayDesign(state: TrayState): Design {
  const shapes: Record<TrayState, Shape[]> = {
    'signed-out': [...threeTiles(palette.grey), trayTile('bottomRight', palette.grey)],
    active: [...threeTiles(palette.trayBlue), trayTile('bottomRight', palette.green)],
    locked: [...threeTiles(palette.trayBlue), ...padlock(palette.trayBlue)],
    degraded: [...threeTiles(palette.trayBlue), trayTile('bottomRight', palette.amber)],
    error: [...threeTiles(palette.grey), ...cross(palette.red)],
  };
  return { grid: 16, shapes: shapes[state] };
}

/**
 * macOS template glyph: black and alpha only (the menu bar recolours it), so states differ by
 * shape: outlined tiles when signed out, filled when active, a padlock when locked, an outlined
 * tile when degraded, a cross on error.
 */
export function trayTemplateDesign(state: TrayState): Design {
  const k = palette.templateBlack;
  const shapes: Record<TrayState, Shape[]> = {
    'signed-out': (Object.keys(cells) as Cell[]).map((cell) => trayOutline(cell, k)),
    active: [...threeTiles(k), trayTile('bottomRight', k)],
    locked: [...threeTiles(k), ...padlock(k)],
    degraded: [...threeTiles(k), trayOutline('bottomRight', k)],
    error: [...threeTiles(k), ...cross(k)],
  };
  return { grid: 16, shapes: shapes[state] };
}
