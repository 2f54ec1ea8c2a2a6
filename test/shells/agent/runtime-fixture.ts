/**
 * One agent runtime for a test: a temporary folder with its audit trail and control socket, the
 * shared test PKI as trust anchors, a reader monitor that retries fast, and a PIN pad; plus the
 * audit records as JSON and a CPS + PIN login through a test bed slot.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/main/config/config.js';
import { TrustStore } from '../../../src/main/means/cps/trust-store.js';
import { startAgentRuntime, type AgentRuntime, type AgentRuntimeOptions } from '../../../src/main/shells/agent/agent-runtime.js';
import { ReaderMonitor } from '../../../src/main/transports/pcsc/reader-monitor.js';
import type { TestBed } from '../../testbed/bed.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { getSharedTestPki } from '../../testbed/pki/test-pki.js';
import { until } from './until.js';

export interface AuditLine {
  readonly seq: number;
  readonly event: string;
  readonly decision: string;
  readonly reason: string;
  readonly means: string | null;
  readonly person: string | null;
  readonly factors: string[];
  readonly details?: Record<string, unknown>;
}

export interface TestRuntime {
  readonly runtime: AgentRuntime;
  readonly dir: string;
  readonly socketPath: string;
  /** Records of the first audit file, in order. */
  audit(): AuditLine[];
  /** The raw text of the first audit file. */
  auditText(): string;
  /** Stops the runtime and removes the folder. */
  dispose(): Promise<void>;
}

export type TestRuntimeOptions = Omit<Partial<AgentRuntimeOptions>, 'config'> & {
  /** Configuration sections merged over `{ audit: { dir }, control: { socketPath } }`. */
  readonly config?: Record<string, unknown>;
};

export async function startTestRuntime(name: string, opts: TestRuntimeOptions = {}): Promise<TestRuntime> {
  const pki = await getSharedTestPki();
  const dir = mkdtempSync(join(tmpdir(), `tessera-${name}-`));
  const socketPath = join(dir, 'agent.sock');
  const { config: extra, ...rest } = opts;
  const config = parseConfig(JSON.stringify({ audit: { dir: join(dir, 'audit') }, control: { socketPath }, ...extra }), 'test');
  const runtime = await startAgentRuntime({
    workstation: `poste-${name}`.slice(0, 60),
    trust: TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]),
    monitor: new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } }),
    pinPad: async () => Buffer.from('1234'),
    ...rest,
    config,
  });
  const auditText = (): string => readFileSync(join(dir, 'audit', 'audit-000001.jsonl'), 'utf8');
  return {
    runtime,
    dir,
    socketPath,
    auditText,
    audit: () => auditText().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as AuditLine),
    dispose: async () => {
      await runtime.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A CPS card of the shared PKI's holder (PIN 1234) in `slot`: resolves once the session is active and recorded. */
export async function cpsLogin(bed: TestBed, slot: 0 | 1, runtime: AgentRuntime): Promise<void> {
  const pki = await getSharedTestPki();
  const cert = await pki.issueCardCertificate();
  await bed.insert(slot, new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '1234' }));
  await until('the CPS session', () => runtime.engine.status().state === 'active');
  await runtime.agent.idle();
}
