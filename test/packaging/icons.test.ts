import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { buildIcns, buildIco, icnsTypes, readIcns, readIco } from '../../scripts/packaging/icons/containers.js';
import { appIconDesign, trayDesign } from '../../scripts/packaging/icons/design.js';
import { icnsEntries, iconFiles, icoSizes, templateScales, trayScales } from '../../scripts/packaging/icons/icon-set.js';
import { crc32, decodePng, encodePng, type RgbaImage } from '../../scripts/packaging/icons/png.js';
import { rasterise, toSvg } from '../../scripts/packaging/icons/shapes.js';
import { trayStates } from '../../src/shared/status-view.js';
import { repoRoot } from './repo-root.js';

const expected = iconFiles();

function samePixels(a: RgbaImage, b: RgbaImage, label: string) {
  assert.equal(a.width, b.width, `${label} width`);
  assert.equal(a.height, b.height, `${label} height`);
  assert.ok(Buffer.from(a.data).equals(Buffer.from(b.data)), `${label} pixels differ from the design (run make-icons)`);
}

test('PNG codec: CRC-32 check value and a lossless round trip', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.from('IEND')), 0xae426082);
  const image = { width: 3, height: 2, data: Uint8Array.from({ length: 24 }, (_, i) => (i * 37) & 0xff) };
  samePixels(decodePng(encodePng(image)), image, 'round trip');
  const broken = encodePng(image);
  broken[broken.length - 20] = (broken[broken.length - 20] ?? 0) ^ 0xff;
  assert.throws(() => decodePng(broken), /CRC|truncated/);
});

test('every committed icon has the pixels its design produces', async () => {
  for (const [relative, content] of expected) {
    const onDisk = await readFile(path.join(repoRoot, relative));
    if (relative.endsWith('.svg')) assert.equal(onDisk.toString('utf8'), content.toString('utf8'), relative);
    else if (relative.endsWith('.png')) samePixels(decodePng(onDisk), decodePng(content), relative);
    else if (relative.endsWith('.ico')) {
      const got = readIco(onDisk);
      const want = readIco(content);
      assert.equal(got.length, want.length, relative);
      got.forEach((img, i) => samePixels(decodePng(img.png), decodePng(want[i]?.png ?? Buffer.alloc(0)), `${relative}#${i}`));
    } else if (relative.endsWith('.icns')) {
      const got = readIcns(onDisk);
      const want = readIcns(content);
      assert.deepEqual([...got.keys()], [...want.keys()], relative);
      for (const [type, png] of got) samePixels(decodePng(png), decodePng(want.get(type) ?? Buffer.alloc(0)), `${relative}:${type}`);
    } else assert.fail(`unexpected icon file type ${relative}`);
  }
});

test('the Windows icon holds 16, 24, 32, 48, 64 and 256 px images', async () => {
  const images = readIco(await readFile(path.join(repoRoot, 'assets/icons/icon.ico')));
  assert.deepEqual(images.map((i) => i.width), [...icoSizes]);
  for (const image of images) {
    const png = decodePng(image.png);
    assert.equal(png.width, image.width);
    assert.equal(png.height, image.height);
  }
  assert.throws(() => buildIco([encodePng({ width: 512, height: 512, data: new Uint8Array(512 * 512 * 4) })]), /at most 256/);
});

test('the macOS icon holds PNG chunks of the sizes their types require, up to 1024 px', async () => {
  const chunks = readIcns(await readFile(path.join(repoRoot, 'assets/icons/icon.icns')));
  assert.deepEqual([...chunks.keys()].sort(), icnsEntries.map(([type]) => type).sort());
  for (const [type, png] of chunks) {
    const size = icnsTypes[type as keyof typeof icnsTypes];
    const image = decodePng(png);
    assert.equal(image.width, size, type);
    assert.equal(image.height, size, type);
  }
  assert.ok(chunks.has('ic10'), 'has the 1024 px image');
  assert.throws(() => buildIcns([['ic07', encodePng({ width: 1, height: 1, data: new Uint8Array(4) })]]), /128/);
});

test('app icon PNGs exist at 256, 512 and 1024 px', async () => {
  for (const size of [256, 512, 1024]) {
    const image = decodePng(await readFile(path.join(repoRoot, `assets/icons/png/${size}x${size}.png`)));
    assert.equal(image.width, size);
  }
});

test('each tray state has coloured (1x, 1.5x, 2x) and macOS template (1x, 2x) images', async () => {
  for (const state of trayStates) {
    for (const [suffix, size] of trayScales) {
      const image = decodePng(await readFile(path.join(repoRoot, `assets/tray/tray-${state}${suffix}.png`)));
      assert.equal(image.width, size);
    }
    for (const [suffix, size] of templateScales) {
      const image = decodePng(await readFile(path.join(repoRoot, `assets/tray/tray-${state}Template${suffix}.png`)));
      assert.equal(image.width, size);
      // A template image is black plus alpha: macOS recolours it for the menu bar.
      for (let i = 0; i < image.data.length; i += 4) {
        if ((image.data[i + 3] ?? 0) > 0) assert.deepEqual([...image.data.subarray(i, i + 3)], [0, 0, 0], `${state}Template${suffix}`);
      }
    }
  }
});

test('tray states are told apart by their pixels', () => {
  const seen = new Set(trayStates.map((state) => Buffer.from(rasterise(trayDesign(state), 16).data).toString('base64')));
  assert.equal(seen.size, trayStates.length);
});

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

test('Chromium draws the SVG design like the rasteriser does', { skip: existsSync(chromiumPath) ? false : `no Chromium at ${chromiumPath}` }, async () => {
  const size = 256;
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    const svg = Buffer.from(toSvg(appIconDesign(), 'Tessera')).toString('base64');
    await page.setContent(
      `<html><body style="margin:0;background:transparent"><img width="${size}" height="${size}" src="data:image/svg+xml;base64,${svg}"></body></html>`,
    );
    await page.locator('img').evaluate((img) => (img as unknown as { decode(): Promise<void> }).decode());
    const shot = decodePng(await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } }));
    const ours = rasterise(appIconDesign(), size);
    let total = 0;
    let worst = 0;
    for (let i = 0; i < ours.data.length; i++) {
      const d = Math.abs((ours.data[i] ?? 0) - (shot.data[i] ?? 0));
      total += d;
      worst = Math.max(worst, d);
    }
    const mean = total / ours.data.length;
    // Edges are anti-aliased differently; anything larger means the SVG and raster disagree.
    assert.ok(mean < 1.5, `mean channel difference ${mean.toFixed(3)} (worst ${worst})`);
  } finally {
    await browser.close();
  }
});
