/**
 * Consistency checks of the managed-settings templates against src/shared/managed-settings.ts.
 * Each returns the list of problems found (empty when all is well), so tests can show that a
 * broken template is caught.
 */
import { managedSettings, macPreferenceDomain, policyRegistryKey, type ManagedSetting } from '../../src/shared/managed-settings.js';
import { child, childrenNamed, descendants, type XmlElement } from './xml-tree.js';

const settings: Record<string, ManagedSetting> = managedSettings;

interface AdmlTables {
  strings: Map<string, string>;
  presentations: Map<string, XmlElement>;
  problems: string[];
}

export function admlTables(adml: XmlElement, label: string): AdmlTables {
  const problems: string[] = [];
  const strings = new Map<string, string>();
  const presentations = new Map<string, XmlElement>();
  const resources = child(adml, 'resources');
  for (const s of childrenNamed(child(resources ?? adml, 'stringTable') ?? adml, 'string')) {
    const id = s.attrs.id ?? '';
    if (strings.has(id)) problems.push(`${label}: string ${id} defined twice`);
    if (s.text.trim() === '') problems.push(`${label}: string ${id} is empty`);
    strings.set(id, s.text);
  }
  for (const p of childrenNamed(child(resources ?? adml, 'presentationTable') ?? adml, 'presentation')) {
    const id = p.attrs.id ?? '';
    if (presentations.has(id)) problems.push(`${label}: presentation ${id} defined twice`);
    presentations.set(id, p);
  }
  return { strings, presentations, problems };
}

/** Every $(string.X) and $(presentation.X) in the ADMX exists in the ADML, and nothing more. */
export function checkAdmlCoversAdmx(admx: XmlElement, adml: XmlElement, label: string): string[] {
  const { strings, presentations, problems } = admlTables(adml, label);
  const usedStrings = new Set<string>();
  const usedPresentations = new Set<string>();
  for (const el of descendants(admx)) {
    for (const value of Object.values(el.attrs)) {
      for (const m of value.matchAll(/\$\((string|presentation)\.([^)]+)\)/g)) {
        const [, kind, id] = m;
        if (!id) continue;
        if (kind === 'string') {
          usedStrings.add(id);
          if (!strings.has(id)) problems.push(`${label}: missing string ${id}`);
        } else {
          usedPresentations.add(id);
          if (!presentations.has(id)) problems.push(`${label}: missing presentation ${id}`);
        }
      }
    }
  }
  for (const id of strings.keys()) if (!usedStrings.has(id)) problems.push(`${label}: string ${id} is not used by the ADMX`);
  for (const id of presentations.keys()) {
    if (!usedPresentations.has(id)) problems.push(`${label}: presentation ${id} is not used by the ADMX`);
  }
  return problems;
}

const controlFor: Record<string, string> = { decimal: 'decimalTextBox', text: 'textBox', enum: 'dropdownList' };

/** Presentation controls refer to the elements of their own policy, with the right defaults. */
export function checkPresentations(admx: XmlElement, adml: XmlElement, label: string): string[] {
  const { presentations } = admlTables(adml, label);
  const problems: string[] = [];
  for (const policy of descendants(admx)) {
    if (policy.name !== 'policy') continue;
    const ref = /^\$\(presentation\.(.+)\)$/.exec(policy.attrs.presentation ?? '')?.[1];
    const elements = child(policy, 'elements')?.children ?? [];
    if (!ref) {
      if (elements.length > 0) problems.push(`${label}: policy ${policy.attrs.name} has elements but no presentation`);
      continue;
    }
    const presentation = presentations.get(ref);
    if (!presentation) continue; // reported by checkAdmlCoversAdmx
    for (const control of presentation.children) {
      const element = elements.find((e) => e.attrs.id === control.attrs.refId);
      if (!element) {
        problems.push(`${label}: presentation ${ref} refers to unknown element ${control.attrs.refId}`);
        continue;
      }
      if (controlFor[element.name] !== control.name) {
        problems.push(`${label}: ${ref}: a ${element.name} element needs a ${controlFor[element.name]}, not a ${control.name}`);
      }
      const setting = settings[element.attrs.valueName ?? ''];
      if (setting?.kind === 'integer' && control.attrs.defaultValue !== String(setting.default)) {
        problems.push(`${label}: ${ref} proposes ${control.attrs.defaultValue}, the settings table says ${setting.default}`);
      }
      if (setting?.kind === 'choice' && control.attrs.defaultItem !== String(setting.values.indexOf(setting.default))) {
        problems.push(`${label}: ${ref} default item ${control.attrs.defaultItem} is not "${setting.default}"`);
      }
    }
    for (const element of elements) {
      if (!presentation.children.some((c) => c.attrs.refId === element.attrs.id)) {
        problems.push(`${label}: element ${element.attrs.id} has no control in presentation ${ref}`);
      }
    }
  }
  return problems;
}

