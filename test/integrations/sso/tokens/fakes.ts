/**
 * One layer down from the vault: an in-memory `SecretStore` that records every call (and can be
 * told to refuse like a locked keychain), a token source scripted call by call, and JWT-shaped
 * access tokens with a chosen audience.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { KeychainError } from '../../../../src/main/integrations/keychain/keychain-error.js';
import type { SecretStore } from '../../../../src/main/integrations/keychain/secret-store.js';
import type { RefreshNarrowing, TokenEndpointAnswer, TokenSource } from '../../../../src/main/integrations/sso/tokens/token-source.js';

export class MemorySecretStore implements SecretStore {
  readonly items = new Map<string, string>();
  readonly calls: string[] = [];
  locked = false;

  private check(op: string, account: string): void {
    this.calls.push(`${op} ${account}`);
    if (this.locked) throw new KeychainError('keychain_locked', `locked (${op})`, { account });
  }

  get(account: string): Promise<Buffer | undefined> {
    this.check('get', account);
    const v = this.items.get(account);
    return Promise.resolve(v === undefined ? undefined : Buffer.from(v, 'utf8'));
  }

  set(account: string, secret: Buffer): Promise<void> {
    this.check('set', account);
    this.items.set(account, secret.toString('utf8'));
    return Promise.resolve();
  }

  delete(account: string): Promise<boolean> {
    this.check('delete', account);
    return Promise.resolve(this.items.delete(account));
  }
}

/** A JWT-shaped access token (HS256 with a throw-away key: the vault only reads `aud`). */
export function accessToken(aud: string | string[], sub = 'rpps:10001234567'): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'at+jwt' })}.${b64({ aud, sub, jti: randomBytes(8).toString('hex') })}`;
  return `${head}.${createHmac('sha256', randomBytes(32)).update(head).digest('base64url')}`;
}

type Step = { answer: TokenEndpointAnswer } | { error: unknown } | { wait: Promise<TokenEndpointAnswer> };

export class ScriptedSource implements TokenSource {
  readonly calls: { refreshToken: string; narrowing: RefreshNarrowing }[] = [];
  private readonly steps: Step[] = [];

  then(step: Step): this {
    this.steps.push(step);
    return this;
  }

  refresh(refreshToken: string, narrowing: RefreshNarrowing = {}): Promise<TokenEndpointAnswer> {
    this.calls.push({ refreshToken, narrowing });
    const s = this.steps.shift();
    if (!s) return Promise.reject(new Error('ScriptedSource: unexpected refresh'));
    if ('answer' in s) return Promise.resolve(s.answer);
    if ('error' in s) return Promise.reject(s.error);
    return s.wait;
  }
}
