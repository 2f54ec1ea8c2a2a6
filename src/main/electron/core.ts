/**
 * Starts the agent core the desktop shell hosts: the machine policy and configuration, the
 * configured means, the agent runtime behind the UI core (`startUiAgent`), and the OS power
 * events routed to its session engine. No Electron here: the shell calls it from `main.ts`.
 */
import type { AgentConfig } from '../config/schema.js';
import { TrustStore } from '../means/cps/trust-store.js';
import { meansFromConfig } from '../shells/agent/means-from-config.js';
import { ssoFromConfig } from '../shells/agent/sso-from-config.js';
import { assertBrowsableUrl, type BrowserOpener } from '../integrations/sso/client/index.js';
import { startUiAgent } from '../shells/ui-core/start-ui-agent.js';
import type { TesseraHost } from '../../shared/bridge.js';
import type { PowerEvents } from '../../shared/power-events.js';
import { enginePowerEvents } from './agent-power.js';
import { desktopConfig } from './desktop-config.js';

/** What the shell itself takes from the policy. */
export interface ShellPolicy {
  allowQuit: boolean;
  allowUserSettings: boolean;
  /** Register the app to start at login (Windows, macOS; Linux: the package's autostart entry). */
  startAtLogin: boolean;
}

export function shellPolicyOf(config: AgentConfig): ShellPolicy {
  return {
    allowQuit: config.ui.allowQuit,
    allowUserSettings: config.ui.allowUserSettings,
    startAtLogin: config.ui.startAtLogin,
  };
}

export interface CoreHandle {
  host: TesseraHost;
  power: PowerEvents;
  policy: ShellPolicy;
  /** Stops the UI core, the runtime (audit log closed) and the means. Idempotent. */
  stop(): Promise<void>;
}

export interface CoreOptions {
  /** `--config <file>`; default: the platform's machine policy sources. */
  configPath?: string;
  log(message: string, cause?: unknown): void;
  /** Opens an http(s) URL in the system browser (Electron's `shell.openExternal`); absent: the platform's own command. */
  openExternal?(url: string): Promise<void>;
}

export async function startCore(options: CoreOptions): Promise<CoreHandle> {
  // A broken user settings file does not stop the app: the defaults apply, the file is kept as it is.
  const { effective, settingsStore } = desktopConfig(options.configPath !== undefined ? { configPath: options.configPath } : {}, options.log);
  const config = effective.config;
  const policy = shellPolicyOf(config);
  const means = meansFromConfig(config);
  const open = options.openExternal;
  // Only http(s) pages are handed to the OS, whatever a discovery document says.
  const opener: BrowserOpener | undefined = open ? { open: (url) => open(assertBrowsableUrl(url).href) } : undefined;
  try {
    const sso = ssoFromConfig(config, {
      ...(opener ? { opener: () => opener } : {}),
      onEvent: (e) => options.log(`web SSO: ${e.type === 'sso_warning' ? `${e.code}: ${e.message}` : e.type === 'sso_sign_in_failed' ? `sign-in failed for ${e.person}: ${e.code}` : `${e.type} ${e.person}`}`),
    });
    const trust = TrustStore.fromPemFiles(config.cps.trustAnchors);
    const agent = await startUiAgent({
      config,
      trust,
      ...(means.badge ? { badge: means.badge } : {}),
      ...(means.fido ? { fido: means.fido } : {}),
      ...sso.runtime,
      ui: { policy: { settings: policy.allowUserSettings, quit: policy.allowQuit }, settingsStore, log: options.log },
    });
    let stopping: Promise<void> | undefined;
    return {
      host: agent.core,
      power: enginePowerEvents({ engine: agent.runtime.engine, probe: agent.runtime.probe, log: options.log }),
      policy,
      stop: () =>
        (stopping ??= (async () => {
          await agent.stop();
          await means.close();
        })()),
    };
  } catch (e) {
    await means.close();
    throw e;
  }
}
