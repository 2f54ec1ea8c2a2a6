/**
 * The agent's badge and FIDO2 means, built from the validated configuration before anything
 * starts (docs/configuration.md):
 *
 *  - `desfire.kmsConfigPath` (+ `desfire.enrolmentRegisterPath`, `desfire.applicationAid`): badges
 *    are tapped with keys diversified by that KMS (file or PKCS#11 backend) and checked against
 *    that register. A KMS path without a register path is refused: a badge that proved its key
 *    still has to be bound to a person by its enrolment.
 *  - `fido2.enrolmentStorePath` (+ `fido2.rpId`): the forgotten-card FIDO2 fallback is on, with
 *    keys found on NFC readers and, in production, USB keys through node-hid.
 *
 * A problem with those files is a `ConfigError` naming the field, so `tessera agent` refuses to
 * start with exit 11 exactly as for an invalid configuration.
 */
import { ConfigError } from '../../config/config-error.js';
import type { AgentConfig } from '../../config/schema.js';
import { isTesseraError } from '../../errors.js';
import { openKmsFile, type Kms } from '../../integrations/kms/index.js';
import { JsonEnrolmentRegister } from '../../means/desfire/index.js';
import { JsonFileEnrolmentStore } from '../../means/fido2/index.js';
import type { EngineAgentBadgeOptions } from './engine-agent.js';
import type { EngineAgentFidoOptions } from './fido-fallback.js';

export interface ConfiguredMeans {
  readonly badge?: EngineAgentBadgeOptions;
  readonly fido?: EngineAgentFidoOptions;
  /** The KMS the badges use (closed by `close`). */
  readonly kms?: Kms;
  /** Releases the KMS (wipes its in-memory keys, closes a token session). */
  close(): Promise<void>;
}

export interface MeansFromConfigOptions {
  /** Badge + PIN: asks the badge's PIN (absent: a badge the engine wants a second factor for is just refused). */
  readonly badgePinPad?: (reader: string) => Promise<Buffer>;
  /** Look for USB FIDO2 keys through node-hid (default true). */
  readonly hid?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

function fileProblem(field: string, allowed: string, e: unknown, file: string): ConfigError {
  const code = isTesseraError(e) ? e.code : '';
  const insecure = code === 'kms_insecure_file' || /writable by group|readable by/.test(e instanceof Error ? e.message : '');
  return new ConfigError(`${field}: ${e instanceof Error ? e.message : String(e)}`, { problem: insecure ? 'config.insecure_file' : 'config.unreadable', field, allowed, file });
}

export function meansFromConfig(config: AgentConfig, opts: MeansFromConfigOptions = {}): ConfiguredMeans {
  const d = config.desfire;
  let badge: EngineAgentBadgeOptions | undefined;
  let kms: Kms | undefined;
  if (d.kmsConfigPath !== undefined) {
    if (d.enrolmentRegisterPath === undefined) {
      throw new ConfigError('desfire.enrolmentRegisterPath: required with desfire.kmsConfigPath', {
        problem: 'config.wrong_type',
        field: 'desfire.enrolmentRegisterPath',
        allowed: 'the path of the badge enrolment register (required when desfire.kmsConfigPath is set)',
      });
    }
    try {
      kms = openKmsFile(d.kmsConfigPath, opts.env ?? process.env);
    } catch (e) {
      throw fileProblem('desfire.kmsConfigPath', 'a KMS configuration file of mode 600 (docs/desfire-badge.md, "KMS")', e, d.kmsConfigPath);
    }
    const register = JsonEnrolmentRegister.create(d.enrolmentRegisterPath);
    try {
      // Read once now: an unreadable or group-writable register stops the start, not the first tap.
      register.isRevoked('0'.repeat(32));
    } catch (e) {
      const k = kms;
      void k.close();
      throw fileProblem('desfire.enrolmentRegisterPath', 'a badge register file writable by its owner only', e, d.enrolmentRegisterPath);
    }
    badge = {
      keys: kms,
      register,
      aid: Buffer.from(d.applicationAid, 'hex'),
      ...(d.operators.length > 0 ? { operators: d.operators } : {}),
      ...(opts.badgePinPad ? { pinPad: opts.badgePinPad } : {}),
    };
  }
  const f = config.fido2;
  const fido: EngineAgentFidoOptions | undefined =
    f.enrolmentStorePath !== undefined ? { store: new JsonFileEnrolmentStore(f.enrolmentStorePath), rpId: f.rpId, hid: opts.hid ?? true } : undefined;
  const k = kms;
  return {
    ...(badge ? { badge } : {}),
    ...(fido ? { fido } : {}),
    ...(k ? { kms: k } : {}),
    close: async () => {
      await k?.close();
    },
  };
}
