/**
 * One `TesseraHost` for the IPC handlers, the tray and the notifications, whatever is behind
 * it: the offline host until the agent core has started (or after it failed), then the core.
 * Subscribers stay subscribed across a switch and get the new host's status at once.
 */
import type { TesseraHost } from '../../shared/bridge.js';
import type { EnrolProgress } from '../../shared/enrolment.js';
import type { Prompt } from '../../shared/prompt.js';
import type { StatusView } from '../../shared/status-view.js';

export interface HostSwitch {
  readonly host: TesseraHost;
  /** Puts `next` behind the host; pushes its status and prompt to every subscriber. */
  set(next: TesseraHost): Promise<void>;
  current(): TesseraHost;
}

type Listeners = { status: Set<(s: StatusView) => void>; prompt: Set<(p: Prompt) => void>; enrol: Set<(p: EnrolProgress) => void> };

export function createHostSwitch(initial: TesseraHost): HostSwitch {
  let target = initial;
  const listeners: Listeners = { status: new Set(), prompt: new Set(), enrol: new Set() };
  const emit = <T>(set: Set<(x: T) => void>, x: T) => {
    for (const l of [...set]) l(x);
  };
  let offs: (() => void)[] = [];
  const attach = (h: TesseraHost) => {
    offs = [
      h.onStatus((s) => emit(listeners.status, s)),
      h.onPrompt((p) => emit(listeners.prompt, p)),
      h.onEnrolProgress((p) => emit(listeners.enrol, p)),
    ];
  };
  attach(target);
  const subscribe =
    <T>(set: Set<(x: T) => void>) =>
    (listener: (x: T) => void) => {
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    };

  const host: TesseraHost = {
    getStatus: () => target.getStatus(),
    onStatus: subscribe(listeners.status),
    getPrompt: () => target.getPrompt(),
    onPrompt: subscribe(listeners.prompt),
    submitPin: (requestId, pin) => target.submitPin(requestId, pin),
    cancelPin: (requestId) => target.cancelPin(requestId),
    cancelTouch: (requestId) => target.cancelTouch(requestId),
    lock: () => target.lock(),
    signOut: () => target.signOut(),
    useSecurityKey: () => target.useSecurityKey(),
    retryConnection: () => target.retryConnection(),
    enrol: (request) => target.enrol(request),
    cancelEnrol: (id) => target.cancelEnrol(id),
    onEnrolProgress: subscribe(listeners.enrol),
    getSettings: () => target.getSettings(),
    setSettings: (changes) => target.setSettings(changes),
  };

  return {
    host,
    current: () => target,
    async set(next) {
      for (const off of offs) off();
      target = next;
      attach(next);
      const [status, prompt] = await Promise.all([next.getStatus(), next.getPrompt()]);
      if (target !== next) return;
      if (status.ok) emit(listeners.status, status.value);
      if (prompt.ok) emit(listeners.prompt, prompt.value);
    },
  };
}
