/**
 * Words of the screens that are not about the status itself (those come from
 * `shared/status-text.ts`, shared with the tray). French first, English second.
 */
import type { EnrolFailure, EnrolKind, EnrolStep } from '../shared/enrolment.js';
import type { NoticeCode } from '../shared/prompt.js';
import type { IpcErrorCode } from '../shared/result.js';
import type { LanguageChoice } from '../shared/settings.js';
import { pickLanguage, type Language } from '../shared/status-text.js';
import type { MeansKind } from '../shared/status-view.js';

export interface WindowWords {
  nav: { status: string; enrol: string; settings: string; label: string };
  heading: string;
  notConnected: string;
  notConnectedHelp: string;
  loading: string;
  readFailed: string;
  who: string;
  personId: (id: string) => string;
  means: string;
  timeLeft: string;
  sso: string;
  readers: string;
  readerCard: (name: string, card: boolean) => string;
  noReader: string;
  degradedHeading: string;
  lock: string;
  signOut: string;
  useSecurityKey: string;
  retry: string;
  /** The session line while the agent does not answer: its last state may be stale. */
  unreachable: string;
  lastKnown: (line: string) => string;
  actionDone: string;
  errors: Record<IpcErrorCode, string>;
  pin: {
    heading: Record<MeansKind, string>;
    /** Whose PIN, worded from the means: "Carte de …", "Badge de …", "Clé de …". */
    holder: (name: string, means: MeansKind) => string;
    label: string;
    digit: (d: string) => string;
    erase: string;
    eraseLabel: string;
    submit: string;
    cancel: string;
    triesLeft: (n: number) => string;
    /** What a wrong PIN at the last try blocks: the card, the badge or the key. */
    lastTry: Record<MeansKind, string>;
    wrongPin: (n: number | undefined) => string;
    secondFactor: string;
    /** For an enrolment: the badge's PIN is chosen for the new badge; a key's or card's authorises it. */
    enrolment: Record<MeansKind, string>;
    length: (min: number, max: number) => string;
    typed: (n: number) => string;
  };
  touchKey: { heading: string; help: string; cancel: string };
  presentBadge: { heading: string; help: string };
  notice: Record<NoticeCode, string>;
  ok: string;
  enrol: {
    heading: string;
    intro: string;
    needsTwoFactor: string;
    kind: Record<EnrolKind, string>;
    start: Record<EnrolKind, string>;
    steps: Record<Exclude<EnrolStep, 'failed'>, Record<EnrolKind, string>>;
    failures: Record<EnrolFailure, string>;
    done: Record<EnrolKind, string>;
    failed: string;
    cancel: string;
    again: string;
    close: string;
    progress: string;
  };
  settings: {
    heading: string;
    language: string;
    languageChoice: Record<LanguageChoice, string>;
    notifications: string;
    managed: string;
    notAllowed: string;
    /** The saved settings could not be read at start (`settings_file_invalid`). */
    fileInvalid: string;
    saved: string;
    save: string;
  };
}

