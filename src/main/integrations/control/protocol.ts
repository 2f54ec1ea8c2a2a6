/**
 * The local control channel's wire contract, shared by the agent (server) and its clients (CLI,
 * Electron shell, local applications): newline-delimited JSON, one object per line, UTF-8.
 *
 *   client → agent   { "id": 1, "method": "status", "params": {} }
 *   agent → client   { "id": 1, "ok": true, "result": { … } }
 *                    { "id": 1, "ok": false, "error": { "code": "unknown_method", "message": "…" } }
 *   agent → subscriber (after `subscribe`)   { "event": "decision", "data": { … } }
 *
 * Every incoming line is validated here before anything acts on it: size, JSON nesting depth,
 * shape, method and parameters. A bad line is answered with a typed error, never a crash.
 */

export const CONTROL_METHODS = ['status', 'subscribe', 'lock', 'signOut', 'fidoFallback', 'token'] as const;
export type ControlMethod = (typeof CONTROL_METHODS)[number];

/** Longest accepted line, newline excluded (bytes). */
export const MAX_LINE_BYTES = 64 * 1024;
/** Requests one connection may have in progress at once; more are answered `busy`. */
export const MAX_IN_FLIGHT = 32;
/** Deepest accepted JSON nesting (objects and arrays). */
export const MAX_JSON_DEPTH = 8;

export type RequestId = string | number;

/** Event names a subscriber may ask for (absent `events`: all). */
export const CONTROL_EVENTS = ['status', 'decision', 'degraded', 'readers'] as const;
export type ControlEventName = (typeof CONTROL_EVENTS)[number];

export interface ParamsByMethod {
  status: Record<string, never>;
  subscribe: { readonly events?: readonly ControlEventName[] };
  lock: Record<string, never>;
  signOut: Record<string, never>;
  /**
   * The forgotten-card path with a FIDO2 key. `pin` is the key's PIN typed in the UI process: the
   * socket is the owner's only (0600), the agent copies it into a Buffer wiped after use, but the
   * JSON text itself cannot be wiped in either process — absent, the agent's own PIN pad is asked
   * (or the key's fingerprint is used). See docs/session-policy.md, "FIDO2 fallback".
   */
  fidoFallback: { readonly person: string; readonly pin?: string; readonly device?: string };
  /** An access token for a configured audience, for an allow-listed local application (token broker). */
  token: { readonly audience: string };
}

/** `token.audience`: an API identifier or URL, 1–256 visible ASCII characters. */
export const TOKEN_AUDIENCE = /^[\x21-\x7e]{1,256}$/;

/** `fidoFallback.person`: a subject id (`rpps:<11 digits>` or `<scheme>:<id>`). */
export const FALLBACK_PERSON = /^[a-z][a-z0-9]{0,15}:[A-Za-z0-9._@-]{1,64}$/;
/** `fidoFallback.pin`: CTAP 2.1 PIN length bounds (4 to 63 UTF-8 bytes). */
export const FALLBACK_PIN_BYTES = { min: 4, max: 63 } as const;

export type ControlRequest = { [M in ControlMethod]: { readonly id: RequestId; readonly method: M; readonly params: ParamsByMethod[M] } }[ControlMethod];

/** Codes the agent answers with. */
export type WireErrorCode = 'line_too_long' | 'line_timeout' | 'bad_json' | 'too_deep' | 'bad_request' | 'unknown_method' | 'bad_params' | 'handler_failed' | 'busy';

export interface WireError {
  readonly code: string;
  readonly message: string;
  /** A finer stable reason when the failure has one (e.g. `session_locked` for `sso_no_token`). */
  readonly reason?: string;
}

/** What a wire `reason` may look like: a code, never free text. */
export const WIRE_REASON = /^[a-z][a-z0-9_]{0,63}$/;

export type ControlResponse = { readonly id: RequestId | null; readonly ok: true; readonly result: unknown } | { readonly id: RequestId | null; readonly ok: false; readonly error: WireError };

export interface ControlEvent {
  readonly event: string;
  readonly data: unknown;
}

