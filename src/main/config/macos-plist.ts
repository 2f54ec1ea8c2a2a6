/**
 * macOS machine policy: the managed preferences of domain `fr.tessera.agent`, installed by a
 * configuration profile (native/macos/fr.tessera.agent.mobileconfig.example) at
 * `/Library/Managed Preferences/fr.tessera.agent.plist`. Read here in XML plist form with a
 * small bounded parser (size and depth limits; a binary plist is refused with the command that
 * converts it). Tested on sample data (no macOS machine in this test bed).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error.js';
import type { ConfigLayer, ConfigSource } from './layers.js';
import { managedLayer, type NativeValue } from './managed-policy.js';

export const MACOS_MANAGED_PLIST = '/Library/Managed Preferences/fr.tessera.agent.plist';

export type PlistValue = string | number | boolean | Date | Buffer | PlistValue[] | { [key: string]: PlistValue };

const MAX_BYTES = 1 << 20;
const MAX_DEPTH = 16;

function bad(reason: string, origin: string): ConfigError {
  return new ConfigError(`${origin}: unreadable policy (${reason})`, { problem: 'config.bad_source', file: origin, source: origin });
}

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeText(s: string, origin: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (all, ent: string) => {
    if (ent.startsWith('#')) {
      const cp = ent[1] === 'x' ? Number.parseInt(ent.slice(2), 16) : Number.parseInt(ent.slice(1), 10);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw bad(`bad character reference ${all}`, origin);
      return String.fromCodePoint(cp);
    }
    const v = ENTITIES[ent];
    if (v === undefined) throw bad(`unknown entity ${all}`, origin);
    return v;
  }).replace(/&(?![a-z#])/g, () => {
    throw bad('bare & in text', origin);
  });
}

type Token = { kind: 'open'; name: string; selfClosing: boolean } | { kind: 'close'; name: string } | { kind: 'text'; text: string };

function* tokens(xml: string, origin: string): Generator<Token> {
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) {
      yield { kind: 'text', text: xml.slice(i) };
      return;
    }
    if (lt > i) yield { kind: 'text', text: xml.slice(i, lt) };
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4);
      if (end < 0) throw bad('unterminated comment', origin);
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<?', lt) || xml.startsWith('<!DOCTYPE', lt)) {
      const end = xml.indexOf('>', lt);
      if (end < 0) throw bad('unterminated declaration', origin);
      i = end + 1;
      continue;
    }
    if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt);
      if (end < 0) throw bad('unterminated CDATA', origin);
      yield { kind: 'text', text: xml.slice(lt + 9, end).replace(/&/g, '&amp;').replace(/</g, '&lt;') };
      i = end + 3;
      continue;
    }
    const gt = xml.indexOf('>', lt);
    if (gt < 0) throw bad('unterminated tag', origin);
    const inner = xml.slice(lt + 1, gt);
    const m = /^(\/?)([A-Za-z][A-Za-z0-9_.-]*)(\s+[^<>]*?)?\s*(\/?)$/.exec(inner);
    if (!m) throw bad(`malformed tag <${inner.slice(0, 40)}>`, origin);
    const [, slash, name = '', , self] = m;
    if (slash) yield { kind: 'close', name };
    else yield { kind: 'open', name, selfClosing: self === '/' };
    i = gt + 1;
  }
}

/** Parses an XML property list; returns its top value. Malformed input → `ConfigError`, never a crash. */
export function parsePlistXml(xml: string, origin = MACOS_MANAGED_PLIST): PlistValue {
  if (xml.length > MAX_BYTES) throw bad('larger than 1 MiB', origin);
  if (xml.startsWith('bplist')) throw bad('binary plist: convert it with `plutil -convert xml1`', origin);
  const it = tokens(xml, origin);
  const next = (): Token | undefined => {
    for (;;) {
      const r = it.next();
      if (r.done) return undefined;
      if (r.value.kind === 'text' && r.value.text.trim() === '') continue;
      return r.value;
    }
  };
  const textUntilClose = (name: string): string => {
    let text = '';
    for (;;) {
      const r = it.next();
      if (r.done) throw bad(`unterminated <${name}>`, origin);
      const t = r.value;
      if (t.kind === 'text') text += t.text;
      else if (t.kind === 'close' && t.name === name) return decodeText(text, origin);
      else throw bad(`unexpected tag inside <${name}>`, origin);
    }
  };
  const value = (t: Token | undefined, depth: number): PlistValue => {
    if (depth > MAX_DEPTH) throw bad(`nested deeper than ${MAX_DEPTH}`, origin);
    if (!t || t.kind !== 'open') throw bad('expected a value', origin);
    switch (t.name) {
      case 'true':
      case 'false':
        if (!t.selfClosing) {
          const c = next();
          if (!c || c.kind !== 'close' || c.name !== t.name) throw bad(`<${t.name}> must be empty`, origin);
        }
        return t.name === 'true';
      case 'string':
        return t.selfClosing ? '' : textUntilClose('string');
      case 'integer': {
        const s = t.selfClosing ? '' : textUntilClose('integer').trim();
        if (!/^[+-]?\d{1,16}$/.test(s) && !/^0x[0-9a-fA-F]{1,13}$/.test(s)) throw bad(`bad integer ${JSON.stringify(s.slice(0, 20))}`, origin);
        return Number(s);
      }
      case 'real': {
        const s = t.selfClosing ? '' : textUntilClose('real').trim();
        const n = Number(s);
        if (s === '' || !Number.isFinite(n)) throw bad(`bad real ${JSON.stringify(s.slice(0, 20))}`, origin);
        return n;
      }
      case 'date': {
        const s = t.selfClosing ? '' : textUntilClose('date').trim();
        const d = new Date(s);
        if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(s) || Number.isNaN(d.getTime())) throw bad(`bad date ${JSON.stringify(s.slice(0, 30))}`, origin);
        return d;
      }
      case 'data': {
        const s = (t.selfClosing ? '' : textUntilClose('data')).replace(/\s+/g, '');
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw bad('bad base64 data', origin);
        return Buffer.from(s, 'base64');
      }
      case 'array': {
        const out: PlistValue[] = [];
        if (t.selfClosing) return out;
        for (;;) {
          const c = next();
          if (c && c.kind === 'close' && c.name === 'array') return out;
          out.push(value(c, depth + 1));
        }
      }
      case 'dict': {
        const out: { [key: string]: PlistValue } = {};
        if (t.selfClosing) return out;
        for (;;) {
          const k = next();
          if (k && k.kind === 'close' && k.name === 'dict') return out;
          if (!k || k.kind !== 'open' || k.name !== 'key') throw bad('expected <key> in <dict>', origin);
          const key = k.selfClosing ? '' : textUntilClose('key');
          if (Object.prototype.hasOwnProperty.call(out, key)) throw bad(`duplicate key ${JSON.stringify(key.slice(0, 40))}`, origin);
          // defineProperty: a key named __proto__ is an ordinary key, never the prototype setter
          Object.defineProperty(out, key, { value: value(next(), depth + 1), enumerable: true, writable: true, configurable: true });
        }
      }
      default:
        throw bad(`unknown element <${t.name}>`, origin);
    }
  };
  const root = next();
  if (!root || root.kind !== 'open' || root.name !== 'plist' || root.selfClosing) throw bad('not a property list (<plist> expected)', origin);
  const top = value(next(), 1);
  const close = next();
  if (!close || close.kind !== 'close' || close.name !== 'plist') throw bad('</plist> expected after the top value', origin);
  if (next() !== undefined) throw bad('content after </plist>', origin);
  return top;
}