export const windowWords: Record<Language, WindowWords> = {
  fr: {
    nav: { status: 'État', enrol: 'Enrôlement', settings: 'Paramètres', label: 'Sections' },
    heading: 'État de la session',
    notConnected: 'Agent non connecté',
    notConnectedHelp: 'Cette fenêtre ne communique pas avec l’agent Tessera.',
    loading: 'Lecture de l’état…',
    readFailed: 'Impossible de lire l’état de l’agent.',
    who: 'Personne',
    personId: (id) => `Identifiant ${id}`,
    means: 'Moyen d’authentification',
    timeLeft: 'Temps restant',
    sso: 'Authentification unique web',
    readers: 'Lecteurs',
    readerCard: (name, card) => `${name}\u00a0: ${card ? 'carte présente' : 'vide'}`,
    noReader: 'Aucun lecteur détecté',
    degradedHeading: 'Mode dégradé',
    lock: 'Verrouiller',
    signOut: 'Fermer la session',
    useSecurityKey: 'J’ai oublié ma carte — utiliser une clé de sécurité',
    retry: 'Réessayer la connexion',
    unreachable: 'Agent injoignable\u00a0: état de la session inconnu',
    lastKnown: (line) => `Dernier état connu\u00a0: ${line}`,
    actionDone: 'C’est fait.',
    errors: {
      'invalid-request': 'Demande refusée\u00a0: elle ne correspond pas à ce que l’agent attend.',
      forbidden: 'Demande refusée\u00a0: cette page n’est pas autorisée.',
      internal: 'L’agent a rencontré une erreur. Contactez le support informatique si cela se répète.',
      unavailable: 'L’agent Tessera ne répond pas. Réessayez la connexion.',
      'not-allowed': 'La politique de l’établissement ne le permet pas.',
      'stale-request': 'Cette demande n’est plus en cours.',
      'no-session': 'Aucune session n’est ouverte.',
      'needs-two-factor': 'Il faut d’abord s’authentifier avec deux facteurs (carte et code PIN).',
      busy: 'Une autre opération est en cours. Réessayez dans un instant.',
    },
    pin: {
      heading: { cps: 'Code PIN de la carte CPS', desfire: 'Code PIN du badge', fido2: 'Code PIN de la clé de sécurité' },
      holder: (name, means) => (means === 'cps' ? `Carte de ${name}` : means === 'desfire' ? `Badge de ${name}` : `Clé de ${name}`),
      label: 'Code PIN',
      digit: (d) => `Chiffre ${d}`,
      erase: '⌫',
      eraseLabel: 'Effacer le dernier chiffre',
      submit: 'Valider',
      cancel: 'Annuler',
      triesLeft: (n) => (n === 1 ? '1 essai restant' : `${n} essais restants`),
      lastTry: {
        cps: 'Dernier essai\u00a0: un code faux bloquera la carte.',
        desfire: 'Dernier essai\u00a0: un code faux bloquera le badge.',
        fido2: 'Dernier essai\u00a0: un code faux bloquera la clé.',
      },
      wrongPin: (n) => (n === undefined ? 'Code PIN incorrect.' : n === 1 ? 'Code PIN incorrect, 1 essai restant.' : `Code PIN incorrect, ${n} essais restants.`),
      secondFactor: 'Badge reconnu\u00a0: saisissez votre code PIN pour le second facteur.',
      enrolment: {
        desfire: 'Choisissez le code PIN du nouveau badge.',
        fido2: 'Saisissez le code PIN de la nouvelle clé de sécurité.',
        cps: 'Saisissez le code PIN de votre carte CPS pour autoriser l’enrôlement.',
      },
      length: (min, max) => (min === max ? `${min} chiffres` : `${min} à ${max} chiffres`),
      typed: (n) => (n === 0 ? 'aucun chiffre saisi' : n === 1 ? '1 chiffre saisi' : `${n} chiffres saisis`),
    },
    touchKey: { heading: 'Touchez votre clé de sécurité', help: 'Touchez le bouton ou le disque doré de la clé branchée sur ce poste.', cancel: 'Annuler' },
    presentBadge: { heading: 'Présentez votre badge', help: 'Posez votre badge sur le lecteur sans contact.' },
    notice: {
      pin_blocked: 'Code PIN bloqué. Utilisez votre code de déblocage (PUK) ou contactez le support informatique.',
      card_not_trusted: 'Cette carte n’est pas reconnue comme une carte de l’IGC-Santé.',
      card_unreadable: 'La carte n’a pas pu être lue. Retirez-la et insérez-la à nouveau.',
      badge_refused: 'Badge refusé.',
      badge_not_enrolled: 'Ce badge n’est pas enrôlé. Connectez-vous avec votre carte CPS pour l’enrôler.',
      key_not_registered: 'Cette clé de sécurité n’est pas enregistrée pour vous.',
      key_timeout: 'La clé n’a pas été touchée à temps.',
      security_key_unavailable: 'Aucune clé de sécurité n’est branchée.',
    },
    ok: 'J’ai compris',
    enrol: {
      heading: 'Enrôler un badge ou une clé',
      intro: 'Associez un nouveau moyen d’authentification à votre identité.',
      needsTwoFactor: 'L’enrôlement se fait dans une session ouverte avec votre carte CPS et son code PIN.',
      kind: { badge: 'Badge sans contact', fido2: 'Clé de sécurité FIDO2' },
      start: { badge: 'Enrôler un badge', fido2: 'Enrôler une clé de sécurité' },
      steps: {
        present: { badge: 'Présentez le badge sur le lecteur', fido2: 'Branchez la clé ou posez-la sur le lecteur' },
        writing: { badge: 'Écriture des clés dans le badge', fido2: 'Création de l’identifiant sur la clé (touchez-la)' },
        registering: { badge: 'Enregistrement du badge', fido2: 'Enregistrement de la clé' },
        done: { badge: 'Badge enrôlé', fido2: 'Clé enrôlée' },
      },
      failures: {
        needs_two_factor: 'Il faut une session ouverte avec deux facteurs.',
        already_enrolled: 'Ce moyen est déjà enrôlé.',
        timeout: 'Rien n’a été présenté ou touché à temps.',
        wrong_pin: 'Code PIN de la clé incorrect.',
        pin_blocked: 'Le code PIN de la clé est bloqué. Débranchez-la et rebranchez-la, ou contactez le support informatique.',
        no_uv: 'Cette clé ne peut pas vérifier votre identité\u00a0: elle n’a ni code PIN ni empreinte enregistrée.',
        cancelled: 'Enrôlement annulé.',
        device_error: 'Le badge ou la clé a répondu de façon inattendue.',
        refused: 'Le registre a refusé cet enrôlement.',
      },
      done: { badge: 'Le badge est enrôlé\u00a0: il déverrouille désormais votre session.', fido2: 'La clé est enrôlée\u00a0: elle peut remplacer votre carte en cas d’oubli.' },
      failed: 'L’enrôlement a échoué',
      cancel: 'Annuler l’enrôlement',
      again: 'Recommencer',
      close: 'Terminer',
      progress: 'Étapes de l’enrôlement',
    },
    settings: {
      heading: 'Paramètres',
      language: 'Langue',
      languageChoice: { system: 'Celle du système', fr: 'Français', en: 'English' },
      notifications: 'Notifications (fin de fenêtre proche, mode dégradé)',
      managed: 'Fixé par l’établissement',
      notAllowed: 'La politique de l’établissement ne permet pas de modifier les paramètres.',
      fileInvalid: 'Vos paramètres enregistrés n’ont pas pu être lus\u00a0: les valeurs par défaut s’appliquent. Enregistrer les remplace (l’ancien fichier est conservé à côté).',
      saved: 'Paramètres enregistrés.',
      save: 'Enregistrer',
    },
  },
  en: {
    nav: { status: 'Status', enrol: 'Enrolment', settings: 'Settings', label: 'Sections' },
    heading: 'Session status',
    notConnected: 'Agent not connected',
    notConnectedHelp: 'This window is not talking to the Tessera agent.',
    loading: 'Reading status…',
    readFailed: 'Could not read the agent’s status.',
    who: 'Person',
    personId: (id) => `Identifier ${id}`,
    means: 'Authentication means',
    timeLeft: 'Time left',
    sso: 'Web single sign-on',
    readers: 'Readers',
    readerCard: (name, card) => `${name}: ${card ? 'card present' : 'empty'}`,
    noReader: 'No reader detected',
    degradedHeading: 'Degraded mode',
    lock: 'Lock',
    signOut: 'Sign out',
    useSecurityKey: 'I forgot my card — use a security key',
    retry: 'Retry connection',
    unreachable: 'Agent unreachable: session state unknown',
    lastKnown: (line) => `Last known state: ${line}`,
    actionDone: 'Done.',
    errors: {
      'invalid-request': 'Request refused: it does not match what the agent expects.',
      forbidden: 'Request refused: this page is not allowed.',
      internal: 'The agent hit an error. Contact IT support if it happens again.',
      unavailable: 'The Tessera agent does not answer. Retry the connection.',
      'not-allowed': 'Your establishment’s policy does not allow it.',
      'stale-request': 'This request is no longer pending.',
      'no-session': 'No session is open.',
      'needs-two-factor': 'Authenticate with two factors first (card and PIN).',
      busy: 'Another operation is in progress. Try again in a moment.',
    },
    pin: {
      heading: { cps: 'CPS card PIN', desfire: 'Badge PIN', fido2: 'Security key PIN' },
      holder: (name, means) => (means === 'cps' ? `Card of ${name}` : means === 'desfire' ? `Badge of ${name}` : `Key of ${name}`),
      label: 'PIN',
      digit: (d) => `Digit ${d}`,
      erase: '⌫',
      eraseLabel: 'Erase the last digit',
      submit: 'Confirm',
      cancel: 'Cancel',
      triesLeft: (n) => (n === 1 ? '1 try left' : `${n} tries left`),
      lastTry: {
        cps: 'Last try: a wrong PIN will block the card.',
        desfire: 'Last try: a wrong PIN will block the badge.',
        fido2: 'Last try: a wrong PIN will block the key.',
      },
      wrongPin: (n) => (n === undefined ? 'Wrong PIN.' : n === 1 ? 'Wrong PIN, 1 try left.' : `Wrong PIN, ${n} tries left.`),
      secondFactor: 'Badge recognised: type your PIN for the second factor.',
      enrolment: {
        desfire: 'Choose the new badge’s PIN.',
        fido2: 'Type the new security key’s PIN.',
        cps: 'Type your CPS card PIN to authorise the enrolment.',
      },
      length: (min, max) => (min === max ? `${min} digits` : `${min} to ${max} digits`),
      typed: (n) => (n === 0 ? 'no digit typed' : n === 1 ? '1 digit typed' : `${n} digits typed`),
    },
    touchKey: { heading: 'Touch your security key', help: 'Touch the button or the gold disc of the key plugged into this computer.', cancel: 'Cancel' },
    presentBadge: { heading: 'Present your badge', help: 'Hold your badge on the contactless reader.' },
    notice: {
      pin_blocked: 'PIN blocked. Use your unblocking code (PUK) or contact IT support.',
      card_not_trusted: 'This card is not recognised as an IGC-Santé card.',
      card_unreadable: 'The card could not be read. Remove it and insert it again.',
      badge_refused: 'Badge refused.',
      badge_not_enrolled: 'This badge is not enrolled. Sign in with your CPS card to enrol it.',
      key_not_registered: 'This security key is not registered for you.',
      key_timeout: 'The key was not touched in time.',
      security_key_unavailable: 'No security key is plugged in.',
    },
    ok: 'OK',
    enrol: {
      heading: 'Enrol a badge or a key',
      intro: 'Link a new authentication means to your identity.',
      needsTwoFactor: 'Enrolment happens in a session opened with your CPS card and its PIN.',
      kind: { badge: 'Contactless badge', fido2: 'FIDO2 security key' },
      start: { badge: 'Enrol a badge', fido2: 'Enrol a security key' },
      steps: {
        present: { badge: 'Hold the badge on the reader', fido2: 'Plug in the key or hold it on the reader' },
        writing: { badge: 'Writing keys to the badge', fido2: 'Creating the credential on the key (touch it)' },
        registering: { badge: 'Registering the badge', fido2: 'Registering the key' },
        done: { badge: 'Badge enrolled', fido2: 'Key enrolled' },
      },
      failures: {
        needs_two_factor: 'A session opened with two factors is needed.',
        already_enrolled: 'This means is already enrolled.',
        timeout: 'Nothing was presented or touched in time.',
        wrong_pin: 'Wrong security key PIN.',
        pin_blocked: 'The key’s PIN is blocked. Unplug it and plug it back in, or contact IT support.',
        no_uv: 'This key cannot verify who you are: it has neither a PIN nor an enrolled fingerprint.',
        cancelled: 'Enrolment cancelled.',
        device_error: 'The badge or key answered unexpectedly.',
        refused: 'The register refused this enrolment.',
      },
      done: { badge: 'The badge is enrolled: it now unlocks your session.', fido2: 'The key is enrolled: it can stand in for your card when you forget it.' },
      failed: 'Enrolment failed',
      cancel: 'Cancel enrolment',
      again: 'Start again',
      close: 'Finish',
      progress: 'Enrolment steps',
    },
    settings: {
      heading: 'Settings',
      language: 'Language',
      languageChoice: { system: 'System language', fr: 'Français', en: 'English' },
      notifications: 'Notifications (window about to end, degraded mode)',
      managed: 'Set by your establishment',
      notAllowed: 'Your establishment’s policy does not allow changing settings.',
      fileInvalid: 'Your saved settings could not be read: the defaults apply. Saving replaces them (the old file is kept beside the new one).',
      saved: 'Settings saved.',
      save: 'Save',
    },
  },
};

/** The display language, from the browser's preferred languages (French unless English comes first). */
export function browserLanguage(nav: Pick<Navigator, 'language' | 'languages'>): Language {
  return pickLanguage(nav.languages.length > 0 ? nav.languages : [nav.language]);
}

/** The language a settings choice means here. */
export function languageOf(choice: LanguageChoice, system: Language): Language {
  return choice === 'system' ? system : choice;
}
