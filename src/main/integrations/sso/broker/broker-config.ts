/** The broker's allow-list and audiences from the validated configuration (`tokenBroker.*`). */
import type { AgentConfig } from '../../../config/schema.js';
import type { BrokerApplication, BrokerAudience } from './token-broker.js';

export function brokerSettings(config: Pick<AgentConfig, 'tokenBroker'>): { applications: BrokerApplication[]; audiences: BrokerAudience[] } {
  const t = config.tokenBroker;
  return {
    applications: t.applications.map((a) => ({ path: a.path, ...(a.sha256 !== undefined ? { sha256: a.sha256.toLowerCase() } : {}), audiences: [...a.audiences] })),
    audiences: t.audiences.map((a) => ({ audience: a.audience, ...(a.resource !== undefined ? { resource: a.resource } : {}), ...(a.scope !== undefined ? { scope: a.scope.join(' ') } : {}) })),
  };
}
