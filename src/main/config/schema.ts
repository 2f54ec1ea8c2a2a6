/**
 * The whole agent configuration as one zod schema: every section, every key, its type, range,
 * default and who may set it. `config.ts` loads it, `layered.ts` merges the sources in front of
 * it, `docs/configuration.md` documents it key by key.
 *
 * Unknown keys are refused (strict objects), nothing is clamped, an insecure address is an error.
 */
import { z } from 'zod';

export const REMOVAL_ACTIONS = ['lock', 'sign_out', 'none'] as const;
export type ConfigRemovalAction = (typeof REMOVAL_ACTIONS)[number];
export const LANGUAGES = ['fr', 'en'] as const;

export const WINDOW_MINUTES = { min: 1, max: 720, default: 240 } as const;
export const IDLE_LOCK_MINUTES = { min: 1, max: 480 } as const;
export const LOOPBACK_PORT = { min: 1024, max: 65535 } as const;
export const SIGN_IN_TIMEOUT_SECONDS = { min: 10, max: 900, default: 120 } as const;
export const AUDIT_FILE_BYTES = { min: 65_536, max: 1_073_741_824, default: 16_777_216 } as const;
export const QUEUE_BYTES = { min: 65_536, max: 4_294_967_296, default: 67_108_864 } as const;

/** Hosts for which plain `http://` is accepted: the machine itself. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** `custom` issue parameters read by `issues.ts`. */
export interface CustomProblem {
  readonly problem: 'config.insecure_url' | 'config.wrong_type' | 'config.not_allowed' | 'config.out_of_range';
  readonly allowed: string;
}

const HTTPS_ALLOWED = 'https:// URL (http:// only for 127.0.0.1, ::1 or localhost)';

/** An http(s) URL; plain http only towards the loopback interface. */
const secureUrl = z.string().superRefine((v, ctx) => {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a URL', params: { problem: 'config.wrong_type', allowed: HTTPS_ALLOWED } satisfies CustomProblem });
    return;
  }
  if (u.protocol === 'https:') return;
  if (u.protocol === 'http:' && isLoopbackHost(u.hostname)) return;
  ctx.addIssue({ code: 'custom', message: `insecure URL ${u.protocol}//${u.hostname}`, params: { problem: 'config.insecure_url', allowed: HTTPS_ALLOWED } satisfies CustomProblem });
});

const nonEmpty = (max: number) => z.string().min(1).max(max);
const filePath = nonEmpty(4096);

/** `host:port` (IPv6 in brackets), port 1–65535. */
const hostPort = z.string().superRefine((v, ctx) => {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) {
    ctx.addIssue({ code: 'custom', message: 'expected host:port', params: { problem: 'config.wrong_type', allowed: 'host:port, port 1–65535 (e.g. syslog.chu.local:6514)' } satisfies CustomProblem });
  }
});

const scopeToken = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/);

export const sessionSchema = z.strictObject({
  windowMinutes: z.int().min(WINDOW_MINUTES.min).max(WINDOW_MINUTES.max).default(WINDOW_MINUTES.default),
  removalAction: z.enum(REMOVAL_ACTIONS).default('lock'),
  /** Absent: no idle lock. */
  idleLockMinutes: z.int().min(IDLE_LOCK_MINUTES.min).max(IDLE_LOCK_MINUTES.max).optional(),
  fastUserSwitching: z.boolean().default(true),
});

export const cpsSchema = z.strictObject({
  trustAnchors: z.array(filePath).max(64).default([]),
  trustAnchorFolder: filePath.optional(),
});

export const desfireSchema = z.strictObject({
  kmsConfigPath: filePath.optional(),
  applicationAid: z.string().regex(/^[0-9A-Fa-f]{6}$/).default('F51230'),
  enrolmentRegisterPath: filePath.optional(),
  /** Badge office operators: subject ids allowed to enrol, re-key or revoke someone else's badge. */
  operators: z.array(z.string().regex(/^[A-Za-z0-9:._@-]{1,64}$/)).max(256).default([]),
});

export const fido2Schema = z.strictObject({
  enrolmentStorePath: filePath.optional(),
  rpId: z.string().regex(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/).default('tessera.local'),
});

export const auditSchema = z.strictObject({
  dir: filePath.default('/var/lib/tessera/audit'),
  rotation: z
    .strictObject({
      maxFileBytes: z.int().min(AUDIT_FILE_BYTES.min).max(AUDIT_FILE_BYTES.max).default(AUDIT_FILE_BYTES.default),
      daily: z.boolean().default(true),
    })
    .prefault({}),
  forwarding: z
    .strictObject({
      httpUrl: secureUrl.optional(),
      syslog: hostPort.optional(),
      queueMaxBytes: z.int().min(QUEUE_BYTES.min).max(QUEUE_BYTES.max).default(QUEUE_BYTES.default),
    })
    .prefault({}),
});

