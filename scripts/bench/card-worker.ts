/**
 * Worker thread of the benchmark's `--card-thread worker` mode: runs the CPS simulator and its
 * vpcd slot on an event loop of its own (see card-side.ts). Answers numbered requests.
 */
import { createPrivateKey } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { CpsCard } from '../../test/testbed/cards/cps-card.js';
import { VirtualCardSlot } from '../../test/testbed/vpcd-host.js';
import { ObservedCard } from './observed-card.js';

interface Setup {
  port: number;
  certificateDer: Uint8Array;
  privateKeyPkcs8: Uint8Array;
  pin: string;
}

const setup = workerData as Setup;
const port = parentPort;
if (!port) throw new Error('card-worker.js runs only as a worker thread');

const card = new ObservedCard(
  new CpsCard({
    certificateDer: Buffer.from(setup.certificateDer),
    privateKey: createPrivateKey({ key: Buffer.from(setup.privateKeyPkcs8), format: 'der', type: 'pkcs8' }),
    pin: setup.pin,
  }),
);
const slot = new VirtualCardSlot(setup.port);

async function handle(type: string, arg: number | undefined): Promise<unknown> {
  switch (type) {
    case 'insert':
      await slot.insert(card);
      return null;
    case 'remove':
      await slot.remove();
      return null;
    case 'snapshot':
      return { apduCount: slot.apduLog.length, computeMs: card.computeMs, resets: card.resets, atrReads: card.atrReads };
    case 'apdusSince':
      return slot.apduLog.slice(arg ?? 0).map((a) => new Uint8Array(a));
    default:
      throw new Error(`unknown request ${type}`);
  }
}

port.on('message', (msg: { id: number; type: string; arg?: number }) => {
  handle(msg.type, msg.arg).then(
    (value) => port.postMessage({ id: msg.id, ok: true, value }),
    (e: unknown) => port.postMessage({ id: msg.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});
