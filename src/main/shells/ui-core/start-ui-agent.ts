/**
 * The agent runtime with the UI core in front of it: the PIN pad, the reader monitor and the
 * runtime's report wired to the core, in the order the runtime needs them (the PIN pad exists
 * before the runtime starts). Electron main and the web demo start the agent this way.
 */
import { startAgentRuntime, type AgentRuntime, type AgentRuntimeOptions } from '../agent/agent-runtime.js';
import type { EngineAgentRecord } from '../agent/engine-agent.js';
import { ReaderMonitor } from '../../transports/pcsc/reader-monitor.js';
import { PinBroker } from './pin-broker.js';
import { UiCore, type UiCoreOptions } from './ui-core.js';

export interface UiAgentOptions extends Omit<AgentRuntimeOptions, 'pinPad' | 'monitor'> {
  readonly monitor?: ReaderMonitor;
  readonly ui?: Omit<UiCoreOptions, 'runtime' | 'pins' | 'monitor'>;
}

export interface UiAgent {
  readonly runtime: AgentRuntime;
  readonly core: UiCore;
  readonly pins: PinBroker;
  readonly monitor: ReaderMonitor;
  /** Stops the UI core (pending PIN request cancelled), then the runtime. Idempotent. */
  stop(): Promise<void>;
}

export async function startUiAgent(opts: UiAgentOptions): Promise<UiAgent> {
  const pins = new PinBroker();
  const monitor = opts.monitor ?? new ReaderMonitor();
  // Records that come while the runtime starts (a card already in) wait for the core.
  const to: { core?: UiCore } = {};
  const early: EngineAgentRecord[] = [];
  const report = (r: EngineAgentRecord): void => {
    if (to.core) to.core.record(r);
    else early.push(r);
    opts.report?.(r);
  };
  const { ui, ...runtimeOptions } = opts;
  const runtime = await startAgentRuntime({ ...runtimeOptions, monitor, pinPad: pins.cpsPinPad, report });
  const started = new UiCore({ ...ui, runtime, pins, monitor });
  to.core = started;
  for (const r of early.splice(0)) started.record(r);
  let stopping: Promise<void> | undefined;
  return {
    runtime,
    core: started,
    pins,
    monitor,
    stop: () =>
      (stopping ??= (async () => {
        started.stop();
        await runtime.stop();
      })()),
  };
}
