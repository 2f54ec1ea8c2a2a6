/**
 * A tiny vector model for the icons: rounded rectangles, rounded-rectangle rings (an inner
 * band, so edges stay on the pixel grid) and round-capped segments, painted in order.
 * The same model is written out as SVG (the design, for people and tools) and rasterised
 * here with signed distance functions, so generating the icons needs no browser.
 */
import type { RgbaImage } from './png.js';

export type Paint = string | { kind: 'linear'; x1: number; y1: number; x2: number; y2: number; from: string; to: string };

export type Shape =
  | { kind: 'rect'; x: number; y: number; w: number; h: number; r: number; fill: Paint }
  | { kind: 'ring'; x: number; y: number; w: number; h: number; r: number; width: number; fill: Paint }
  | { kind: 'segment'; x1: number; y1: number; x2: number; y2: number; width: number; fill: Paint };

export interface Design {
  /** Side of the square design grid, in design units. */
  grid: number;
  shapes: Shape[];
}

type Rgba = [number, number, number, number];

export function parseColour(hex: string): Rgba {
  const m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(hex);
  if (!m?.[1]) throw new Error(`bad colour ${hex}`);
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, m[2] ? parseInt(m[2], 16) / 255 : 1];
}

function roundedBoxDistance(px: number, py: number, x: number, y: number, w: number, h: number, r: number): number {
  const qx = Math.abs(px - (x + w / 2)) - (w / 2 - r);
  const qy = Math.abs(py - (y + h / 2)) - (h / 2 - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

function segmentDistance(px: number, py: number, s: Extract<Shape, { kind: 'segment' }>): number {
  const dx = s.x2 - s.x1;
  const dy = s.y2 - s.y1;
  const t = Math.max(0, Math.min(1, ((px - s.x1) * dx + (py - s.y1) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (s.x1 + t * dx), py - (s.y1 + t * dy)) - s.width / 2;
}

/** Area coverage of one pixel from a signed distance (in pixels), as a 1-pixel-wide ramp. */
function coverage(distancePx: number): number {
  return Math.max(0, Math.min(1, 0.5 - distancePx));
}

function shapeCoverage(s: Shape, px: number, py: number, pxPerUnit: number): number {
  switch (s.kind) {
    case 'rect':
      return coverage(roundedBoxDistance(px, py, s.x, s.y, s.w, s.h, s.r) * pxPerUnit);
    case 'ring': {
      const outer = coverage(roundedBoxDistance(px, py, s.x, s.y, s.w, s.h, s.r) * pxPerUnit);
      const inner = coverage(
        roundedBoxDistance(px, py, s.x + s.width, s.y + s.width, s.w - 2 * s.width, s.h - 2 * s.width, Math.max(0, s.r - s.width)) * pxPerUnit,
      );
      return Math.max(0, outer - inner);
    }
    case 'segment':
      return coverage(segmentDistance(px, py, s) * pxPerUnit);
  }
}

function paintAt(paint: Paint, px: number, py: number): Rgba {
  if (typeof paint === 'string') return parseColour(paint);
  const dx = paint.x2 - paint.x1;
  const dy = paint.y2 - paint.y1;
  const t = Math.max(0, Math.min(1, ((px - paint.x1) * dx + (py - paint.y1) * dy) / (dx * dx + dy * dy)));
  const a = parseColour(paint.from);
  const b = parseColour(paint.to);
  return [0, 1, 2, 3].map((i) => (a[i] ?? 0) + ((b[i] ?? 0) - (a[i] ?? 0)) * t) as Rgba;
}

/**
 * Rasterises a design at `size` pixels. Coverage is sampled on a `samples` x `samples` grid per
 * pixel (more samples for small sizes, where one design unit is a fraction of a pixel).
 */
export function rasterise(design: Design, size: number, samples = size <= 64 ? 4 : 1): RgbaImage {
  const pxPerUnit = size / design.grid;
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Premultiplied accumulation, painter's order, averaged over the sub-samples.
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const ux = (x + (sx + 0.5) / samples) / pxPerUnit;
          const uy = (y + (sy + 0.5) / samples) / pxPerUnit;
          let pr = 0;
          let pg = 0;
          let pb = 0;
          let pa = 0;
          for (const shape of design.shapes) {
            // Each sub-sample sees a sharper edge; the ramp is scaled to the sub-pixel.
            const c = shapeCoverage(shape, ux, uy, pxPerUnit * samples);
            if (c === 0) continue;
            const [cr, cg, cb, ca] = paintAt(shape.fill, ux, uy);
            const alpha = ca * c;
            pr = cr * alpha + pr * (1 - alpha);
            pg = cg * alpha + pg * (1 - alpha);
            pb = cb * alpha + pb * (1 - alpha);
            pa = alpha + pa * (1 - alpha);
          }
          r += pr;
          g += pg;
          b += pb;
          a += pa;
        }
      }
      const n = samples * samples;
      const i = (y * size + x) * 4;
      const alpha = a / n;
      data[i + 3] = Math.round(alpha * 255);
      if (alpha > 0) {
        data[i] = Math.round(r / n / alpha);
        data[i + 1] = Math.round(g / n / alpha);
        data[i + 2] = Math.round(b / n / alpha);
      }
    }
  }
  return { width: size, height: size, data };
}