/** What `status` answers: the session as the user sees it. */
export interface AgentStatus {
  /** Workstation state (session engine): signed_out | authenticating | active | locked | expired. */
  readonly state: string;
  readonly session?: {
    /** RPPS or local identifier. */
    readonly person: string;
    readonly means: string;
    readonly factors: readonly string[];
    /** Milliseconds left in the EXI 14 window. */
    readonly windowLeftMs: number;
    readonly locked: boolean;
  };
  readonly degraded: boolean;
  /** Why `degraded` is true (empty when it is false); absent from agents that do not tell. */
  readonly degradedMode?: DegradedModeView;
  readonly readers: readonly { readonly name: string; readonly card: boolean }[];
  /** Web SSO, on agents configured with a provider: whether tokens are held for the person in front (never a token). */
  readonly sso?: { readonly provider: string; readonly signedIn: boolean };
}

/** One reason of degraded mode: `pcsc_unavailable`, `idp_unreachable`, `network_down`, … since when, and a technical detail. */
export interface DegradedReasonView {
  readonly code: string;
  /** ISO 8601 UTC. */
  readonly since: string;
  readonly detail?: string;
}

/** The `degradedMode` field of `status`, and the data of the `degraded` event. */
export interface DegradedModeView {
  readonly active: boolean;
  readonly reasons: readonly DegradedReasonView[];
}

/** What `lock` and `signOut` answer: the decision the session engine took and its reason code. */
export interface ActionResult {
  readonly decision: string;
  readonly reason: string;
}

export interface ResultByMethod {
  status: AgentStatus;
  subscribe: { readonly subscribed: readonly ControlEventName[] };
  lock: ActionResult;
  signOut: ActionResult;
  fidoFallback: FallbackResult;
  token: TokenResult;
}

/** What `token` answers (the token broker's grant). */
export interface TokenResult {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly audience: string;
  /** ISO 8601: the earlier of the token's expiry and the end of the session's window. */
  readonly expiresAt: string;
  readonly expiresIn: number;
  /** Whose session the token speaks for. */
  readonly person: string;
}

/** What `fidoFallback` answers: the engine's decision on the key's authentication. */
export interface FallbackResult extends ActionResult {
  readonly person?: string;
  readonly means?: string;
  readonly factors?: readonly string[];
  readonly fallback: boolean;
}

export type ParsedRequest = { readonly ok: true; readonly request: ControlRequest } | { readonly ok: false; readonly id: RequestId | null; readonly code: WireErrorCode; readonly message: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Nesting depth of a JSON text, counted without parsing it (so a deep document never reaches JSON.parse). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

function isMethod(m: unknown): m is ControlMethod {
  return typeof m === 'string' && (CONTROL_METHODS as readonly string[]).includes(m);
}

function isEventName(e: unknown): e is ControlEventName {
  return typeof e === 'string' && (CONTROL_EVENTS as readonly string[]).includes(e);
}

function validId(id: unknown): id is RequestId {
  return (typeof id === 'string' && id.length > 0 && id.length <= 128) || (typeof id === 'number' && Number.isSafeInteger(id));
}

/** Validates one line from a client (without its newline). */
export function parseRequestLine(line: string): ParsedRequest {
  if (Buffer.byteLength(line, 'utf8') > MAX_LINE_BYTES) return { ok: false, id: null, code: 'line_too_long', message: `line longer than ${MAX_LINE_BYTES} bytes` };
  if (jsonDepth(line) > MAX_JSON_DEPTH) return { ok: false, id: null, code: 'too_deep', message: `JSON nested deeper than ${MAX_JSON_DEPTH}` };
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, id: null, code: 'bad_json', message: 'not a JSON document' };
  }
  if (!isRecord(raw)) return { ok: false, id: null, code: 'bad_request', message: 'a request is a JSON object { id, method, params }' };
  const id = validId(raw['id']) ? raw['id'] : null;
  if (id === null) return { ok: false, id: null, code: 'bad_request', message: 'id: expected a string (1–128 characters) or an integer' };
  for (const k of Object.keys(raw)) {
    if (k !== 'id' && k !== 'method' && k !== 'params') return { ok: false, id, code: 'bad_request', message: `unknown field ${JSON.stringify(k.slice(0, 40))} (allowed: id, method, params)` };
  }
  const method = raw['method'];
  if (!isMethod(method)) return { ok: false, id, code: 'unknown_method', message: `method: expected one of ${CONTROL_METHODS.join(', ')}` };
  const params = raw['params'] === undefined ? {} : raw['params'];
  if (!isRecord(params)) return { ok: false, id, code: 'bad_params', message: 'params: expected an object' };
  if (method === 'subscribe') {
    for (const k of Object.keys(params)) if (k !== 'events') return { ok: false, id, code: 'bad_params', message: `params.${k.slice(0, 40)}: unknown (allowed: events)` };
    const events = params['events'];
    if (events === undefined) return { ok: true, request: { id, method, params: {} } };
    if (!Array.isArray(events) || events.length === 0 || !events.every(isEventName)) {
      return { ok: false, id, code: 'bad_params', message: `params.events: expected a non-empty array of ${CONTROL_EVENTS.join(', ')}` };
    }
    return { ok: true, request: { id, method, params: { events: [...new Set(events)] } } };
  }
  if (method === 'fidoFallback') return parseFallbackParams(id, params);
  if (method === 'token') return parseTokenParams(id, params);
  if (Object.keys(params).length > 0) return { ok: false, id, code: 'bad_params', message: `params: ${method} takes no parameters` };
  return { ok: true, request: { id, method, params: {} } };
}

