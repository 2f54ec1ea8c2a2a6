/**
 * What the session core needs to hear from the operating system's power and lock events.
 *
 * The Electron shell forwards `powerMonitor` events to an implementation of this interface; the
 * headless agent may feed it from elsewhere (logind, for instance), and tests call it directly.
 * Nothing here depends on Electron or Node.
 */
export interface PowerEvents {
  /** The OS screen was locked by the user or by an idle policy. */
  screenLocked(): void;
  /** The machine is about to sleep or hibernate. */
  suspending(): void;
  /** The machine woke up from sleep or hibernation. */
  resumed(): void;
}

/** The OS power/lock events the shell forwards, named as Electron's `powerMonitor` names them. */
export const forwardedPowerEvents = ['lock-screen', 'suspend', 'resume'] as const;
export type ForwardedPowerEvent = (typeof forwardedPowerEvents)[number];
