/**
 * The fuzzing harness shared by the seeded runs of `npm test` (`test/fuzz/*.test.ts`) and the
 * long standalone runs (`scripts/fuzz/run.ts`).
 *
 * A target is one attack surface: a parser (or a small stack of parsers) fed with bytes from
 * outside. Its `check` runs the parser on one input and throws an `AssertionError` when the
 * property is broken: an exception that is not a `TesseraError` of the expected family with one
 * of its documented codes, an output larger than its bound, an answer that breaks an invariant.
 * Inputs are always bytes, so every input that ever broke a property can be committed to the
 * regression corpus (`test/fuzz/corpus/<target>/*.hex`) and replayed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { TesseraError } from '../../src/main/errors.js';
import { fromHex, hex } from '../../src/main/protocols/iso7816/index.js';
import { repoRoot } from '../packaging/repo-root.js';

export interface FuzzTarget {
  /** Folder name under `test/fuzz/corpus/`. */
  readonly name: string;
  /** What is fuzzed, for the docs and the long runner's report. */
  readonly description: string;
  /** Runs in one `npm test` pass (kept small: the whole fuzz part stays under ~40 s). */
  readonly runs: number;
  /** Inputs: random bytes and mutations of the seeds (corpus files + `seeds()`) unless the target says otherwise. */
  arbitrary?(seeds: readonly Buffer[]): fc.Arbitrary<Buffer>;
  /** Representative valid inputs built at run time (a real certificate, a real log line...). */
  seeds?(): Promise<readonly Buffer[]>;
  /** One execution; throws `AssertionError` when the property is broken. */
  check(input: Buffer): void | Promise<void>;
  /** Resources for `check` (temporary files), released by `teardown`. */
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Typed outcomes

/** An error class of one layer's family. */
export type ErrorFamily = abstract new (...args: never[]) => TesseraError;

export interface Expected {
  readonly family: ErrorFamily;
  /** Codes this parser documents for malformed input. */
  readonly codes: readonly string[];
}

