/**
 * Fuzz targets for what a smartcard sends: ISO 7816-4 responses, GET RESPONSE / 6Cxx handling,
 * BER-TLV, the IAS-ECC (CPS) command set and the card's X.509 certificate.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { derTotalLength, readAuthenticationCertificate, readPinStatus, selectCpsApplication, signChallenge, verifyPin } from '../../../src/main/protocols/iasecc/cps-commands.js';
import { IasEccError } from '../../../src/main/protocols/iasecc/iasecc-error.js';
import { MAX_CERTIFICATE_LENGTH } from '../../../src/main/protocols/iasecc/cps-profile.js';
import {
  DEFAULT_MAX_GET_RESPONSE,
  DEFAULT_TLV_MAX_DEPTH,
  DEFAULT_TLV_MAX_NODES,
  encodeTlv,
  exchange,
  findTag,
  Iso7816Error,
  parseResponseApdu,
  parseTlv,
  type TlvNode,
} from '../../../src/main/protocols/iso7816/index.js';
import { parseCardCertificate } from '../../../src/main/means/cps/certificate.js';
import { CpsError } from '../../../src/main/means/cps/cps-error.js';
import { TrustStore, TrustStoreError } from '../../../src/main/means/cps/trust-store.js';
import { getSharedTestPki } from '../../testbed/pki/test-pki.js';
import { expected, joinFrames, splitFrames, TempFolder, typed, typedAsync, type FuzzTarget } from '../harness.js';
import { ScriptedChannel } from '../scripted-channel.js';

const TLV_ERRORS = [expected(Iso7816Error, ['tlv_malformed', 'tlv_too_long', 'tlv_too_deep', 'tlv_too_many_nodes'])];
const EXCHANGE_ERRORS = expected(Iso7816Error, ['malformed_response', 'too_many_get_response', 'wrong_le_repeated']);

function walk(nodes: readonly TlvNode[], depth: number, visit: (n: TlvNode, depth: number) => void): void {
  for (const n of nodes) {
    visit(n, depth);
    if (n.children) walk(n.children, depth + 1, visit);
  }
}

/** Re-encodes parsed nodes with the shortest lengths (constructed values from their children). */
export function reencodeTlv(nodes: readonly TlvNode[]): Buffer {
  return Buffer.concat(nodes.map((n) => encodeTlv(n.tag, n.children ? reencodeTlv(n.children) : n.value)));
}

function shape(nodes: readonly TlvNode[]): unknown[] {
  return nodes.map((n) => (n.children ? [n.tag, shape(n.children)] : [n.tag, n.value.toString('hex')]));
}

export const tlvTarget: FuzzTarget = {
  name: 'iso7816-tlv',
  description: 'BER-TLV parser (strict and lenient): bounded depth and node count, lengths checked, strict re-encoding parses to the same tree',
  runs: 3000,
  check(input) {
    for (const mode of ['strict', 'lenient'] as const) {
      const r = typed(() => parseTlv(input, { mode }), TLV_ERRORS);
      if (!r.ok) continue;
      let count = 0;
      walk(r.value, 1, (n, depth) => {
        count += 1;
        assert.ok(depth <= DEFAULT_TLV_MAX_DEPTH, `node at depth ${depth}`);
        assert.ok(n.value.length <= input.length, 'value longer than the input');
      });
      assert.ok(count <= DEFAULT_TLV_MAX_NODES, `${count} nodes`);
      const first = r.value[0];
      if (first) assert.equal(findTag(r.value, first.tag), first);
      if (mode === 'strict') {
        const again = parseTlv(reencodeTlv(r.value), { mode: 'strict' });
        assert.deepEqual(shape(again), shape(r.value), 'shortest re-encoding parses to another tree');
      }
    }
  },
};

export const responseTarget: FuzzTarget = {
  name: 'iso7816-response',
  description: 'response APDU split (data + SW1 SW2)',
  runs: 1000,
  check(input) {
    const r = typed(() => parseResponseApdu(input), [expected(Iso7816Error, ['malformed_response'])]);
    if (!r.ok) {
      assert.ok(input.length < 2);
      return;
    }
    assert.equal(r.value.data.length, input.length - 2);
    assert.equal(r.value.sw, input.readUInt16BE(input.length - 2));
  },
};

/** Seeds for scripted exchanges: chained 61xx, a 6Cxx retry, a plain answer. */
const exchangeSeeds = (): Promise<readonly Buffer[]> =>
  Promise.resolve([
    joinFrames([Buffer.from('0102036110', 'hex'), Buffer.concat([Buffer.alloc(16, 0xab), Buffer.from('9000', 'hex')])]),
    joinFrames([Buffer.from('6C08', 'hex'), Buffer.from('01020304050607089000', 'hex')]),
    joinFrames([Buffer.from('6100', 'hex'), Buffer.from('6100', 'hex'), Buffer.from('6282', 'hex')]),
    joinFrames([Buffer.from('6C10', 'hex'), Buffer.from('6C10', 'hex')]),
  ]);

