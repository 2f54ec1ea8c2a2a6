/**
 * Badges and the FIDO2 fallback from the configuration file: `meansFromConfig` refuses what
 * cannot work (a KMS without a register, a KMS file others can read) naming the field, and
 * `tessera agent --config` (in process, through the real pcscd) taps an enrolled badge with the
 * keys its configured KMS diversifies — while a badge keyed from other masters is refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ConfigError } from '../../../src/main/config/config-error.js';
import { parseConfig } from '../../../src/main/config/config.js';
import { meansFromConfig } from '../../../src/main/shells/agent/means-from-config.js';
import { agentCommand } from '../../../src/main/shells/cli/commands/agent.js';
import { SimulatedChannel } from '../../means/cps/simulated-channel.js';
import { AID, ALICE, SYSID, enrol, kmsFor, newMasters, type Masters } from '../../means/desfire/badge-fixture.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { DesfireCard } from '../../testbed/cards/desfire-card.js';
import { getSharedTestPki } from '../../testbed/pki/test-pki.js';
import { JsonEnrolmentRegister } from '../../../src/main/means/desfire/index.js';
import { until } from './until.js';

function kmsFile(path: string, m: Masters, mode = 0o600): void {
  const masterKeys = m.keys.map((k, keyNo) => ({ aid: AID.toString('hex').toUpperCase(), keyNo, key: k.toString('hex'), systemIdentifier: SYSID.toString('hex') }));
  writeFileSync(path, JSON.stringify({ backend: 'file', masterKeys }), { mode });
  chmodSync(path, mode);
}


describe('meansFromConfig', () => {
  let dir: string;
  const masters = newMasters();
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-means-cfg-'));
    kmsFile(join(dir, 'kms.json'), masters);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = (o: object): ReturnType<typeof parseConfig> => parseConfig(JSON.stringify(o), 'test');

  it('nothing configured: no badge, no fallback', async () => {
    const m = meansFromConfig(cfg({}));
    assert.equal(m.badge, undefined);
    assert.equal(m.fido, undefined);
    await m.close();
  });

  it('a KMS without a register is refused, naming desfire.enrolmentRegisterPath', () => {
    assert.throws(() => meansFromConfig(cfg({ desfire: { kmsConfigPath: join(dir, 'kms.json') } })), (e: unknown) => e instanceof ConfigError && e.field === 'desfire.enrolmentRegisterPath');
  });

  it('a KMS file others can read is refused as insecure, naming desfire.kmsConfigPath', () => {
    const open = join(dir, 'kms-644.json');
    kmsFile(open, masters, 0o644);
    assert.throws(
      () => meansFromConfig(cfg({ desfire: { kmsConfigPath: open, enrolmentRegisterPath: join(dir, 'reg.json') } })),
      (e: unknown) => e instanceof ConfigError && e.field === 'desfire.kmsConfigPath' && e.problem === 'config.insecure_file',
    );
  });

  it('a register others can write is refused, naming desfire.enrolmentRegisterPath', () => {
    const reg = join(dir, 'reg-666.json');
    JsonEnrolmentRegister.create(reg);
    chmodSync(reg, 0o666);
    assert.throws(
      () => meansFromConfig(cfg({ desfire: { kmsConfigPath: join(dir, 'kms.json'), enrolmentRegisterPath: reg } })),
      (e: unknown) => e instanceof ConfigError && e.field === 'desfire.enrolmentRegisterPath' && e.problem === 'config.insecure_file',
    );
  });

  it('KMS + register (+ AID) give badges with real diversified keys; a store gives the FIDO2 fallback', async () => {
    const m = meansFromConfig(cfg({ desfire: { kmsConfigPath: join(dir, 'kms.json'), enrolmentRegisterPath: join(dir, 'reg.json'), applicationAid: 'F51230' }, fido2: { enrolmentStorePath: join(dir, 'fido.json'), rpId: 'chu.local' } }), { hid: false });
    try {
      assert.deepEqual(m.badge?.aid, AID);
      const uid = Buffer.from('04112233445566', 'hex');
      const expected = await kmsFor(masters).diversifiedKey(uid, AID, 1);
      assert.deepEqual(await m.badge?.keys.diversifiedKey(uid, AID, 1), expected);
      assert.equal(m.fido?.rpId, 'chu.local');
      assert.equal(m.fido?.hid, false);
    } finally {
      await m.close();
    }
  });
});

describe('tessera agent --config: badges tapped with the configured KMS, through the real pcscd', () => {
  let bed: TestBed;
  let dir: string;
  let stop: () => void = () => undefined;
  let exit: Promise<number>;
  let out = '';
  let enrolmentId = '';
  const masters = newMasters();
  const good = new DesfireCard({ ev2: true, randomUid: true });
  const foreign = new DesfireCard({ ev2: true });

  const audit = (): { event: string; decision: string; reason: string; details?: { enrolmentId?: string; errorCode?: string } }[] =>
    readFileSync(join(dir, 'audit', 'audit-000001.jsonl'), 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { event: string; decision: string; reason: string });

  before(async () => {
    bed = await openTestBed();
    dir = mkdtempSync(join(tmpdir(), 'tessera-agent-cfg-'));
    kmsFile(join(dir, 'kms.json'), masters);
    const register = JsonEnrolmentRegister.create(join(dir, 'register.json'));
    enrolmentId = (await enrol(new SimulatedChannel(good), kmsFor(masters), register, ALICE)).enrolmentId;
    await enrol(new SimulatedChannel(foreign), kmsFor(newMasters()), JsonEnrolmentRegister.create(join(dir, 'other-register.json')), ALICE);
    const pki = await getSharedTestPki();
    writeFileSync(join(dir, 'anchors.pem'), pki.caBundlePem, { mode: 0o600 });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        cps: { trustAnchors: ['anchors.pem'] },
        desfire: { kmsConfigPath: 'kms.json', enrolmentRegisterPath: 'register.json' },
        audit: { dir: join(dir, 'audit') },
        control: { socketPath: join(dir, 'agent.sock') },
      }),
      { mode: 0o600 },
    );
    const stdout = new Writable({ write: (c: Buffer, _e, cb) => { out += c.toString(); cb(); } });
    const stderr = new Writable({ write: (_c, _e, cb) => cb() });
    exit = agentCommand({ json: true, lang: 'en', stdout, stderr }, [], { configPath: join(dir, 'config.json'), stopSignal: new Promise<void>((r) => (stop = r)) });
    await until('the agent to start', () => out.includes('"type":"started"'));
  });

  after(async () => {
    stop();
    await exit.catch(() => 1);
    await bed.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the start line says badges are on', () => {
    const started = out.split('\n').filter((l) => l.includes('"type":"started"')).map((l) => JSON.parse(l) as { badges: boolean; fidoFallback: boolean })[0];
    assert.equal(started?.badges, true);
    assert.equal(started?.fidoFallback, false);
  });

  it('an enrolled badge proves its diversified key: the tap is decided on its enrolment (no session yet)', async () => {
    await bed.insert(0, good);
    await until('the tap decision', () => audit().some((l) => l.event === 'badge_tap'));
    const tap = audit().find((l) => l.event === 'badge_tap');
    assert.equal(tap?.details?.enrolmentId, enrolmentId, JSON.stringify(tap));
    assert.notEqual(tap?.reason, 'session.authentication_failed');
    await bed.eject(0);
  });

  it('a badge keyed from other masters fails its authentication: refused, badge_auth_failed', async () => {
    const before = audit().length;
    await bed.insert(0, foreign);
    await until('the refusal', () => audit().slice(before).some((l) => l.event === 'badge_tap'));
    const tap = audit().slice(before).find((l) => l.event === 'badge_tap');
    assert.deepEqual([tap?.decision, tap?.reason, tap?.details?.errorCode], ['refuse', 'session.authentication_failed', 'badge_auth_failed']);
    await bed.eject(0);
  });

  it('SIGTERM-like stop: exit 0', async () => {
    stop();
    assert.equal(await exit, 0);
  });
});
