/**
 * `tessera sso provider --config <file>`: runs the embedded OpenID provider.
 *
 * Placeholder while the embedded provider is being written: it answers with a usage error
 * instead of pretending to run.
 */
import { UsageError, type CliContext } from '../cli-output.js';

export const SSO_PROVIDER_USAGE = '  tessera sso provider --config <file>';

export function runSsoProvider(_ctx: CliContext, _argv: readonly string[]): Promise<number> {
  return Promise.reject(new UsageError('tessera sso provider is not available in this build'));
}
