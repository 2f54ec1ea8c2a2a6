/**
 * The demo: the headless agent with simulated readers and cards, through a real pcscd.
 *
 * It starts an isolated pcscd with the vpcd driver, generates a test PKI (root → issuing CA →
 * card certificates), and plays a short morning at a shared workstation: a CPS is inserted and
 * the PIN typed (two-factor login, session open), the card is pulled (session locked), a card
 * from an unknown PKI is refused, a wrong PIN is reported with the tries left. Everything goes
 * through the same core code as the desktop app; only the card and the PIN typing are simulated.
 *
 * Run with ./dev.sh demo (it installs what is missing). TESSERA_LANG=en for English.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type AgentRecord } from '../src/main/shells/agent/agent.js';
import { describeRecord } from '../src/main/shells/agent/agent-text.js';
import { TrustStore } from '../src/main/means/cps/trust-store.js';
import { ReaderMonitor } from '../src/main/transports/pcsc/reader-monitor.js';
import { resolveLang } from '../src/main/i18n/messages.js';
import { openTestBed } from '../test/testbed/bed.js';
import { CpsCard } from '../test/testbed/cards/cps-card.js';
import { createTestPki } from '../test/testbed/pki/test-pki.js';

const lang = resolveLang();
const fr = lang === 'fr';
const t0 = Date.now();
const say = (text: string): void => {
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${text}\n`);
};
const scene = (fr_: string, en: string): void => say(`\n== ${fr ? fr_ : en} ==`);

async function main(): Promise<void> {
  scene('Préparation du banc : pcscd isolé, lecteurs virtuels, PKI de test', 'Setting up: isolated pcscd, virtual readers, test PKI');
  const bed = await openTestBed();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-demo-'));
  const pki = await createTestPki();
  const impostor = await createTestPki();
  const trustFile = join(dir, 'trust-anchors.pem');
  writeFileSync(trustFile, pki.caBundlePem);
  say(`${fr ? 'Ancres de confiance' : 'Trust anchors'} : ${trustFile}`);

  let pinToType = '1234';
  const records: AgentRecord[] = [];
  const waiters: Array<(r: AgentRecord) => void> = [];
  const agent = new Agent({
    monitor: new ReaderMonitor(),
    trust: TrustStore.fromPemFiles([trustFile]),
    report: (r) => {
      records.push(r);
      say(describeRecord(r, lang));
      for (const w of waiters.splice(0)) w(r);
    },
    pinPad: async (_reader, req) => {
      say(fr
        ? `Pavé PIN : « ${req.holder.name}, ${req.holder.profession ?? ''} — saisissez votre code (${req.retriesLeft} essais) » → ••••`
        : `PIN pad: "${req.holder.name}, ${req.holder.profession ?? ''} — type your PIN (${req.retriesLeft} tries)" → ••••`);
      return Buffer.from(pinToType, 'ascii');
    },
  });
  const next = (match: (r: AgentRecord) => boolean): Promise<AgentRecord> =>
    new Promise((resolve) => {
      const check = (r: AgentRecord): void => { if (match(r)) resolve(r); else waiters.push(check); };
      waiters.push(check);
    });

  try {
    await agent.start();
    const jean = await pki.issueCardCertificate();

    scene('7 h 00 — prise de poste : carte CPS + code PIN', '7:00 — start of shift: CPS card + PIN');
    let login = next((r) => r.type === 'login');
    await bed.slots[0].insert(new CpsCard({ certificateDer: jean.der, privateKey: jean.privateKey, pin: '1234' }));
    await login;
    await agent.idle();
    const s = agent.session.state;
    if (s.state === 'active') say(fr ? `État : session active pour ${s.subject.name} (${s.means})` : `State: session active for ${s.subject.name} (${s.means})`);

    scene('La carte est retirée du lecteur', 'The card is pulled out of the reader');
    const locked = next((r) => r.type === 'session' && r.state === 'locked');
    await bed.slots[0].remove();
    await locked;

    scene('Une carte émise par une autre autorité est présentée', 'A card issued by another authority is presented');
    const fake = await impostor.issueCardCertificate();
    login = next((r) => r.type === 'login');
    await bed.slots[0].insert(new CpsCard({ certificateDer: fake.der, privateKey: fake.privateKey, pin: '1234' }));
    await login;
    await agent.idle();
    await bed.slots[0].remove();
    await next((r) => r.type === 'card' && r.status === 'removed');

    scene('Code PIN mal saisi', 'PIN mistyped');
    pinToType = '4321';
    login = next((r) => r.type === 'login');
    await bed.slots[0].insert(new CpsCard({ certificateDer: jean.der, privateKey: jean.privateKey, pin: '1234' }));
    await login;
    await agent.idle();
    await bed.slots[0].remove();
    await next((r) => r.type === 'card' && r.status === 'removed');
    await sleep(50);

    const ok = records.filter((r) => r.type === 'login' && r.status === 'succeeded').length;
    const refused = records.filter((r) => r.type === 'login' && r.status === 'failed').length;
    scene('Fin de la démonstration', 'End of the demo');
    say(fr ? `${ok} connexion réussie, ${refused} refus, tous expliqués.` : `${ok} successful login, ${refused} refusals, each explained.`);
  } finally {
    await agent.stop();
    await bed.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exitCode = 1;
});