export const ssoSchema = z
  .strictObject({
    issuerUrl: secureUrl.optional(),
    clientId: nonEmpty(256).optional(),
    /** Absent: an ephemeral port. */
    loopbackPort: z.int().min(LOOPBACK_PORT.min).max(LOOPBACK_PORT.max).optional(),
    scopes: z.array(scopeToken).min(1).max(32).default(['openid']),
    acrValues: z.array(scopeToken).max(16).default([]),
    /** Each of these must be in the ID token's `amr` (RFC 8176 values), or the sign-in is refused. */
    requiredAmr: z.array(scopeToken).max(16).default([]),
    /** Sign the person in to the web SSO after each two-factor authentication that opens their session (needs `issuerUrl`). */
    autoSignIn: z.boolean().default(true),
    /** How long one automatic sign-in may take, browser included. */
    signInTimeoutSeconds: z.int().min(SIGN_IN_TIMEOUT_SECONDS.min).max(SIGN_IN_TIMEOUT_SECONDS.max).default(SIGN_IN_TIMEOUT_SECONDS.default),
    /** The ID token claim that carries the person's RPPS number: tokens naming another account are never kept. */
    subjectClaim: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/).default('sub'),
    /** At sign-out or window end, open the provider's end-session page (RP-initiated logout) when it has one and no assertion endpoint notifies it. */
    browserLogout: z.boolean().default(true),
    /** The agent-asserted login (docs/agent-assertion-protocol.md): on when `port` is set. */
    assertion: z
      .strictObject({
        port: z.int().min(LOOPBACK_PORT.min).max(LOOPBACK_PORT.max).optional(),
        keyDir: filePath.default('/var/lib/tessera/agent-keys'),
        /** Issuers asserted to and notified at logout; empty: `sso.issuerUrl`. */
        providers: z.array(secureUrl).max(16).default([]),
        /** Keep the session's CPS card PIN-verified on its connection so that it signs each proof too (false: reset after login). */
        cardSignature: z.boolean().default(true),
      })
      .prefault({}),
  })
  .superRefine((v, ctx) => {
    if (v.issuerUrl !== undefined && v.clientId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'required when sso.issuerUrl is set', params: { problem: 'config.wrong_type', allowed: 'the client id registered at the issuer (required with sso.issuerUrl)' } satisfies CustomProblem });
    }
    if (!v.scopes.includes('openid')) {
      ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'must include openid', params: { problem: 'config.not_allowed', allowed: 'a list of scopes that includes "openid"' } satisfies CustomProblem });
    }
  });

export const uiSchema = z.strictObject({
  language: z.enum(LANGUAGES).default('fr'),
  /** Desktop notifications (window about to end, degraded mode). */
  notifications: z.boolean().default(true),
  allowUserSettings: z.boolean().default(true),
  allowQuit: z.boolean().default(true),
  /** Start the desktop app at login (Windows, macOS; on Linux an XDG autostart entry). */
  startAtLogin: z.boolean().default(true),
});

export const controlSchema = z.strictObject({
  /** Absent: `$XDG_RUNTIME_DIR/tessera/agent.sock` (see integrations/control/socket-path.ts). */
  socketPath: filePath.optional(),
});

/** An absolute executable path (POSIX, or a Windows drive path). */
const executablePath = z.string().regex(/^(\/|[A-Za-z]:\\)[^\0]{0,4095}$/);
/** An audience: an API identifier or URL as the provider puts it in `aud`. */
const audienceId = z.string().regex(/^[\x21-\x7e]{1,256}$/);

export const tokenBrokerSchema = z
  .strictObject({
    /** Local applications allowed to ask the agent for a token, by executable (and optional SHA-256). */
    applications: z
      .array(z.strictObject({ path: executablePath, sha256: z.string().regex(/^[0-9a-fA-F]{64}$/).optional(), audiences: z.array(audienceId).min(1).max(32) }))
      .max(64)
      .default([]),
    /** Audiences the broker serves, and how a token for each is asked for when the session's own token does not name it. */
    audiences: z
      .array(z.strictObject({ audience: audienceId, resource: secureUrl.optional(), scope: z.array(scopeToken).min(1).max(32).optional() }))
      .max(64)
      .default([]),
  })
  .superRefine((v, ctx) => {
    const known = new Set(v.audiences.map((a) => a.audience));
    if (known.size !== v.audiences.length) {
      ctx.addIssue({ code: 'custom', path: ['audiences'], message: 'an audience is listed twice', params: { problem: 'config.not_allowed', allowed: 'each audience once' } satisfies CustomProblem });
    }
    v.applications.forEach((a, i) => {
      for (const aud of a.audiences) {
        if (!known.has(aud)) {
          ctx.addIssue({ code: 'custom', path: ['applications', i, 'audiences'], message: `audience ${aud} is not in tokenBroker.audiences`, params: { problem: 'config.not_allowed', allowed: 'audiences listed in tokenBroker.audiences' } satisfies CustomProblem });
        }
      }
    });
  });

