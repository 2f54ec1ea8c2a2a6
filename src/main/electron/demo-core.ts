/**
 * The agent core of `npm start` (`electron . --demo`): the demo world of `npm run demo` (an
 * isolated pcscd with virtual readers, a CPS card, an enrolled badge and FIDO2 key, the embedded
 * provider) behind the desktop shell instead of the machine's readers and configuration. The
 * simulator control panel stays a page on 127.0.0.1 (its address is logged and opened in the
 * system browser), so every flow can be driven while the Electron windows show it.
 *
 * The demo world is test code: it is loaded with a dynamic import on this path only, and an
 * installed app (which ships no test code) refuses `--demo` with a clear message.
 */
import type { CoreHandle, CoreOptions } from './core.js';
import { enginePowerEvents } from './agent-power.js';

export async function startDemoCore(options: CoreOptions): Promise<CoreHandle> {
  const where = '../../../test/shells/web/demo-world.js';
  let demo: typeof import('../../../test/shells/web/demo-world.js');
  try {
    demo = (await import(where)) as typeof import('../../../test/shells/web/demo-world.js');
  } catch (cause) {
    throw new Error('--demo needs a development checkout (npm run build): the demo world is not part of an installed app', { cause });
  }
  const world = await demo.openDemoWorld({ log: options.log });
  try {
    const panel = world.shell.simulatorUrl;
    options.log(`demo: ${demo.DEMO_PERSON.name}; PINs card ${demo.DEMO_CARD_PIN}, key ${demo.DEMO_KEY_PIN}, badge ${demo.DEMO_BADGE_PIN}; simulator panel ${panel ?? '(none)'}`);
    if (panel !== undefined && options.openExternal) await options.openExternal(panel).catch((cause: unknown) => options.log('demo: the simulator panel could not be opened', cause));
    return {
      host: world.ui.core,
      power: enginePowerEvents({ engine: world.ui.runtime.engine, probe: world.ui.runtime.probe, log: options.log }),
      // The demo never registers itself at login and can always be quit.
      policy: { allowQuit: true, allowUserSettings: true, startAtLogin: false },
      stop: () => world.close(),
    };
  } catch (e) {
    await world.close();
    throw e;
  }
}
