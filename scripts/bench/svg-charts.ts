/**
 * Hand-written SVG charts for the benchmark report (no library): line charts (CDFs of latency,
 * curves of a soak) and histograms. Pure functions returning the SVG text; every text node and
 * attribute value is escaped, so the output is well-formed XML whatever the labels.
 */

export interface Series {
  readonly name: string;
  /** [x, y] points, drawn in order. */
  readonly points: readonly (readonly [number, number])[];
}

export interface LineChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Logarithmic x axis (all x must be > 0). */
  readonly logX?: boolean;
  /** Forces the y range (default: from the data, starting at 0 when all y ≥ 0). */
  readonly yRange?: readonly [number, number];
}

export interface HistogramSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly fromX: number;
  readonly width: number;
  readonly counts: readonly number[];
}

const W = 720;
const H = 400;
const M = { left: 70, right: 20, top: 40, bottom: 80 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf', '#7f7f7f'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Drops the zeros after a decimal point ("2.50" → "2.5", "3.00" → "3"), never those of an integer. */
const trimZeros = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);

/** Short, readable tick label. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${trimZeros((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${trimZeros((v / 1e3).toPrecision(3))}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return trimZeros(v.toPrecision(3));
  return Number(v.toPrecision(2)).toString();
}

/** About `count` round ticks, the first at or below `lo`, the last at or above `hi`. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toPrecision(12)));
}

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  return out.length > 0 ? out : [lo, hi];
}

const fmt = (n: number): string => (Math.round(n * 10) / 10).toString();

function frame(title: string, xLabel: string, yLabel: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    `<text x="${M.left + (W - M.left - M.right) / 2}" y="${H - 48}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text x="16" y="${M.top + (H - M.top - M.bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${M.top + (H - M.top - M.bottom) / 2})">${escapeXml(yLabel)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function axes(xTicks: readonly number[], sx: (x: number) => number, yTicks: readonly number[], sy: (y: number) => number): string[] {
  const out = [`<g stroke="#cccccc" stroke-width="1">`];
  for (const t of yTicks) out.push(`<line x1="${M.left}" y1="${fmt(sy(t))}" x2="${W - M.right}" y2="${fmt(sy(t))}"/>`);
  for (const t of xTicks) out.push(`<line x1="${fmt(sx(t))}" y1="${M.top}" x2="${fmt(sx(t))}" y2="${H - M.bottom}"/>`);
  out.push('</g>');
  out.push(`<g stroke="#000000" stroke-width="1"><line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}"/><line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}"/></g>`);
  out.push('<g fill="#333333">');
  for (const t of yTicks) out.push(`<text x="${M.left - 6}" y="${fmt(sy(t) + 4)}" text-anchor="end">${escapeXml(formatTick(t))}</text>`);
  for (const t of xTicks) out.push(`<text x="${fmt(sx(t))}" y="${H - M.bottom + 16}" text-anchor="middle">${escapeXml(formatTick(t))}</text>`);
  out.push('</g>');
  return out;
}

function legend(names: readonly string[]): string[] {
  const out = ['<g font-size="11">'];
  names.forEach((n, i) => {
    const x = M.left + (i % 3) * 210;
    const y = H - 24 + Math.floor(i / 3) * 14 - (names.length > 3 ? 7 : 0);
    out.push(`<rect x="${x}" y="${y - 8}" width="12" height="8" fill="${COLOURS[i % COLOURS.length] ?? '#000000'}"/>`);
    out.push(`<text x="${x + 16}" y="${y}">${escapeXml(n)}</text>`);
  });
  out.push('</g>');
  return out;
}

export function lineChart(spec: LineChartSpec): string {
  const pts = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!spec.logX || x > 0));
  const xs = pts.map(([x]) => x);
  const ys = pts.map(([, y]) => y);
  let xLo = xs.length ? Math.min(...xs) : 0;
  let xHi = xs.length ? Math.max(...xs) : 1;
  if (xHi <= xLo) xHi = xLo + (spec.logX ? xLo : 1);
  let [yLo, yHi] = spec.yRange ?? [ys.length && Math.min(...ys) < 0 ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1];
  if (yHi <= yLo) yHi = yLo + 1;
  let xTicks: number[];
  let sx: (x: number) => number;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  if (spec.logX) {
    xTicks = logTicks(xLo, xHi);
    const l0 = Math.log10(xLo);
    const l1 = Math.log10(xHi);
    sx = (x) => M.left + ((Math.log10(x) - l0) / (l1 - l0)) * plotW;
  } else {
    xTicks = niceTicks(xLo, xHi);
    xLo = Math.min(xLo, xTicks[0] ?? xLo);
    xHi = Math.max(xHi, xTicks[xTicks.length - 1] ?? xHi);
    sx = (x) => M.left + ((x - xLo) / (xHi - xLo)) * plotW;
  }
  const yTicks = niceTicks(yLo, yHi, 5);
  yLo = Math.min(yLo, yTicks[0] ?? yLo);
  yHi = Math.max(yHi, yTicks[yTicks.length - 1] ?? yHi);
  const sy = (y: number): number => M.top + plotH - ((y - yLo) / (yHi - yLo)) * plotH;
  const body = axes(xTicks, sx, yTicks, sy);
  spec.series.forEach((s, i) => {
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!spec.logX || x > 0)).map(([x, y]) => `${fmt(sx(x))},${fmt(sy(y))}`);
    if (p.length > 0) body.push(`<polyline fill="none" stroke="${COLOURS[i % COLOURS.length] ?? '#000000'}" stroke-width="2" points="${p.join(' ')}"><title>${escapeXml(s.name)}</title></polyline>`);
  });
  body.push(...legend(spec.series.map((s) => s.name)));
  return frame(spec.title, spec.xLabel, spec.yLabel, body);
}

export function histogram(spec: HistogramSpec): string {
  const n = spec.counts.length;
  const xLo = spec.fromX;
  const xHi = spec.fromX + spec.width * Math.max(1, n);
  const yHi = Math.max(1, ...spec.counts);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const sx = (x: number): number => M.left + ((x - xLo) / (xHi - xLo)) * plotW;
  const yTicks = niceTicks(0, yHi, 5);
  const top = Math.max(yHi, yTicks[yTicks.length - 1] ?? yHi);
  const sy = (y: number): number => M.top + plotH - (y / top) * plotH;
  const body = axes(niceTicks(xLo, xHi).filter((t) => t >= xLo && t <= xHi), sx, yTicks, sy);
  body.push(`<g fill="${COLOURS[0] ?? '#000000'}">`);
  spec.counts.forEach((c, i) => {
    const x0 = sx(xLo + i * spec.width);
    const x1 = sx(xLo + (i + 1) * spec.width);
    body.push(`<rect x="${fmt(x0)}" y="${fmt(sy(c))}" width="${fmt(Math.max(0.5, x1 - x0 - 1))}" height="${fmt(sy(0) - sy(c))}"><title>${escapeXml(`${formatTick(xLo + i * spec.width)}–${formatTick(xLo + (i + 1) * spec.width)}: ${c}`)}</title></rect>`);
  });
  body.push('</g>');
  return frame(spec.title, spec.xLabel, spec.yLabel, body);
}