function parseFallbackParams(id: RequestId, params: Record<string, unknown>): ParsedRequest {
  const bad = (message: string): ParsedRequest => ({ ok: false, id, code: 'bad_params', message });
  for (const k of Object.keys(params)) if (k !== 'person' && k !== 'pin' && k !== 'device') return bad(`params.${k.slice(0, 40)}: unknown (allowed: person, pin, device)`);
  const { person, pin, device } = params;
  if (typeof person !== 'string' || !FALLBACK_PERSON.test(person)) return bad('params.person: expected a subject id such as rpps:<11 digits>');
  if (pin !== undefined) {
    const n = typeof pin === 'string' ? Buffer.byteLength(pin, 'utf8') : -1;
    if (n < FALLBACK_PIN_BYTES.min || n > FALLBACK_PIN_BYTES.max) return bad(`params.pin: expected a string of ${FALLBACK_PIN_BYTES.min} to ${FALLBACK_PIN_BYTES.max} bytes`);
  }
  if (device !== undefined && (typeof device !== 'string' || device.length === 0 || device.length > 1024)) return bad('params.device: expected a device URI (hid:, udp:, pcsc:)');
  return {
    ok: true,
    request: { id, method: 'fidoFallback', params: { person, ...(typeof pin === 'string' ? { pin } : {}), ...(typeof device === 'string' ? { device } : {}) } },
  };
}

function parseTokenParams(id: RequestId, params: Record<string, unknown>): ParsedRequest {
  for (const k of Object.keys(params)) if (k !== 'audience') return { ok: false, id, code: 'bad_params', message: `params.${k.slice(0, 40)}: unknown (allowed: audience)` };
  const audience = params['audience'];
  if (typeof audience !== 'string' || !TOKEN_AUDIENCE.test(audience)) return { ok: false, id, code: 'bad_params', message: 'params.audience: expected 1–256 visible ASCII characters' };
  return { ok: true, request: { id, method: 'token', params: { audience } } };
}

export type ServerLine = { readonly kind: 'response'; readonly response: ControlResponse } | { readonly kind: 'event'; readonly event: ControlEvent };

/** Validates one line from the agent (client side); undefined when it is outside the protocol. */
export function parseServerLine(line: string): ServerLine | undefined {
  if (jsonDepth(line) > 64) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(raw)) return undefined;
  if (typeof raw['event'] === 'string' && 'data' in raw && !('id' in raw)) return { kind: 'event', event: { event: raw['event'], data: raw['data'] } };
  const id = raw['id'];
  if (id !== null && !validId(id)) return undefined;
  if (raw['ok'] === true && 'result' in raw) return { kind: 'response', response: { id, ok: true, result: raw['result'] } };
  const err = raw['error'];
  if (raw['ok'] === false && isRecord(err) && typeof err['code'] === 'string' && typeof err['message'] === 'string') {
    const reason = typeof err['reason'] === 'string' && WIRE_REASON.test(err['reason']) ? { reason: err['reason'] } : {};
    return { kind: 'response', response: { id, ok: false, error: { code: err['code'], message: err['message'], ...reason } } };
  }
  return undefined;
}

export function encodeLine(value: ControlResponse | ControlEvent | ControlRequest): string {
  return `${JSON.stringify(value)}\n`;
}
