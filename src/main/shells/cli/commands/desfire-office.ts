/**
 * The badge office as the standalone CLI sees it (`tessera desfire enroll|rekey|revoke`,
 * docs/desfire-badge.md §6): the layered configuration (`--config` / `TESSERA_CONFIG`, else the
 * machine policy) gives the trust anchors, the operators (`desfire.operators`) and the audit
 * trail (`audit.dir`, or `--audit-dir`). The trail is opened before any PIN is read or any card
 * touched: when it cannot be opened the command is refused with `audit_unavailable` (exit 9) and
 * nothing happens. The operator's two-factor proof is a live CPS login in `--cps-reader`.
 */
import { hostname } from 'node:os';
import { loadAgentConfig } from '../../../config/layered.js';
import type { AgentConfig } from '../../../config/schema.js';
import { ConfigError } from '../../../config/config-error.js';
import { AuditLog, auditInputFromEnrolment } from '../../../integrations/audit/index.js';
import { recognizeCard } from '../../../means/card-recognition.js';
import { cpsLogin } from '../../../means/cps/cps-login.js';
import { CpsError } from '../../../means/cps/cps-error.js';
import { TrustStore, TrustStoreError } from '../../../means/cps/trust-store.js';
import type { AuthEvent } from '../../../means/auth-event.js';
import { BadgeError, type EnrolmentAudit } from '../../../means/desfire/index.js';
import type { ReaderMonitor } from '../../../transports/pcsc/reader-monitor.js';
import { UsageError } from '../cli-output.js';
import type { DesfireValues } from './desfire-args.js';

export interface BadgeOffice {
  readonly trust: TrustStore;
  /** `desfire.operators` of the configuration. */
  readonly operators: readonly string[];
  readonly audit: EnrolmentAudit;
  /** The audit trail's folder. */
  readonly auditDir: string;
}

function loadConfig(v: DesfireValues): AgentConfig {
  const configPath = v.config ?? process.env['TESSERA_CONFIG'];
  return loadAgentConfig(configPath !== undefined ? { configPath } : {}).config;
}

function trustOf(v: DesfireValues, config: AgentConfig): TrustStore {
  try {
    return TrustStore.fromPemFiles(v.trust?.length ? v.trust : config.cps.trustAnchors);
  } catch (e) {
    throw e instanceof TrustStoreError ? new ConfigError(e.message) : e;
  }
}

/**
 * Runs `fn` with the badge office open: configuration read, audit trail opened (refused with
 * `audit_unavailable` when it cannot be), and always closed again.
 */
export async function withBadgeOffice<T>(v: DesfireValues, fn: (office: BadgeOffice) => Promise<T>): Promise<T> {
  if (v.operator !== undefined) {
    throw new UsageError('--operator is not accepted: badge office operators are listed in desfire.operators of the machine policy (--config)');
  }
  const config = loadConfig(v);
  const trust = trustOf(v, config);
  const auditDir = v['audit-dir'] ?? config.audit.dir;
  let log: AuditLog;
  try {
    log = await AuditLog.open({
      dir: auditDir,
      workstation: hostname() || 'local',
      maxFileBytes: config.audit.rotation.maxFileBytes,
      rotateDaily: config.audit.rotation.daily,
    });
  } catch (e) {
    throw new BadgeError('audit_unavailable', `no audit trail in ${auditDir}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    const audit: EnrolmentAudit = {
      record: async (entry) => {
        await log.append(auditInputFromEnrolment(entry));
      },
    };
    return await fn({ trust, operators: config.desfire.operators, audit, auditDir });
  } finally {
    await log.close();
  }
}

/** The operator's two-factor proof: a CPS login (certificate chain, PIN, signature) in `reader`. `pin` is wiped. */
export async function cpsProof(m: ReaderMonitor, reader: string, trust: TrustStore, pin: Buffer): Promise<AuthEvent> {
  try {
    const result = await m.withCard(reader, async (ch) => {
      const kind = await recognizeCard(ch);
      if (kind.type !== 'cps' || !kind.usable) throw new CpsError('unsupported_card', `card in ${reader} is not a usable CPS (${kind.type})`);
      return cpsLogin(ch, { trust, applicationSelected: true, pin: async () => Buffer.from(pin) });
    });
    return result.event;
  } finally {
    pin.fill(0);
  }
}