/** The ADMX defines exactly the settings of the table, under the policy key, with their ranges. */
export function checkAdmxMatchesSettings(admx: XmlElement): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const policy of descendants(admx)) {
    if (policy.name !== 'policy') continue;
    const name = policy.attrs.name ?? '';
    if (policy.attrs.key !== policyRegistryKey) problems.push(`policy ${name} writes to ${policy.attrs.key}, not ${policyRegistryKey}`);
    if (policy.attrs.class !== 'Machine') problems.push(`policy ${name} is not a machine policy`);
    const elements = child(policy, 'elements')?.children ?? [];
    const valueNames = policy.attrs.valueName ? [policy.attrs.valueName] : elements.map((e) => e.attrs.valueName ?? '');
    for (const valueName of valueNames) {
      if (seen.has(valueName)) problems.push(`value ${valueName} is set by two policies`);
      seen.add(valueName);
      const setting = settings[valueName];
      if (!setting) {
        problems.push(`value ${valueName} is not in the managed settings table`);
        continue;
      }
      const element = elements.find((e) => e.attrs.valueName === valueName);
      switch (setting.kind) {
        case 'boolean': {
          const on = child(child(policy, 'enabledValue') ?? policy, 'decimal')?.attrs.value;
          const off = child(child(policy, 'disabledValue') ?? policy, 'decimal')?.attrs.value;
          if (on !== '1' || off !== '0') problems.push(`${valueName}: a boolean policy writes 1 when enabled and 0 when disabled`);
          break;
        }
        case 'integer':
          if (element?.name !== 'decimal' || element.attrs.minValue !== String(setting.min) || element.attrs.maxValue !== String(setting.max)) {
            problems.push(`${valueName}: expected a decimal from ${setting.min} to ${setting.max}`);
          }
          break;
        case 'choice': {
          const values = element?.name === 'enum' ? childrenNamed(element, 'item').map((i) => child(child(i, 'value') ?? i, 'string')?.text) : [];
          if (JSON.stringify(values) !== JSON.stringify(setting.values)) problems.push(`${valueName}: choices ${JSON.stringify(values)} differ from the table`);
          break;
        }
        case 'url':
        case 'text':
          if (element?.name !== 'text' || element.attrs.maxLength !== String(setting.maxLength)) {
            problems.push(`${valueName}: expected a text of at most ${setting.maxLength} characters`);
          }
          break;
      }
    }
  }
  for (const name of Object.keys(settings)) if (!seen.has(name)) problems.push(`setting ${name} has no policy`);
  return problems;
}

type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

export function plistValue(element: XmlElement): PlistValue {
  switch (element.name) {
    case 'plist': {
      const [only, ...rest] = element.children;
      if (!only || rest.length > 0) throw new Error('<plist> must hold exactly one value');
      return plistValue(only);
    }
    case 'string':
      return element.text;
    case 'integer':
      return Number.parseInt(element.text, 10);
    case 'true':
      return true;
    case 'false':
      return false;
    case 'array':
      return element.children.map(plistValue);
    case 'dict': {
      const out: Record<string, PlistValue> = {};
      for (let i = 0; i < element.children.length; i += 2) {
        const key = element.children[i];
        const value = element.children[i + 1];
        if (key?.name !== 'key' || !value) throw new Error('plist dict must alternate <key> and a value');
        if (key.text in out) throw new Error(`plist key ${key.text} appears twice`);
        out[key.text] = plistValue(value);
      }
      return out;
    }
    default:
      throw new Error(`unsupported plist element <${element.name}>`);
  }
}

const uuidPattern = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

/** The profile sets exactly the settings of the table, with values of the right type and range. */
export function checkProfile(profile: PlistValue): string[] {
  const problems: string[] = [];
  if (typeof profile !== 'object' || Array.isArray(profile)) return ['profile root is not a dict'];
  if (profile.PayloadType !== 'Configuration') problems.push('outer PayloadType must be Configuration');
  const content = profile.PayloadContent;
  if (!Array.isArray(content) || content.length !== 1) return [...problems, 'PayloadContent must hold one payload'];
  const payload = content[0];
  if (typeof payload !== 'object' || Array.isArray(payload)) return [...problems, 'payload is not a dict'];
  if (payload.PayloadType !== macPreferenceDomain) problems.push(`payload type must be the preference domain ${macPreferenceDomain}`);
  const uuids = [profile.PayloadUUID, payload.PayloadUUID];
  if (!uuids.every((u) => typeof u === 'string' && uuidPattern.test(u)) || uuids[0] === uuids[1]) {
    problems.push('PayloadUUIDs must be two distinct upper-case UUIDs');
  }
  const keys = Object.keys(payload).filter((k) => !k.startsWith('Payload'));
  for (const name of Object.keys(settings)) if (!keys.includes(name)) problems.push(`profile lacks ${name}`);
  for (const key of keys) {
    const setting = settings[key];
    const value = payload[key];
    if (!setting) {
      problems.push(`profile key ${key} is not a managed setting`);
      continue;
    }
    const ok =
      setting.kind === 'integer'
        ? typeof value === 'number' && Number.isInteger(value) && value >= setting.min && value <= setting.max
        : setting.kind === 'boolean'
          ? typeof value === 'boolean'
          : setting.kind === 'choice'
            ? typeof value === 'string' && setting.values.includes(value)
            : setting.kind === 'url'
              ? typeof value === 'string' && value.length <= setting.maxLength && /^https:\/\/[^\s/]+/.test(value)
              : typeof value === 'string' && value.length > 0 && value.length <= setting.maxLength;
    if (!ok) problems.push(`profile value of ${key} (${JSON.stringify(value)}) does not fit a ${setting.kind} setting`);
  }
  return problems;
}