export function expected(family: ErrorFamily, codes: readonly string[]): Expected {
  return { family, codes };
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}\n${e.stack ?? ''}`;
  return String(e);
}

/** Asserts that `e` is one of the expected typed errors; rethrows an `AssertionError` naming what it was. */
export function assertTyped(e: unknown, accepted: readonly Expected[]): asserts e is TesseraError {
  if (e instanceof assert.AssertionError) throw e;
  const ok = accepted.some((a) => e instanceof a.family && a.codes.includes((e as TesseraError).code));
  if (!ok) {
    const allowed = accepted.map((a) => `${a.family.name}(${a.codes.join('|')})`).join(', ');
    assert.fail(`expected one of ${allowed}; got ${describeError(e)}`);
  }
}

/**
 * Runs `fn`: its result, or the typed error it threw (checked against `accepted`). Anything
 * else (TypeError, RangeError, a wrong code) fails the property.
 */
export function typed<T>(fn: () => T, accepted: readonly Expected[]): { ok: true; value: T } | { ok: false; error: TesseraError } {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    assertTyped(e, accepted);
    return { ok: false, error: e };
  }
}

export async function typedAsync<T>(fn: () => Promise<T>, accepted: readonly Expected[]): Promise<{ ok: true; value: T } | { ok: false; error: TesseraError }> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    assertTyped(e, accepted);
    return { ok: false, error: e };
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs

/** Splits bytes into frames: a length byte, then that many bytes (the last frame may be short). */
export function splitFrames(input: Buffer, maxFrames = 512): Buffer[] {
  const frames: Buffer[] = [];
  let pos = 0;
  while (pos < input.length && frames.length < maxFrames) {
    const len = input[pos] ?? 0;
    frames.push(Buffer.from(input.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  return frames;
}

/** The inverse of `splitFrames` (frames of at most 255 bytes), for building seeds. */
export function joinFrames(frames: readonly Buffer[]): Buffer {
  return Buffer.concat(frames.flatMap((f) => {
    if (f.length > 255) throw new RangeError('frame longer than 255 bytes');
    return [Buffer.of(f.length), f];
  }));
}

const edit = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0x00, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff, 0x1f, 0x61, 0x6c, 0x90, 0x91, 0xaf) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 32 }), times: fc.integer({ min: 2, max: 8 }) }),
);
type Edit = typeof edit extends fc.Arbitrary<infer E> ? E : never;

function applyEdit(b: Buffer, e: Edit): Buffer {
  if (b.length === 0) return e.op === 'insert' ? Buffer.from(e.bytes) : b;
  const at = e.at % b.length;
  switch (e.op) {
    case 'flip': {
      const out = Buffer.from(b);
      out[at] = (out[at] ?? 0) ^ (1 << e.bit);
      return out;
    }
    case 'set': {
      const out = Buffer.from(b);
      out[at] = e.byte;
      return out;
    }
    case 'insert':
      return Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(at + e.n)]);
    case 'truncate':
      return Buffer.from(b.subarray(0, at));
    case 'repeat': {
      const piece = b.subarray(at, at + e.n);
      return Buffer.concat([b.subarray(0, at), ...Array.from({ length: e.times }, () => piece), b.subarray(at + e.n)]);
    }
  }
}

/** One to six edits of one seed: bit flips, boundary bytes, insertions, deletions, truncation, repetition. */
export function mutationsOf(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  if (seeds.length === 0) return fc.uint8Array({ maxLength: 256 }).map((u) => Buffer.from(u));
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 6 }))
    .map(([seed, edits]) => edits.reduce(applyEdit, Buffer.from(seed)));
}

/** Default inputs: random bytes, the seeds themselves, and mutations of them. */
export function defaultArbitrary(seeds: readonly Buffer[], maxLength = 512): fc.Arbitrary<Buffer> {
  const random = fc.uint8Array({ maxLength }).map((u) => Buffer.from(u));
  if (seeds.length === 0) return random;
  return fc.oneof({ arbitrary: random, weight: 2 }, { arbitrary: fc.constantFrom(...seeds), weight: 1 }, { arbitrary: mutationsOf(seeds), weight: 5 });
}

/** Text inputs as UTF-8 bytes: any string, JSON documents, and mutations of the seeds. */
export function textArbitrary(seeds: readonly Buffer[], extra: readonly fc.Arbitrary<string>[] = []): fc.Arbitrary<Buffer> {
  const strings = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.json({ maxDepth: 6 }), ...extra);
  return fc.oneof({ arbitrary: strings.map((s) => Buffer.from(s, 'utf8')), weight: 3 }, { arbitrary: mutationsOf(seeds), weight: seeds.length > 0 ? 4 : 0 });
}

// ---------------------------------------------------------------------------------------------
// Corpus

export const CORPUS_DIR = path.join(repoRoot, 'test', 'fuzz', 'corpus');

export interface CorpusEntry {
  readonly file: string;
  readonly input: Buffer;
}

/** `*.hex` files (hex digits, whitespace and `#` comment lines allowed) and `*.txt` files (raw bytes). */
export function readCorpus(target: string): CorpusEntry[] {
  const dir = path.join(CORPUS_DIR, target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.hex') || f.endsWith('.txt'))
    .sort()
    .map((f) => {
      const raw = readFileSync(path.join(dir, f));
      if (f.endsWith('.txt')) return { file: f, input: raw };
      const text = raw.toString('utf8').split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
      return { file: f, input: fromHex(text) };
    });
}

/** Writes `input` as `<dir>/<target>/<prefix>-<sha256 8>.hex`, with a comment line; returns the path. */
export function writeCorpusFile(dir: string, target: string, input: Buffer, comment: string, prefix = 'finding'): string {
  const folder = path.join(dir, target);
  mkdirSync(folder, { recursive: true });
  const id = createHash('sha256').update(input).digest('hex').slice(0, 8);
  const file = path.join(folder, `${prefix}-${id}.hex`);
  const body = hex(input).replace(/(.{64})/g, '$1\n').trimEnd();
  writeFileSync(file, `# ${comment.replace(/\n/g, ' ')}\n${body}\n`);
  return file;
}

// ---------------------------------------------------------------------------------------------
// Running

/** A stable default seed per target (runs are reproducible); `FUZZ_SEED` overrides it. */
export function seedFor(target: string): number {
  const fromEnv = process.env['FUZZ_SEED'];
  if (fromEnv !== undefined && /^-?\d+$/.test(fromEnv)) return Number(fromEnv);
  return createHash('sha256').update(target).digest().readInt32BE(0);
}

/** Seeds of a target: its corpus files, then what it builds at run time. */
export async function seedsOf(target: FuzzTarget): Promise<Buffer[]> {
  const fromCorpus = readCorpus(target.name).map((c) => c.input);
  const built = target.seeds ? await target.seeds() : [];
  return [...fromCorpus, ...built];
}

export function propertyOf(target: FuzzTarget, seeds: readonly Buffer[]): fc.IAsyncPropertyWithHooks<[Buffer]> {
  const arb = target.arbitrary ? target.arbitrary(seeds) : defaultArbitrary(seeds);
  return fc.asyncProperty(arb, async (input) => {
    await target.check(input);
  });
}

/** Per-run bound: one execution taking longer than this is a hang (a finding). */
export const PER_RUN_TIMEOUT_MS = 5000;

/**
 * Runs `target` for `numRuns` executions (or until `timeLimitMs`) with `seed`; fails with the
 * seed, the replay path and the hex of the smallest failing input.
 */
export async function runTarget(target: FuzzTarget, opts: { numRuns?: number; seed?: number; timeLimitMs?: number } = {}): Promise<fc.RunDetails<[Buffer]>> {
  const seeds = await seedsOf(target);
  await target.setup?.();
  try {
    return (await fc.check(propertyOf(target, seeds), {
      numRuns: opts.numRuns ?? target.runs,
      seed: opts.seed ?? seedFor(target.name),
      plugins: [fc.timeout(PER_RUN_TIMEOUT_MS), fc.interruptAfterTimeLimit(opts.timeLimitMs ?? 20_000)],
    })) as fc.RunDetails<[Buffer]>;
  } finally {
    await target.teardown?.();
  }
}

/** What a failed run says: seed, path (for `fc.check(..., { seed, path })`), the input in hex and the error. */
export function failureReport(target: FuzzTarget, details: fc.RunDetails<[Buffer]>): string {
  const input = details.counterexample?.[0];
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  return [
    `fuzz target ${target.name} failed after ${details.numRuns} runs`,
    `  seed: ${details.seed}  path: ${details.counterexamplePath ?? '-'}  (replay: FUZZ_SEED=${details.seed})`,
    `  input (${input?.length ?? 0} bytes): ${input ? hex(input) : '-'}`,
    `  ${error}`,
  ].join('\n');
}

/** One `node:test` case per target: seeded runs, a failure report with seed, path and input. */
export async function fuzzSuite(title: string, targets: readonly FuzzTarget[]): Promise<void> {
  const { describe, it } = await import('node:test');
  describe(title, () => {
    for (const target of targets) {
      it(`${target.name}: ${target.description}`, async () => {
        const details = await runTarget(target, { timeLimitMs: 8000 });
        if (details.failed) assert.fail(failureReport(target, details));
        assert.ok(details.numRuns > 0, 'no execution');
      });
    }
  });
}

/** A temporary folder a target creates in `setup` and removes in `teardown`. */
export class TempFolder {
  private current: string | undefined;
  constructor(private readonly prefix: string) {}

  /** The folder while the target is set up, else undefined (a check run outside setup does nothing). */
  get path(): string | undefined {
    return this.current;
  }

  create(): void {
    this.current = mkdtempSync(path.join(tmpdir(), this.prefix));
  }

  remove(): void {
    if (this.current) rmSync(this.current, { recursive: true, force: true });
    this.current = undefined;
  }
}