/** Keys macOS adds to managed preferences by itself, not settings. */
const SYSTEM_KEYS = new Set(['PayloadUUID', 'PayloadIdentifier', 'PayloadType', 'PayloadVersion', 'PayloadDisplayName', 'PayloadEnabled']);

export function plistPolicyLayer(xml: string, origin = MACOS_MANAGED_PLIST): ConfigLayer {
  const top = parsePlistXml(xml, origin);
  if (typeof top !== 'object' || top instanceof Date || Buffer.isBuffer(top) || Array.isArray(top)) throw bad('the top value must be a <dict>', origin);
  const entries: [string, NativeValue][] = [];
  for (const [k, v] of Object.entries(top)) {
    if (SYSTEM_KEYS.has(k)) continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw bad(`${k}: only <string>, <integer>, <true/> and <false/> are used by Tessera policies`, origin);
    entries.push([k, v]);
  }
  return { kind: 'policy', name: origin, values: managedLayer(entries, origin) };
}

/** The managed preferences plist; absent → no layer. */
export class MacManagedPreferencesSource implements ConfigSource {
  readonly kind = 'policy' as const;
  constructor(readonly name: string = MACOS_MANAGED_PLIST) {}

  read(): ConfigLayer | undefined {
    let buf: Buffer;
    try {
      buf = readFileSync(this.name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw bad((e as NodeJS.ErrnoException).code ?? String(e), this.name);
    }
    if (buf.length > MAX_BYTES) throw bad('larger than 1 MiB', this.name);
    return plistPolicyLayer(buf.toString('utf8'), this.name);
  }
}
