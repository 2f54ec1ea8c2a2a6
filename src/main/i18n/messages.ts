/**
 * What a person reads, chosen from stable error codes — the one place where codes become
 * sentences. French first; English available (`TESSERA_LANG=en` or `--lang en`).
 */
export type Lang = 'fr' | 'en';

type Params = { retriesLeft?: number; reader?: string; reason?: string };
type Text = (p: Params) => string;

/** Why a card certificate was refused, as a person reads it. */
const CERTIFICATE_REASONS: Record<string, Record<Lang, string>> = {
  expired: { fr: 'certificat expiré', en: 'certificate expired' },
  not_yet_valid: { fr: 'certificat pas encore valide', en: 'certificate not yet valid' },
  invalid_validity: { fr: 'dates de validité illisibles', en: 'unreadable validity dates' },
  unknown_issuer: { fr: 'autorité émettrice inconnue', en: 'unknown issuing authority' },
  bad_chain_signature: { fr: 'signature de l’autorité invalide', en: 'invalid authority signature' },
  issuer_not_ca: { fr: 'émetteur non habilité', en: 'issuer is not an authority' },
  chain_too_long: { fr: 'chaîne de certification trop longue', en: 'certificate chain too long' },
  no_trust_anchor: { fr: 'aucune autorité de confiance configurée', en: 'no trusted authority configured' },
  not_for_authentication: { fr: 'certificat non prévu pour l’authentification', en: 'certificate not meant for authentication' },
  unsupported_identifier: { fr: 'identifiant RPPS absent', en: 'no RPPS identifier' },
  unsupported_key: { fr: 'type de clé non pris en charge', en: 'unsupported key type' },
};

const reasonText = (reason: string | undefined, lang: Lang, fallback: Record<Lang, string>): string =>
  (reason ? CERTIFICATE_REASONS[reason]?.[lang] : undefined) ?? fallback[lang];

/** French takes the singular for 0 and 1, English for 1 only. */
const plural = (n: number | undefined, one: string, many: string, lang: Lang): string =>
  `${n ?? 0} ${n === 1 || (lang === 'fr' && n === 0) ? one : many}`;

const MESSAGES: Record<string, Record<Lang, Text>> = {
  wrong_pin: {
    fr: (p) => `Code PIN incorrect, ${plural(p.retriesLeft, 'essai restant', 'essais restants', 'fr')}.`,
    en: (p) => `Wrong PIN, ${plural(p.retriesLeft, 'try left', 'tries left', 'en')}.`,
  },
  pin_blocked: {
    fr: () => 'Code PIN bloqué : la carte ne peut plus être utilisée avant son déblocage (code PUK ou service de gestion des cartes).',
    en: () => 'PIN blocked: the card cannot be used until it is unblocked (PUK or card management service).',
  },
  invalid_pin_format: { fr: () => 'Le code PIN de la carte CPS comporte 4 chiffres.', en: () => 'The CPS card PIN is 4 digits.' },
  untrusted_certificate: {
    fr: (p) => `Certificat de la carte non reconnu (${reasonText(p.reason, 'fr', { fr: 'non fiable', en: '' })}) : connexion refusée.`,
    en: (p) => `Card certificate not trusted (${reasonText(p.reason, 'en', { fr: '', en: 'untrusted' })}): sign-in refused.`,
  },
  bad_signature: {
    fr: () => 'La carte n’a pas prouvé qu’elle détient sa clé : connexion refusée.',
    en: () => 'The card failed to prove it holds its key: sign-in refused.',
  },
  no_card: {
    fr: (p) => `Aucune carte dans le lecteur${p.reader ? ` « ${p.reader} »` : ''}.`,
    en: (p) => `No card in reader${p.reader ? ` "${p.reader}"` : ''}.`,
  },
  unsupported_card: { fr: () => 'Carte non prise en charge.', en: () => 'Unsupported card.' },
  card_removed: {
    fr: () => 'La carte a été retirée pendant l’opération : réinsérez-la.',
    en: () => 'The card was removed during the operation: insert it again.',
  },
  card_data_invalid: { fr: () => 'Données de la carte illisibles ou invalides.', en: () => 'The card data is unreadable or invalid.' },
  reader_unavailable: {
    fr: (p) => `Lecteur indisponible${p.reader ? ` : « ${p.reader} »` : ''}.`,
    en: (p) => `Reader unavailable${p.reader ? `: "${p.reader}"` : ''}.`,
  },
  daemon_unavailable: {
    fr: () => 'Le service de cartes à puce (PC/SC) ne répond pas. Vérifiez qu’il est démarré (pcscd).',
    en: () => 'The smartcard service (PC/SC) is not answering. Check that it is running (pcscd).',
  },
  card_error: { fr: () => 'La carte a répondu de façon inattendue.', en: () => 'The card answered unexpectedly.' },
  config_invalid: { fr: (p) => `Configuration invalide : ${p.reason ?? ''}`, en: (p) => `Invalid configuration: ${p.reason ?? ''}` },
  usage: { fr: (p) => `Utilisation incorrecte : ${p.reason ?? ''}`, en: (p) => `Incorrect usage: ${p.reason ?? ''}` },
  internal: { fr: (p) => `Erreur interne : ${p.reason ?? ''}`, en: (p) => `Internal error: ${p.reason ?? ''}` },
};

export function resolveLang(explicit?: string, env: NodeJS.ProcessEnv = process.env): Lang {
  const v = (explicit ?? env['TESSERA_LANG'] ?? '').toLowerCase();
  return v.startsWith('en') ? 'en' : 'fr';
}

export function message(code: string, lang: Lang, params: Params = {}): string {
  const entry = MESSAGES[code] ?? MESSAGES['internal'];
  return entry ? entry[lang]({ reason: code, ...params }) : code;
}