export const agentConfigSchema = z.strictObject({
  session: sessionSchema.prefault({}),
  cps: cpsSchema.prefault({}),
  desfire: desfireSchema.prefault({}),
  fido2: fido2Schema.prefault({}),
  audit: auditSchema.prefault({}),
  sso: ssoSchema.prefault({}),
  ui: uiSchema.prefault({}),
  control: controlSchema.prefault({}),
  tokenBroker: tokenBrokerSchema.prefault({}),
});

export type AgentConfig = z.output<typeof agentConfigSchema>;

/** Who may set a key besides the built-in default. */
export interface SettingInfo {
  /** The user's settings file may set it (when policy allows user settings and leaves it unset). */
  readonly userSettable: boolean;
  /** Holds a file or folder path: relative values are taken from the JSON file's folder, and the file must not be writable by others. */
  readonly path?: 'file' | 'files';
}

/** Every leaf key of the schema (the documentation and the tests walk this table). */
export const SETTINGS = {
  'session.windowMinutes': { userSettable: false },
  'session.removalAction': { userSettable: false },
  'session.idleLockMinutes': { userSettable: false },
  'session.fastUserSwitching': { userSettable: false },
  'cps.trustAnchors': { userSettable: false, path: 'files' },
  'cps.trustAnchorFolder': { userSettable: false, path: 'file' },
  'desfire.kmsConfigPath': { userSettable: false, path: 'file' },
  'desfire.applicationAid': { userSettable: false },
  'desfire.enrolmentRegisterPath': { userSettable: false, path: 'file' },
  'desfire.operators': { userSettable: false },
  'fido2.enrolmentStorePath': { userSettable: false, path: 'file' },
  'fido2.rpId': { userSettable: false },
  'audit.dir': { userSettable: false, path: 'file' },
  'audit.rotation.maxFileBytes': { userSettable: false },
  'audit.rotation.daily': { userSettable: false },
  'audit.forwarding.httpUrl': { userSettable: false },
  'audit.forwarding.syslog': { userSettable: false },
  'audit.forwarding.queueMaxBytes': { userSettable: false },
  'sso.issuerUrl': { userSettable: false },
  'sso.clientId': { userSettable: false },
  'sso.loopbackPort': { userSettable: false },
  'sso.scopes': { userSettable: false },
  'sso.acrValues': { userSettable: false },
  'sso.requiredAmr': { userSettable: false },
  'sso.autoSignIn': { userSettable: false },
  'sso.signInTimeoutSeconds': { userSettable: false },
  'sso.subjectClaim': { userSettable: false },
  'sso.browserLogout': { userSettable: false },
  'sso.assertion.port': { userSettable: false },
  'sso.assertion.keyDir': { userSettable: false, path: 'file' },
  'sso.assertion.providers': { userSettable: false },
  'sso.assertion.cardSignature': { userSettable: false },
  'ui.language': { userSettable: true },
  'ui.notifications': { userSettable: true },
  'ui.allowUserSettings': { userSettable: false },
  'ui.allowQuit': { userSettable: false },
  'ui.startAtLogin': { userSettable: false },
  'control.socketPath': { userSettable: false, path: 'file' },
  'tokenBroker.applications': { userSettable: false },
  'tokenBroker.audiences': { userSettable: false },
} as const satisfies Record<string, SettingInfo>;

export type SettingPath = keyof typeof SETTINGS;
/** The keys a user's settings file may set (when policy allows user settings and leaves the key unset). */
export type UserSettablePath = { [K in SettingPath]: (typeof SETTINGS)[K]['userSettable'] extends true ? K : never }[SettingPath];
export const SETTING_PATHS = Object.keys(SETTINGS) as SettingPath[];

export function isSettingPath(p: string): p is SettingPath {
  return Object.prototype.hasOwnProperty.call(SETTINGS, p);
}

/** The session engine's settings (`SessionEngineConfig` in session/engine), derived from the configuration. */
export function sessionEngineSettings(c: AgentConfig): { exi14WindowMs: number; onCardRemoval: 'lock' | 'sign_out' | 'nothing'; idleLockMs?: number } {
  return {
    exi14WindowMs: c.session.windowMinutes * 60_000,
    onCardRemoval: c.session.removalAction === 'none' ? 'nothing' : c.session.removalAction,
    ...(c.session.idleLockMinutes !== undefined ? { idleLockMs: c.session.idleLockMinutes * 60_000 } : {}),
  };
}
