/**
 * The simulator control panel's endpoint for the web shell: one action at a time (a second one
 * while the first runs is answered `busy`), the state pushed after every change. The actions
 * themselves belong to whoever owns the simulated world (the demo).
 */
import { IpcErrorCode, err, ok, type Result } from '../../../shared/result.js';
import type { BridgeEndpoint } from './web-shell.js';
import { isSimulatorAction, simulatorChannel, type SimulatorAction, type SimulatorState } from './simulator-wire.js';

export interface SimulatedWorld {
  state(): Omit<SimulatorState, 'busy'>;
  perform(action: SimulatorAction): Promise<void>;
}

export function simulatorEndpoint(world: SimulatedWorld, log: (m: string, c?: unknown) => void = () => undefined): BridgeEndpoint {
  let busy = false;
  const listeners = new Set<(channel: string, payload: unknown) => void>();
  const state = (): SimulatorState => ({ ...world.state(), busy });
  const changed = (): void => {
    const s = state();
    for (const l of [...listeners]) l(simulatorChannel.changed, s);
  };
  const act = async (action: SimulatorAction): Promise<Result<SimulatorState>> => {
    if (busy) return err({ code: IpcErrorCode.busy, message: 'another action is running' });
    busy = true;
    changed();
    try {
      await world.perform(action);
      return ok(state());
    } catch (e) {
      log(`simulator: ${action} failed`, e);
      return err({ code: IpcErrorCode.internal, message: `${action} failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 400) });
    } finally {
      busy = false;
      changed();
    }
  };
  return {
    invoke(channel, args) {
      if (channel === simulatorChannel.state) {
        return Promise.resolve(args.length === 0 ? ok(state()) : err({ code: IpcErrorCode.invalidRequest, message: 'sim:state takes no argument' }));
      }
      if (channel === simulatorChannel.act) {
        const [action] = args;
        if (args.length !== 1 || !isSimulatorAction(action)) return Promise.resolve(err({ code: IpcErrorCode.invalidRequest, message: 'unknown simulator action' }));
        return act(action);
      }
      return undefined;
    },
    subscribe(push) {
      listeners.add(push);
      return () => listeners.delete(push);
    },
  };
}