export const exchangeTarget: FuzzTarget = {
  name: 'iso7816-exchange',
  description: 'exchange(): 61xx GET RESPONSE chaining and 6Cxx retry against a card answering anything (frames from the input)',
  runs: 1500,
  seeds: exchangeSeeds,
  async check(input) {
    const frames = splitFrames(input);
    const channel = new ScriptedChannel(frames);
    const r = await typedAsync(() => exchange(channel, { cla: 0x00, ins: 0xb0, p1: 0, p2: 0, le: 256 }), [EXCHANGE_ERRORS]);
    assert.ok(channel.commands <= 2 + DEFAULT_MAX_GET_RESPONSE, `${channel.commands} commands for one exchange`);
    if (r.ok) {
      const total = frames.reduce((s, f) => s + f.length, 0);
      assert.ok(r.value.data.length <= total, 'more response data than the card sent');
    }
  },
};

const IASECC_CODES = expected(IasEccError, ['not_a_cps', 'card_data_invalid', 'unexpected_status', 'reference_not_found']);

export const iasEccTarget: FuzzTarget = {
  name: 'iasecc-commands',
  description: 'CPS command set (SELECT, certificate READ BINARY loop, VERIFY status/PIN, MSE + INTERNAL AUTHENTICATE) against arbitrary card answers',
  runs: 1500,
  seeds: async () => [
    ...(await exchangeSeeds()),
    joinFrames([Buffer.from('9000', 'hex'), Buffer.from('9000', 'hex'), Buffer.from('3082000a', 'hex'), Buffer.from('6282', 'hex')]),
    joinFrames([Buffer.from('6F009000', 'hex'), Buffer.from('9000', 'hex'), Buffer.from('3003020100', 'hex'), Buffer.from('63C2', 'hex'), Buffer.from('63C1', 'hex'), Buffer.from('9000', 'hex'), Buffer.from('AABB9000', 'hex')]),
  ],
  async check(input) {
    const channel = new ScriptedChannel(splitFrames(input));
    const accepted = [IASECC_CODES, EXCHANGE_ERRORS];
    await typedAsync(() => selectCpsApplication(channel), accepted);
    const cert = await typedAsync(() => readAuthenticationCertificate(channel), accepted);
    if (cert.ok) assert.ok(cert.value.length <= MAX_CERTIFICATE_LENGTH, `certificate of ${cert.value.length} bytes`);
    const status = await typedAsync(() => readPinStatus(channel), accepted);
    if (status.ok && status.value.status === 'needed') assert.ok(status.value.retriesLeft > 0 && status.value.retriesLeft <= 15);
    await typedAsync(() => verifyPin(channel, Buffer.from('1234')), accepted);
    const sig = await typedAsync(() => signChallenge(channel, Buffer.alloc(32, 7)), accepted);
    if (sig.ok) assert.ok(sig.value.length > 0 && sig.value.length <= 512);
  },
};

let trust: TrustStore | undefined;

export const certificateTarget: FuzzTarget = {
  name: 'cps-certificate',
  description: 'the card certificate: DER length prefix, X.509 + subject/keyUsage parsing, path validation against the test PKI',
  runs: 400,
  async seeds() {
    const pki = await getSharedTestPki();
    trust = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]);
    const card = await pki.issueCardCertificate();
    return [card.der, pki.intermediate.der];
  },
  check(input) {
    const len = typed(() => derTotalLength(input), [expected(IasEccError, ['card_data_invalid'])]);
    if (len.ok && len.value !== undefined) assert.ok(len.value <= 2 + 2 + 0xffff);
    const cert = typed(() => parseCardCertificate(input), [expected(CpsError, ['card_data_invalid', 'untrusted_certificate'])]);
    if (!cert.ok) return;
    assert.match(cert.value.holder.rpps ?? '', /^[0-9]{11}$/);
    if (trust) typed(() => trust?.verify(cert.value.x509, new Date()), [expected(CpsError, ['untrusted_certificate'])]);
  },
};

const anchorsDir = new TempFolder('tessera-fuzz-anchors-');

export const trustAnchorsTarget: FuzzTarget = {
  name: 'cps-trust-anchors',
  description: 'trust anchor PEM files (configured CA bundles): any file contents give a store or a TrustStoreError naming the file (callers turn it into their configuration error)',
  runs: 400,
  async seeds() {
    const pki = await getSharedTestPki();
    return [Buffer.from(pki.caBundlePem), Buffer.from(pki.root.pem)];
  },
  setup: async () => anchorsDir.create(),
  teardown: async () => anchorsDir.remove(),
  check(input) {
    if (!anchorsDir.path) return;
    const file = path.join(anchorsDir.path, 'anchors.pem');
    writeFileSync(file, input);
    try {
      const store = TrustStore.fromPemFiles([file]);
      assert.ok(store.certificates.length > 0, 'a store without any certificate');
    } catch (e) {
      if (!(e instanceof TrustStoreError)) assert.fail(`not a TrustStoreError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      assert.equal(e.file, file);
    }
  },
};

export const CARD_TARGETS: readonly FuzzTarget[] = [tlvTarget, responseTarget, exchangeTarget, iasEccTarget, certificateTarget, trustAnchorsTarget];
