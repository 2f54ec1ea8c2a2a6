/**
 * The demo's simulator control panel: what a person would do at the workstation (insert or
 * pull the CPS card, tap the badge, plug the security key, cut the network, stop the PC/SC
 * service), sent to the demo over the web shell's simulator socket. Plain DOM, French first.
 */
import { maxFrameBytes, parseServerFrame, simulatorPath } from '../../main/shells/web/wire.js';
import { isSimulatorState, simulatorChannel, type SimulatorAction, type SimulatorState } from '../../main/shells/web/simulator-wire.js';
import './simulator.css';

const en = (navigator.languages[0] ?? navigator.language ?? 'fr').toLowerCase().startsWith('en');
document.documentElement.lang = en ? 'en' : 'fr';

const words = en
  ? {
      title: 'Workstation simulator',
      help: (s: SimulatorState) => `Simulated devices. CPS card PIN: ${s.pins.card}${s.pins.key ? `; security key PIN: ${s.pins.key}` : ''}.`,
      card: 'CPS card', badge: 'Badge', key: 'Security key', network: 'Network and identity provider', pcscd: 'Card service (pcscd)',
      inserted: 'in the reader', removed: 'not in the reader', onReader: 'on the reader', away: 'away',
      plugged: 'plugged in', unplugged: 'unplugged', up: 'up', down: 'cut', none: 'not in this demo', running: 'running', stopped: 'stopped',
      insert_card: 'Insert the card', remove_card: 'Pull the card', tap_badge: 'Tap the badge', present_new_badge: 'Present a new (blank) badge', plug_key: 'Plug the key', plug_new_key: 'Plug a new (blank) key', unplug_key: 'Unplug the key',
      cut_network: 'Cut the network', restore_network: 'Restore the network', stop_pcscd: 'Stop pcscd', start_pcscd: 'Start pcscd',
      busy: 'Working…', done: 'Done.', failed: 'Failed: ', offline: 'The demo is not reachable; retrying…',
    }
  : {
      title: 'Simulateur du poste',
      help: (s: SimulatorState) => `Périphériques simulés. Code PIN de la carte CPS : ${s.pins.card}${s.pins.key ? ` ; code PIN de la clé de sécurité : ${s.pins.key}` : ''}.`,
      card: 'Carte CPS', badge: 'Badge', key: 'Clé de sécurité', network: 'Réseau et fournisseur d’identité', pcscd: 'Service des cartes (pcscd)',
      inserted: 'dans le lecteur', removed: 'hors du lecteur', onReader: 'sur le lecteur', away: 'éloigné',
      plugged: 'branchée', unplugged: 'débranchée', up: 'disponible', down: 'coupé', none: 'absent de cette démo', running: 'en marche', stopped: 'arrêté',
      insert_card: 'Insérer la carte', remove_card: 'Retirer la carte', tap_badge: 'Présenter le badge', present_new_badge: 'Présenter un badge neuf (vierge)', plug_key: 'Brancher la clé', plug_new_key: 'Brancher une clé neuve (vierge)', unplug_key: 'Débrancher la clé',
      cut_network: 'Couper le réseau', restore_network: 'Rétablir le réseau', stop_pcscd: 'Arrêter pcscd', start_pcscd: 'Démarrer pcscd',
      busy: 'En cours…', done: 'Fait.', failed: 'Échec : ', offline: 'La démo ne répond pas ; nouvelle tentative…',
    };

interface Group {
  readonly id: string;
  readonly title: string;
  readonly state: (s: SimulatorState) => string | null;
  readonly actions: readonly SimulatorAction[];
}

const groups: readonly Group[] = [
  { id: 'card', title: words.card, state: (s) => (s.card ? words.inserted : words.removed), actions: ['insert_card', 'remove_card'] },
  { id: 'badge', title: words.badge, state: (s) => (s.badge ? words.onReader : words.away), actions: ['tap_badge', 'present_new_badge'] },
  { id: 'key', title: words.key, state: (s) => (s.key === null ? null : s.key ? words.plugged : words.unplugged), actions: ['plug_key', 'plug_new_key', 'unplug_key'] },
  { id: 'network', title: words.network, state: (s) => (s.network === null ? null : s.network ? words.up : words.down), actions: ['cut_network', 'restore_network'] },
  { id: 'pcscd', title: words.pcscd, state: (s) => (s.pcscd ? words.running : words.stopped), actions: ['stop_pcscd', 'start_pcscd'] },
];

