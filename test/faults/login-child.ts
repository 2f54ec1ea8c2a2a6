/**
 * Child process of the kill -9 test (not a test itself): the agent runtime on the parent's test
 * bed (`PCSCLITE_CSOCK_NAME` inherited), audit folder argv[2], control socket argv[3], trust
 * anchors in the PEM file argv[4], PIN 1234 typed by its PIN pad. Prints JSON lines: `ready`
 * once started (with the audit repair, if any), each decision once it is recorded, and the
 * agent's own reports. argv[5] = `slow-writes`: file writes are cut in two, 40 ms apart.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig } from '../../src/main/config/config.js';
import { TrustStore } from '../../src/main/means/cps/trust-store.js';
import { startAgentRuntime } from '../../src/main/shells/agent/agent-runtime.js';
import { ReaderMonitor } from '../../src/main/transports/pcsc/reader-monitor.js';

const [auditDir, socketPath, trustPem, mode] = process.argv.slice(2);
if (!auditDir || !socketPath || !trustPem) throw new Error('usage: login-child <auditDir> <socket> <trust.pem> [slow-writes]');
if (mode === 'slow-writes') {
  // Every file write puts its first half down, waits 40 ms, and reports the short count (the log
  // writes the rest): a kill in that window leaves a half record line for the next start to repair.
  const handle = await open('/dev/null', 'r');
  const fileHandle = Object.getPrototypeOf(handle) as { write: FileHandle['write'] };
  await handle.close();
  type Write = (this: FileHandle, buf: Buffer, off?: number, len?: number) => Promise<{ bytesWritten: number; buffer: Buffer }>;
  const write = fileHandle.write as unknown as Write;
  const halfThenWait: Write = async function (buf, off = 0, len = buf.length - off) {
    if (!Buffer.isBuffer(buf) || len < 2) return write.call(this, buf, off, len);
    const written = await write.call(this, buf, off, len >> 1);
    await sleep(40);
    return written;
  };
  fileHandle.write = halfThenWait as unknown as FileHandle['write'];
}
const say = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};
const runtime = await startAgentRuntime({
  workstation: 'PC-KILL-01',
  config: parseConfig(JSON.stringify({ audit: { dir: auditDir }, control: { socketPath } }), 'test'),
  trust: TrustStore.fromPemFiles([trustPem]),
  monitor: new ReaderMonitor({ backoff: { initialMs: 50, maxMs: 200 } }),
  pinPad: () => Promise.resolve(Buffer.from('1234')),
  report: (r) => say({ type: 'report', record: r }),
});
runtime.engine.onRecorded((d) => say({ type: 'recorded', event: d.event, decision: d.decision, reason: d.reason, person: d.person ?? null, at: d.at.toISOString() }));
say({ type: 'ready', lastSeq: runtime.audit.lastSeq, repaired: runtime.audit.repaired ?? null, state: runtime.engine.status().state });
process.once('SIGTERM', () => {
  void runtime.stop().then(() => process.exit(0));
});