function num(n: number): string {
  return Number(n.toFixed(3)).toString();
}

function roundedRectPath(x: number, y: number, w: number, h: number, r: number): string {
  if (r <= 0) return `M${num(x)} ${num(y)}h${num(w)}v${num(h)}h${num(-w)}z`;
  return (
    `M${num(x + r)} ${num(y)}h${num(w - 2 * r)}a${num(r)} ${num(r)} 0 0 1 ${num(r)} ${num(r)}` +
    `v${num(h - 2 * r)}a${num(r)} ${num(r)} 0 0 1 ${num(-r)} ${num(r)}h${num(-(w - 2 * r))}` +
    `a${num(r)} ${num(r)} 0 0 1 ${num(-r)} ${num(-r)}v${num(-(h - 2 * r))}a${num(r)} ${num(r)} 0 0 1 ${num(r)} ${num(-r)}z`
  );
}

/** The design as a standalone SVG document. */
export function toSvg(design: Design, title: string): string {
  const defs: string[] = [];
  const paint = (p: Paint): string => {
    if (typeof p === 'string') {
      const [r, g, b, a] = parseColour(p);
      const rgb = `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
      return a === 1 ? `"${rgb}"` : `"${rgb}" fill-opacity="${num(a)}"`;
    }
    const id = `g${defs.length}`;
    defs.push(
      `<linearGradient id="${id}" gradientUnits="userSpaceOnUse" x1="${num(p.x1)}" y1="${num(p.y1)}" x2="${num(p.x2)}" y2="${num(p.y2)}">` +
        `<stop offset="0" stop-color="${p.from}"/><stop offset="1" stop-color="${p.to}"/></linearGradient>`,
    );
    return `"url(#${id})"`;
  };
  const body = design.shapes.map((s) => {
    switch (s.kind) {
      case 'rect':
        return `<rect x="${num(s.x)}" y="${num(s.y)}" width="${num(s.w)}" height="${num(s.h)}" rx="${num(s.r)}" fill=${paint(s.fill)}/>`;
      case 'ring':
        return (
          `<path fill-rule="evenodd" fill=${paint(s.fill)} d="${roundedRectPath(s.x, s.y, s.w, s.h, s.r)}` +
          `${roundedRectPath(s.x + s.width, s.y + s.width, s.w - 2 * s.width, s.h - 2 * s.width, Math.max(0, s.r - s.width))}"/>`
        );
      case 'segment':
        return (
          `<line x1="${num(s.x1)}" y1="${num(s.y1)}" x2="${num(s.x2)}" y2="${num(s.y2)}" stroke-width="${num(s.width)}" ` +
          `stroke-linecap="round" stroke=${paint(s.fill).replace('fill-opacity', 'stroke-opacity')}/>`
        );
    }
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${design.grid} ${design.grid}" width="${design.grid}" height="${design.grid}">`,
    `<title>${title}</title>`,
    ...(defs.length ? [`<defs>${defs.join('')}</defs>`] : []),
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
