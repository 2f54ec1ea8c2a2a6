/**
 * Syntax and intent of native/linux/70-tessera-fido.rules, checked against udev(7)'s rule
 * grammar (comma-separated KEY[{attr}] operator "value"). udevadm verify needs systemd 253+,
 * and no hidraw device exists on the test machines, so the rule itself is not run here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './repo-root.js';

const file = path.join(repoRoot, 'native', 'linux', '70-tessera-fido.rules');
const matchKeys = new Set(['ACTION', 'SUBSYSTEM', 'KERNEL', 'ENV', 'ATTRS', 'TAG']);
const assignKeys = new Set(['ENV', 'TAG', 'GOTO', 'LABEL', 'IMPORT', 'MODE', 'GROUP']);

interface Clause {
  key: string;
  attr: string | undefined;
  op: string;
  value: string;
}

function parseRules(text: string): Clause[][] {
  const rules: Clause[][] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const clauses: Clause[] = [];
    for (const part of line.split(/,\s*(?=[A-Z])/)) {
      const m = /^([A-Z_]+)(?:\{([^}]+)\})?(==|!=|\+=|-=|:=|=)"([^"]*)"$/.exec(part.trim());
      if (!m?.[1] || !m[3]) throw new Error(`line ${index + 1}: cannot parse "${part}"`);
      const clause: Clause = { key: m[1], attr: m[2], op: m[3], value: m[4] ?? '' };
      const isMatch = clause.op === '==' || clause.op === '!=';
      if (isMatch ? !matchKeys.has(clause.key) : !assignKeys.has(clause.key)) {
        throw new Error(`line ${index + 1}: ${clause.key} cannot be used with ${clause.op}`);
      }
      clauses.push(clause);
    }
    rules.push(clauses);
  }
  return rules;
}

test('the udev rule parses and its GOTOs land on a LABEL', async () => {
  const rules = parseRules(await readFile(file, 'utf8'));
  const labels = rules.flat().filter((c) => c.key === 'LABEL').map((c) => c.value);
  const gotos = rules.flat().filter((c) => c.key === 'GOTO').map((c) => c.value);
  assert.ok(gotos.length > 0);
  for (const target of gotos) assert.ok(labels.includes(target), `GOTO ${target} has no LABEL`);
  assert.throws(() => parseRules('SUBSYSTEM=="hidraw", TAG+=uaccess'), /cannot parse/);
  assert.throws(() => parseRules('GOTO=="x"'), /cannot be used/);
});

test('hidraw FIDO devices, recognised by their report descriptor, get the uaccess tag', async () => {
  const rules = parseRules(await readFile(file, 'utf8'));
  const flat = rules.flat();
  assert.ok(flat.some((c) => c.key === 'SUBSYSTEM' && c.op === '!=' && c.value === 'hidraw'), 'only hidraw devices');
  assert.ok(flat.some((c) => c.key === 'IMPORT' && c.attr === 'program' && c.value === 'fido_id'), 'fido_id reads the report descriptor');
  const tagging = rules.find((r) => r.some((c) => c.key === 'TAG' && c.op === '+=' && c.value === 'uaccess'));
  assert.ok(tagging, 'a rule adds uaccess');
  assert.ok(tagging.some((c) => c.key === 'ENV' && c.attr === 'ID_FIDO_TOKEN' && c.op === '==' && c.value === '1'), 'only for FIDO tokens');
  assert.ok(!flat.some((c) => c.key === 'MODE' || c.key === 'GROUP'), 'no world- or group-wide permissions');
  // uaccess is applied by 73-seat-late.rules: the file must sort before it.
  assert.ok(Number.parseInt(path.basename(file), 10) < 73);
});