/** Which actions make sense in a state (the others are disabled, not hidden). */
function enabled(action: SimulatorAction, s: SimulatorState): boolean {
  if (s.busy) return false;
  switch (action) {
    case 'insert_card': return !s.card && s.pcscd;
    case 'remove_card': return s.card && s.pcscd;
    case 'tap_badge':
    case 'present_new_badge': return !s.badge && s.pcscd;
    case 'plug_key':
    case 'plug_new_key': return s.key === false;
    case 'unplug_key': return s.key === true;
    case 'cut_network': return s.network === true;
    case 'restore_network': return s.network === false;
    case 'stop_pcscd': return s.pcscd;
    case 'start_pcscd': return !s.pcscd;
  }
}

const root = document.getElementById('groups');
const status = document.getElementById('panel-status');
const help = document.getElementById('panel-help');
if (!root || !status || !help) throw new Error('simulator page is missing its elements');
document.title = `Tessera — ${words.title}`;
const title = document.getElementById('panel-title');
if (title) title.textContent = words.title;

const buttons = new Map<SimulatorAction, HTMLButtonElement>();
const stateLines = new Map<string, HTMLElement>();
for (const g of groups) {
  const section = document.createElement('section');
  section.setAttribute('aria-labelledby', `${g.id}-title`);
  const h = document.createElement('h2');
  h.id = `${g.id}-title`;
  h.textContent = g.title;
  const p = document.createElement('p');
  p.className = 'state';
  p.id = `${g.id}-state`;
  section.append(h, p);
  stateLines.set(g.id, p);
  g.actions.forEach((a, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = words[a];
    b.dataset['action'] = a;
    if (i > 0) b.className = 'secondary';
    b.disabled = true;
    b.addEventListener('click', () => act(a));
    buttons.set(a, b);
    section.append(b);
  });
  root.append(section);
}

function render(s: SimulatorState): void {
  help!.textContent = words.help(s);
  for (const g of groups) {
    const line = g.state(s);
    const p = stateLines.get(g.id);
    if (p) p.textContent = line ?? words.none;
    for (const a of g.actions) {
      const b = buttons.get(a);
      if (b) b.disabled = line === null || !enabled(a, s);
    }
  }
}

function say(text: string, error = false): void {
  status!.textContent = text;
  status!.className = error ? 'error' : '';
}

let socket: WebSocket | undefined;
let nextId = 1;
const waiting = new Map<number, (result: unknown) => void>();
let delay = 250;

function send(channel: string, args: unknown[]): Promise<unknown> {
  return new Promise((resolve) => {
    const id = nextId++;
    const text = JSON.stringify({ t: 'invoke', id, channel, args });
    if (!socket || socket.readyState !== WebSocket.OPEN || text.length > maxFrameBytes) {
      resolve({ ok: false, error: { code: 'unavailable', message: words.offline } });
      return;
    }
    waiting.set(id, resolve);
    socket.send(text);
  });
}

function act(action: SimulatorAction): void {
  say(words.busy);
  void send(simulatorChannel.act, [action]).then((r) => {
    const o = r as { ok?: unknown; error?: { message?: unknown } };
    if (o.ok === true) say(`${words[action]} — ${words.done}`);
    else say(`${words.failed}${typeof o.error?.message === 'string' ? o.error.message : '?'}`, true);
  });
}

function connect(): void {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${simulatorPath}`);
  socket = ws;
  ws.onopen = () => {
    delay = 250;
    say('');
    void send(simulatorChannel.state, []).then((r) => {
      const o = r as { ok?: unknown; value?: unknown };
      if (o.ok === true && isSimulatorState(o.value)) render(o.value);
    });
  };
  ws.onmessage = (event: MessageEvent) => {
    if (typeof event.data !== 'string') return;
    const frame = parseServerFrame(event.data);
    if (!frame) return;
    if (frame.t === 'event') {
      if (frame.channel === simulatorChannel.changed && isSimulatorState(frame.payload)) render(frame.payload);
      return;
    }
    waiting.get(frame.id)?.(frame.result);
    waiting.delete(frame.id);
  };
  ws.onclose = () => {
    for (const [id, resolve] of waiting) {
      waiting.delete(id);
      resolve({ ok: false, error: { code: 'unavailable', message: words.offline } });
    }
    for (const b of buttons.values()) b.disabled = true;
    say(words.offline, true);
    setTimeout(connect, delay);
    delay = Math.min(5000, delay * 2);
  };
}

connect();
