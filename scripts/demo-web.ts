/**
 * The demo in a browser: the agent with simulated readers, a CPS card, an enrolled badge, a
 * FIDO2 key and the embedded OpenID provider, its UI served on 127.0.0.1, and a simulator
 * control panel to insert the card, tap the badge, plug the key or cut the network.
 *
 *   ./dev.sh demo          (or npm run demo)   then open the two printed addresses
 *   TESSERA_DEMO_PORT=8080 to choose the port; TESSERA_LANG=en for English messages here.
 *
 * Runs on the host network (not testnet.sh) so the browser can reach it; APDUs are then slower
 * (~50 ms each), which a person does not notice. Stop with Ctrl-C.
 */
import { resolveLang } from '../src/main/i18n/messages.js';
import { DEMO_BADGE_PIN, DEMO_CARD_PIN, DEMO_KEY_PIN, DEMO_PERSON, openDemoWorld } from '../test/shells/web/demo-world.js';

const fr = resolveLang() === 'fr';

async function main(): Promise<void> {
  const port = process.env['TESSERA_DEMO_PORT'] ? Number(process.env['TESSERA_DEMO_PORT']) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new Error(`TESSERA_DEMO_PORT: ${process.env['TESSERA_DEMO_PORT']} is not a port`);
  process.stdout.write(fr ? 'Démarrage : pcscd isolé, lecteurs virtuels, PKI de test, badge et clé enrôlés, fournisseur d’identité…\n' : 'Starting: isolated pcscd, virtual readers, test PKI, enrolled badge and key, identity provider…\n');
  const world = await openDemoWorld({ ...(port !== undefined ? { port } : {}), log: (m, c) => process.stderr.write(`[demo] ${m}${c instanceof Error ? `: ${c.message}` : ''}\n`) });
  const lines = fr
    ? [
        '',
        `Interface Tessera :      ${world.shell.url}`,
        `Simulateur du poste :    ${world.shell.simulatorUrl ?? ''}`,
        '',
        `Personne : ${DEMO_PERSON.name} (${DEMO_PERSON.id}). Codes PIN simulés — carte CPS ${DEMO_CARD_PIN}, clé de sécurité ${DEMO_KEY_PIN}, badge ${DEMO_BADGE_PIN}.`,
        `Fournisseur d’identité intégré : ${world.issuer} ; journal d’audit : ${world.auditDir}`,
        'Chaque adresse porte un jeton à usage de ce lancement : ouvrez-les telles quelles. Ctrl-C pour arrêter.',
      ]
    : [
        '',
        `Tessera UI:              ${world.shell.url}`,
        `Workstation simulator:   ${world.shell.simulatorUrl ?? ''}`,
        '',
        `Person: ${DEMO_PERSON.name} (${DEMO_PERSON.id}). Simulated PINs — CPS card ${DEMO_CARD_PIN}, security key ${DEMO_KEY_PIN}, badge ${DEMO_BADGE_PIN}.`,
        `Embedded identity provider: ${world.issuer}; audit trail: ${world.auditDir}`,
        'Each address carries a token for this launch: open them as printed. Ctrl-C to stop.',
      ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await world.close();
  process.stdout.write(fr ? 'Démo arrêtée.\n' : 'Demo stopped.\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
