/**
 * FIDO2 assertion benchmark: `verifyFidoKey` with a PIN (getInfo, getKeyAgreement,
 * getPinUvAuthTokenUsingPinWithPermissions, getAssertion, then the signature, rpIdHash, flags
 * and counter checks and the store update) through the real client and the CTAPHID/UDP
 * transport, against the simulated authenticator behind `startUdpCtapDevice`.
 *
 * The floor, measured in the same run: the simulator's own processing time for the same
 * requests (time spent inside its handler: ECDH, AES, HMAC, the credential signature), which no
 * client can avoid. Everything above it is client + transport (framing, UDP, CBOR, ECDH on the
 * platform side, verification).
 *
 *   node build/scripts/bench/fido-assertion.js [--runs 200] [--out bench-results/fido-assertion.json]
 *
 * Benchmark only: nothing here asserts a timing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openCtapDevice } from '../../src/main/transports/ctap/open-ctap-device.js';
import { Ctap2Device } from '../../src/main/protocols/ctap2/ctap2-client.js';
import { getInfo } from '../../src/main/protocols/ctap2/get-info.js';
import { ClientPin, PERMISSION } from '../../src/main/protocols/ctap2/client-pin.js';
import { getAssertion } from '../../src/main/protocols/ctap2/get-assertion.js';
import { enrollFidoKey, JsonFileEnrolmentStore, verifyFidoKey } from '../../src/main/means/fido2/index.js';
import { SimAuthenticator } from '../../test/testbed/fido/authenticator.js';
import { startUdpCtapDevice } from '../../test/testbed/fido/ctaphid-device.js';
import { quantiles, roundDeep } from './stats.js';

interface Summary { n: number; p50: number; p95: number; mean: number; min: number; max: number }

function summarize(xs: readonly number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  const pct = (p: number): number => {
    const r = (p / 100) * (s.length - 1);
    const lo = Math.floor(r);
    const hi = Math.ceil(r);
    return s[lo]! + (s[hi]! - s[lo]!) * (r - lo);
  };
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return { n: s.length, p50: round(pct(50)), p95: round(pct(95)), mean: round(s.reduce((a, b) => a + b, 0) / s.length), min: round(s[0]!), max: round(s.at(-1)!) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, out: { type: 'string' } } });
  const runs = Math.max(100, Number(values.runs ?? 200));
  const out = resolve(values.out ?? 'bench-results/fido-assertion.json');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-fido-'));
  const sim = new SimAuthenticator({ pin: '1234' });
  const udp = await startUdpCtapDevice({ handler: sim.handler, devicePort: 0, hostPort: 0, keepaliveIntervalMs: 100 });
  const transport = await openCtapDevice(udp.uri);
  const store = new JsonFileEnrolmentStore(join(dir, 'store.json'));
  const personId = 'rpps:10001234567';
  const pin = Buffer.from('1234');
  try {
    const { enrolment } = await enrollFidoKey(transport, {
      personEvent: { means: 'cps', factors: ['possession', 'knowledge'], subject: { id: personId, name: 'Bench' }, proof: { kind: 'card-signature', challenge: '00', certificateSha256: '00' }, at: new Date() },
      personId,
      verification: { kind: 'pin', pin },
      store,
    });
    const device = new Ctap2Device(transport);
    const credentialId = Buffer.from(enrolment.credentialId, 'base64url');
    const verifyMs: number[] = [];
    const verifyFloorMs: number[] = [];
    const assertionMs: number[] = [];
    const assertionFloorMs: number[] = [];
    for (let i = 0; i < runs + 10; i++) {
      // 1. the whole verification with a PIN, as `tessera fido verify` runs it (minus process start-up)
      let mark = sim.processingNs.length;
      const tv0 = performance.now();
      await verifyFidoKey(transport, { personId, verification: { kind: 'pin', pin }, store });
      const tv1 = performance.now();
      const floor1 = sim.processingNs.slice(mark).reduce((x, y) => x + y, 0n);
      // 2. getAssertion alone with a PIN token already obtained (one CTAP round trip)
      const info = await getInfo(device);
      const token = await ClientPin.forInfo(device, info).getPinUvAuthTokenUsingPinWithPermissions(pin, PERMISSION.ga, enrolment.rpId);
      mark = sim.processingNs.length;
      const ta0 = performance.now();
      await getAssertion(device, { rpId: enrolment.rpId, clientDataHash: Buffer.alloc(32, i & 0xff), allowList: [credentialId], pinUvAuth: token });
      const ta1 = performance.now();
      const floor2 = sim.processingNs.slice(mark).reduce((x, y) => x + y, 0n);
      token.token.fill(0);
      if (i < 10) continue; // warm-up
      verifyMs.push(tv1 - tv0);
      verifyFloorMs.push(Number(floor1) / 1e6);
      assertionMs.push(ta1 - ta0);
      assertionFloorMs.push(Number(floor2) / 1e6);
    }
    const v = summarize(verifyMs);
    const vf = summarize(verifyFloorMs);
    const a = summarize(assertionMs);
    const af = summarize(assertionFloorMs);
    const result = {
      benchmark: 'fido-assertion',
      at: new Date().toISOString(),
      transport: 'CTAPHID over UDP (127.0.0.1), simulator in the same process',
      runs,
      cpus: cpus().length,
      node: process.version,
      // floorMs: the simulator's own processing (p50), what no host code can go under; quantilesMs: q0..q100 for the report's CDF.
      verifyWithPin: { ms: v, simulatorFloorMs: vf, floorMs: vf.p50, ctapCommands: 4, overheadP50Ms: Math.round((v.p50 - vf.p50) * 1000) / 1000, quantilesMs: roundDeep(quantiles(verifyMs)) },
      getAssertionWithToken: { ms: a, simulatorFloorMs: af, floorMs: af.p50, ctapCommands: 1, overheadP50Ms: Math.round((a.p50 - af.p50) * 1000) / 1000, quantilesMs: roundDeep(quantiles(assertionMs)) },
    };
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`fido-assertion (${runs} runs, UDP CTAPHID):`);
    console.log(`  verify with PIN (4 commands):  p50 ${v.p50} ms  p95 ${v.p95} ms   simulator floor p50 ${vf.p50} ms  p95 ${vf.p95} ms`);
    console.log(`  getAssertion with token:       p50 ${a.p50} ms  p95 ${a.p95} ms   simulator floor p50 ${af.p50} ms  p95 ${af.p95} ms`);
    console.log(`  written to ${out}`);
  } finally {
    pin.fill(0);
    await transport.close();
    await udp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
