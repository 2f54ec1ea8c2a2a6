/**
 * What a person reads, chosen from stable error codes — the one place where codes become
 * sentences. French first; English available (`TESSERA_LANG=en` or `--lang en`).
 */
export type Lang = 'fr' | 'en';

type Params = { retriesLeft?: number; reader?: string; reason?: string; file?: string; line?: number; seq?: number; count?: number; hash?: string; problem?: string; field?: string; allowed?: string; source?: string; state?: string; person?: string; means?: string; minutes?: number };
type Text = (p: Params) => string;

/** Workstation states (session engine), as `tessera status` shows them. */
const STATES: Record<string, Record<Lang, string>> = {
  signed_out: { fr: 'fermée', en: 'signed out' },
  authenticating: { fr: 'en cours d’authentification', en: 'authenticating' },
  active: { fr: 'active', en: 'active' },
  locked: { fr: 'verrouillée', en: 'locked' },
  expired: { fr: 'expirée', en: 'expired' },
};

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

/** What was found wrong in an audit log (`tessera audit verify`). */
const AUDIT_PROBLEMS: Record<string, Record<Lang, string>> = {
  altered: { fr: 'enregistrement modifié', en: 'record altered' },
  removed: { fr: 'enregistrement(s) ou fichier supprimé(s)', en: 'record(s) or file removed' },
  reordered: { fr: 'enregistrements déplacés', en: 'records reordered' },
  inserted: { fr: 'enregistrement inséré', en: 'record inserted' },
  malformed: { fr: 'ligne illisible', en: 'unreadable line' },
  truncated: { fr: 'fichier tronqué', en: 'file truncated' },
};

const MESSAGES: Record<string, Record<Lang, Text>> = {
  wrong_pin: {
    fr: (p) => `Code PIN incorrect, ${plural(p.retriesLeft, 'essai restant', 'essais restants', 'fr')}.`,
    en: (p) => `Wrong PIN, ${plural(p.retriesLeft, 'try left', 'tries left', 'en')}.`,
  },
  pin_blocked: {
    fr: () => 'Code PIN bloqué : il doit être débloqué (code PUK de la carte, ou réinitialisation de la clé) par le service de gestion.',
    en: () => 'PIN blocked: it must be unblocked (the card’s PUK, or a key reset) by the management service.',
  },
  invalid_pin_format: { fr: () => 'Le code PIN de la carte CPS comporte 4 chiffres.', en: () => 'The CPS card PIN is 4 digits.' },
  pin_cancelled: { fr: () => 'Saisie du code PIN annulée : connexion abandonnée.', en: () => 'PIN entry cancelled: sign-in abandoned.' },
  pin_entry_cancelled: { fr: () => 'Aucun code PIN saisi (saisie annulée ou interrompue) : connexion abandonnée, aucun essai de la carte n’a été utilisé.', en: () => 'No PIN entered (entry cancelled or interrupted): sign-in abandoned, no PIN try of the card was used.' },
  pin_superseded: {
    fr: () => 'Saisie du code PIN interrompue (carte retirée ou autre carte présentée) : connexion abandonnée.',
    en: () => 'PIN entry interrupted (card pulled or another card presented): sign-in abandoned.',
  },
  ui_stopped: { fr: () => 'L’interface s’est arrêtée pendant la saisie du code PIN.', en: () => 'The interface stopped during PIN entry.' },
  untrusted_certificate: {
    fr: (p) => `Certificat de la carte non reconnu (${reasonText(p.reason, 'fr', { fr: 'non fiable', en: '' })}) : connexion refusée.`,
    en: (p) => `Card certificate not trusted (${reasonText(p.reason, 'en', { fr: '', en: 'untrusted' })}): sign-in refused.`,
  },
  bad_signature: {
    fr: () => 'La carte ou la clé de sécurité n’a pas prouvé qu’elle détient sa clé secrète : connexion refusée.',
    en: () => 'The card or security key failed to prove it holds its secret key: sign-in refused.',
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
  // FIDO2 keys (issue 4)
  fido_touch_key: { fr: () => 'Touchez votre clé de sécurité…', en: () => 'Touch your security key…' },
  pin_auth_blocked: {
    fr: (p) => `Trois codes PIN erronés de suite : débranchez puis rebranchez la clé avant de réessayer (${plural(p.retriesLeft, 'essai restant', 'essais restants', 'fr')}).`,
    en: (p) => `Three wrong PINs in a row: unplug the key and plug it back before trying again (${plural(p.retriesLeft, 'try left', 'tries left', 'en')}).`,
  },
  pin_policy: { fr: () => 'Le code PIN de la clé doit comporter de 4 à 63 caractères.', en: () => 'The key PIN must be 4 to 63 characters long.' },
  pin_not_set: {
    fr: () => 'Aucun code PIN n’est défini sur cette clé : définissez-en un (tessera fido set-pin) avant de l’utiliser.',
    en: () => 'No PIN is set on this key: set one (tessera fido set-pin) before using it.',
  },
  pin_already_set: { fr: () => 'Un code PIN est déjà défini sur cette clé : utilisez le changement de code PIN.', en: () => 'A PIN is already set on this key: use change-pin.' },
  uv_unavailable: {
    fr: () => 'Cette clé ne peut vérifier ni code PIN ni empreinte : un simple appui ne suffit pas pour une authentification forte.',
    en: () => 'This key can verify neither a PIN nor a fingerprint: a touch alone is not strong authentication.',
  },
  uv_failed: { fr: () => 'Empreinte non reconnue par la clé.', en: () => 'The key did not recognise the fingerprint.' },
  uv_blocked: { fr: () => 'Lecture d’empreinte bloquée sur la clé : utilisez le code PIN.', en: () => 'Fingerprint blocked on the key: use the PIN.' },
  assertion_invalid: { fr: () => 'La réponse de la clé n’est pas valable (site, présence ou vérification manquante) : connexion refusée.', en: () => 'The key’s answer is not valid (site, presence or verification missing): sign-in refused.' },
  possible_clone: {
    fr: () => 'Compteur de la clé incohérent : clé peut-être clonée. Connexion refusée, signalez-le au service informatique.',
    en: () => 'The key’s counter went backwards: it may be cloned. Sign-in refused; report it to IT.',
  },
  user_presence_timeout: { fr: () => 'La clé n’a pas été touchée à temps (ou l’appui a été refusé).', en: () => 'The key was not touched in time (or the touch was refused).' },
  no_device: { fr: () => 'Aucune clé de sécurité trouvée.', en: () => 'No security key found.' },
  device_removed: { fr: () => 'La clé a été retirée pendant l’opération : rebranchez-la.', en: () => 'The key was removed during the operation: plug it back.' },
  not_enrolled: { fr: () => 'Cette clé n’est pas enregistrée pour cette personne.', en: () => 'This key is not enrolled for this person.' },
  already_enrolled: { fr: () => 'Cette clé est déjà enregistrée pour cette personne.', en: () => 'This key is already enrolled for this person.' },
  revoked: { fr: () => 'Cette clé a été révoquée.', en: () => 'This key has been revoked.' },
  unsupported_attestation: { fr: () => 'Modèle de clé non pris en charge (format d’attestation inconnu).', en: () => 'Unsupported key model (unknown attestation format).' },
  enrolment_refused: {
    fr: () => 'Enregistrement refusé : il faut d’abord une authentification forte récente de la même personne.',
    en: () => 'Enrolment refused: a recent strong authentication of the same person is needed first.',
  },
  unsupported_key: { fr: () => 'Clé de sécurité non prise en charge (algorithme ou protocole).', en: () => 'Unsupported security key (algorithm or protocol).' },
  store_invalid: { fr: () => 'Registre des clés illisible ou invalide.', en: () => 'The key register is unreadable or invalid.' },
  cancelled: { fr: () => 'Opération annulée.', en: () => 'Operation cancelled.' },
  device_error: { fr: () => 'La clé de sécurité a répondu de façon inattendue.', en: () => 'The security key answered unexpectedly.' },
  auth_failed: {
    fr: () => 'Le badge n’a pas prouvé qu’il détient sa clé (badge inconnu, clé ou diversification incorrecte) : accès refusé.',
    en: () => 'The badge failed to prove it holds its key (unknown badge, wrong key or diversification): access refused.',
  },
  integrity: {
    fr: () => 'Réponse du badge altérée (contrôle d’intégrité invalide) : accès refusé.',
    en: () => 'The badge answer was altered (integrity check failed): access refused.',
  },
  badge_not_enrolled: { fr: () => 'Ce badge n’est pas enregistré pour une personne de l’établissement.', en: () => 'This badge is not enrolled for anyone in the establishment.' },
  badge_revoked: { fr: () => 'Ce badge a été révoqué : adressez-vous au bureau des badges.', en: () => 'This badge has been revoked: contact the badge office.' },
  badge_not_blank: { fr: () => 'Ce badge est déjà personnalisé : il ne peut pas être enregistré à nouveau.', en: () => 'This badge is already personalised: it cannot be enrolled again.' },
  badge_pin_format: { fr: () => 'Le code PIN du badge comporte de 4 à 8 chiffres.', en: () => 'The badge PIN is 4 to 8 digits.' },
  audit_unavailable: {
    fr: (p) => `Opération refusée, rien n’a été modifié : le journal d’audit ne peut pas l’enregistrer (${p.reason ?? ''}).`,
    en: (p) => `Operation refused, nothing was changed: the audit trail cannot record it (${p.reason ?? ''}).`,
  },
  register_invalid: { fr: () => 'Registre des badges illisible ou invalide.', en: () => 'The badge register is unreadable or invalid.' },
  kms_config_invalid: { fr: (p) => `Configuration du KMS invalide : ${p.reason ?? ''}`, en: (p) => `Invalid KMS configuration: ${p.reason ?? ''}` },
  kms_insecure_file: {
    fr: (p) => `Fichier de clés maîtresses trop ouvert, refusé : ${p.reason ?? ''}`,
    en: (p) => `Master key file too permissive, refused: ${p.reason ?? ''}`,
  },
  kms_key_unknown: { fr: () => 'Aucune clé maîtresse configurée pour cette application et ce numéro de clé.', en: () => 'No master key configured for this application and key number.' },
  kms_unavailable: { fr: (p) => `KMS indisponible : ${p.reason ?? ''}`, en: (p) => `KMS unavailable: ${p.reason ?? ''}` },
  kms_pin_missing: { fr: () => 'Code PIN du module de sécurité (KMS) absent de l’environnement.', en: () => 'The KMS token PIN is missing from the environment.' },
  kms_login_failed: { fr: () => 'Le module de sécurité (KMS) a refusé le code PIN.', en: () => 'The KMS token refused the PIN.' },
  kms_bad_input: { fr: () => 'Identifiant de badge ou d’application invalide pour la diversification.', en: () => 'Invalid badge or application identifier for key diversification.' },
  config_invalid: { fr: (p) => `Configuration invalide : ${p.reason ?? ''}`, en: (p) => `Invalid configuration: ${p.reason ?? ''}` },
  usage: { fr: (p) => `Utilisation incorrecte : ${p.reason ?? ''}`, en: (p) => `Incorrect usage: ${p.reason ?? ''}` },
  audit_intact: {
    fr: (p) => `Journal d’audit intact : ${plural(p.count, 'enregistrement', 'enregistrements', 'fr')}, dernière empreinte ${p.hash ?? ''}.`,
    en: (p) => `Audit log intact: ${plural(p.count, 'record', 'records', 'en')}, last hash ${p.hash ?? ''}.`,
  },
  audit_tampered: {
    fr: (p) => `Journal d’audit compromis : ${AUDIT_PROBLEMS[p.problem ?? '']?.fr ?? p.problem ?? ''} (fichier ${p.file ?? ''}, ligne ${p.line ?? 0}, séquence ${p.seq ?? 0}).`,
    en: (p) => `Audit log tampered with: ${AUDIT_PROBLEMS[p.problem ?? '']?.en ?? p.problem ?? ''} (file ${p.file ?? ''}, line ${p.line ?? 0}, sequence ${p.seq ?? 0}).`,
  },
  audit_io: { fr: (p) => `Journal d’audit inaccessible : ${p.reason ?? ''}`, en: (p) => `Audit log unavailable: ${p.reason ?? ''}` },
  audit_log_corrupt: { fr: (p) => `Journal d’audit endommagé : ${p.reason ?? ''}`, en: (p) => `Audit log damaged: ${p.reason ?? ''}` },
  audit_record_invalid: { fr: (p) => `Enregistrement d’audit refusé : ${p.reason ?? ''}`, en: (p) => `Audit record refused: ${p.reason ?? ''}` },
  // Session decisions (src/main/session/policy/reasons.ts): what the UI shows beside each decision.
  'rie.cps_pin': { fr: () => 'Carte CPS et code PIN : authentification à deux facteurs.', en: () => 'CPS card and PIN: two-factor authentication.' },
  'rie.cps_without_pin': { fr: () => 'Carte CPS sans code PIN : un seul facteur, connexion refusée.', en: () => 'CPS card without PIN: one factor only, sign-in refused.' },
  'rie.badge_crypto_pin': { fr: () => 'Badge et code PIN : authentification à deux facteurs.', en: () => 'Badge and PIN: two-factor authentication.' },
  'rie.badge_crypto_session_password': { fr: () => 'Badge et mot de passe de session : authentification à deux facteurs.', en: () => 'Badge and session password: two-factor authentication.' },
  'rie.badge_crypto_biometrics': { fr: () => 'Badge et biométrie : authentification à deux facteurs.', en: () => 'Badge and biometrics: two-factor authentication.' },
  'rie.badge_crypto_tap': { fr: () => 'Badge seul : réidentification possible pendant la fenêtre autorisée.', en: () => 'Badge alone: re-identification possible within the allowed window.' },
  'rie.badge_uid_only': { fr: () => 'Carte lue sans échange cryptographique (identifiant seul) : non conforme, connexion refusée.', en: () => 'Card read without a cryptographic exchange (identifier only): not compliant, sign-in refused.' },
  'rie.fido_pin': { fr: () => 'Clé FIDO2 et code PIN : authentification à deux facteurs.', en: () => 'FIDO2 key and PIN: two-factor authentication.' },
  'rie.fido_biometric': { fr: () => 'Clé FIDO2 et empreinte : authentification à deux facteurs.', en: () => 'FIDO2 key and fingerprint: two-factor authentication.' },
  'rie.fido_no_uv': { fr: () => 'Clé FIDO2 sans vérification de l’utilisateur : connexion refusée.', en: () => 'FIDO2 key without user verification: sign-in refused.' },
  'rie.fido_touch_only': { fr: () => 'Clé FIDO2 touchée sans code PIN ni empreinte : connexion refusée.', en: () => 'FIDO2 key touched without PIN or fingerprint: sign-in refused.' },
  'rie.inconsistent_event': { fr: () => 'Authentification incohérente : connexion refusée.', en: () => 'Inconsistent authentication: sign-in refused.' },
  'rie.no_matching_rule': { fr: () => 'Moyen d’authentification non reconnu par la politique : connexion refusée.', en: () => 'Means of authentication not covered by the policy: sign-in refused.' },
  'exi14.reidentified': { fr: () => 'Réidentifié par le badge dans la fenêtre autorisée.', en: () => 'Re-identified by badge within the allowed window.' },
  'exi14.no_session': { fr: () => 'Aucune session ouverte pour cette personne : carte et code PIN nécessaires.', en: () => 'No session for this person: card and PIN needed.' },
  'exi14.window_expired': { fr: () => 'Délai de réidentification dépassé : carte et code PIN nécessaires.', en: () => 'Re-identification window over: card and PIN needed.' },
  'exi14.not_same_means': { fr: () => 'Ce badge n’est pas lié au moyen utilisé pour l’ouverture de session : carte et code PIN nécessaires.', en: () => 'This badge is not bound to the means used to sign in: card and PIN needed.' },
  'exi14.means_not_registered': { fr: () => 'Badge non enrôlé : carte et code PIN nécessaires.', en: () => 'Badge not enrolled: card and PIN needed.' },
  'exi14.means_revoked': { fr: () => 'Badge révoqué : il ne peut plus être utilisé.', en: () => 'Badge revoked: it can no longer be used.' },
  'exi14.enrolment_mismatch': { fr: () => 'Badge enregistré pour une autre personne : refusé.', en: () => 'Badge registered to another person: refused.' },
  'session.user_switch': { fr: () => 'Session verrouillée : une autre personne prend le poste.', en: () => 'Session locked: another person is taking the workstation.' },
  'session.card_removed': { fr: () => 'Carte retirée.', en: () => 'Card removed.' },
  'session.card_removed_no_action': { fr: () => 'Carte retirée : la session reste ouverte (réglage du poste).', en: () => 'Card removed: the session stays open (workstation setting).' },
  'session.not_session_card': { fr: () => 'Cette carte n’est pas celle de la session.', en: () => 'This card is not the session’s card.' },
  'session.os_lock': { fr: () => 'Écran verrouillé.', en: () => 'Screen locked.' },
  'session.sleep': { fr: () => 'Session verrouillée : mise en veille.', en: () => 'Session locked: going to sleep.' },
  'session.resume': { fr: () => 'Sortie de veille.', en: () => 'Resumed from sleep.' },
  'session.os_user_switch': { fr: () => 'Session verrouillée : changement d’utilisateur.', en: () => 'Session locked: user switch.' },
  'session.idle': { fr: () => 'Session verrouillée après inactivité.', en: () => 'Session locked after inactivity.' },
  'session.user_lock': { fr: () => 'Session verrouillée.', en: () => 'Session locked.' },
  'session.user_sign_out': { fr: () => 'Session fermée.', en: () => 'Signed out.' },
  'session.already_active': { fr: () => 'Session déjà ouverte.', en: () => 'Session already open.' },
  'session.already_locked': { fr: () => 'Session déjà verrouillée.', en: () => 'Session already locked.' },
  'session.no_session': { fr: () => 'Aucune session ouverte.', en: () => 'No open session.' },
  'session.removed_during_authentication': { fr: () => 'Carte retirée pendant l’authentification : recommencez.', en: () => 'Card removed during authentication: start again.' },
  'session.authentication_failed': { fr: () => 'Échec de l’authentification.', en: () => 'Authentication failed.' },
  // Configuration (src/main/config): one sentence per kind of problem, naming the field and what is allowed.
  'config.unknown_key': { fr: (p) => `${p.field ?? ''} : réglage inconnu (admis : ${p.allowed ?? ''})`, en: (p) => `${p.field ?? ''}: unknown setting (allowed: ${p.allowed ?? ''})` },
  'config.wrong_type': { fr: (p) => `${p.field ?? ''} : type incorrect (attendu : ${p.allowed ?? ''})`, en: (p) => `${p.field ?? ''}: wrong type (expected: ${p.allowed ?? ''})` },
  'config.out_of_range': { fr: (p) => `${p.field ?? ''} : valeur hors limites (admis : ${p.allowed ?? ''})`, en: (p) => `${p.field ?? ''}: value out of range (allowed: ${p.allowed ?? ''})` },
  'config.not_allowed': { fr: (p) => `${p.field ?? ''} : valeur non admise (admis : ${p.allowed ?? ''})`, en: (p) => `${p.field ?? ''}: value not allowed (allowed: ${p.allowed ?? ''})` },
  'config.insecure_url': {
    fr: (p) => `${p.field ?? ''} : adresse non sécurisée (admis : ${p.allowed ?? ''})`,
    en: (p) => `${p.field ?? ''}: insecure address (allowed: ${p.allowed ?? ''})`,
  },
  'config.insecure_file': {
    fr: (p) => `${p.field ?? ''} : fichier ${p.file ?? ''} modifiable par d’autres utilisateurs, refusé (admis : ${p.allowed ?? ''})`,
    en: (p) => `${p.field ?? ''}: file ${p.file ?? ''} writable by other users, refused (allowed: ${p.allowed ?? ''})`,
  },
  'config.unreadable': { fr: (p) => `${p.file ?? ''} : fichier de configuration illisible (${p.reason ?? ''})`, en: (p) => `${p.file ?? ''}: configuration file unreadable (${p.reason ?? ''})` },
  'config.not_json': { fr: (p) => `${p.file ?? ''} : JSON invalide (${p.reason ?? ''})`, en: (p) => `${p.file ?? ''}: not valid JSON (${p.reason ?? ''})` },
  'config.bad_source': { fr: (p) => `${p.file ?? ''} : politique illisible (${p.reason ?? ''})`, en: (p) => `${p.file ?? ''}: unreadable policy (${p.reason ?? ''})` },
  'config.user_setting_ignored': {
    fr: (p) => `Réglage utilisateur ${p.field ?? ''} ignoré : ${p.reason === 'user_settings_disabled' ? 'les réglages utilisateur sont désactivés par l’établissement' : 'ce réglage est fixé par l’établissement'}.`,
    en: (p) => `User setting ${p.field ?? ''} ignored: ${p.reason === 'user_settings_disabled' ? 'user settings are disabled by the establishment' : 'this setting is set by the establishment'}.`,
  },
  // Local control channel (src/main/integrations/control).
  agent_not_running: { fr: (p) => `aucun agent Tessera en cours d'exécution (${p.file ?? ''})`, en: (p) => `no Tessera agent running (${p.file ?? ''})` },
  control_refused: { fr: (p) => `Accès refusé au canal de contrôle de l’agent (${p.file ?? ''}).`, en: (p) => `Access to the agent’s control channel refused (${p.file ?? ''}).` },
  control_insecure_path: { fr: (p) => `Canal de contrôle refusé : ${p.reason ?? ''}`, en: (p) => `Control channel refused: ${p.reason ?? ''}` },
  control_protocol: { fr: (p) => `Réponse illisible de l’agent : ${p.reason ?? ''}`, en: (p) => `Unreadable answer from the agent: ${p.reason ?? ''}` },
  config_valid: {
    fr: (p) => `Configuration valide (${p.file ?? ''}) : ${plural(p.count, 'réglage fixé', 'réglages fixés', 'fr')} par la politique ou l’utilisateur.`,
    en: (p) => `Configuration valid (${p.file ?? ''}): ${plural(p.count, 'setting', 'settings', 'en')} set by policy or user.`,
  },
  status_session: {
    fr: (p) => `Session ${STATES[p.state ?? '']?.fr ?? p.state ?? ''} : ${p.person ?? ''} (${p.means ?? ''}, ${p.reason ?? ''}), fenêtre de réidentification : ${p.minutes ?? 0} min restantes.`,
    en: (p) => `Session ${STATES[p.state ?? '']?.en ?? p.state ?? ''}: ${p.person ?? ''} (${p.means ?? ''}, ${p.reason ?? ''}), re-identification window: ${p.minutes ?? 0} min left.`,
  },
  status_no_session: { fr: (p) => `Aucune session ouverte (${STATES[p.state ?? '']?.fr ?? p.state ?? ''}).`, en: (p) => `No open session (${STATES[p.state ?? '']?.en ?? p.state ?? ''}).` },
  status_degraded: { fr: (p) => (p.reason === 'yes' ? 'Mode dégradé : oui.' : 'Mode dégradé : non.'), en: (p) => (p.reason === 'yes' ? 'Degraded mode: yes.' : 'Degraded mode: no.') },
  status_reader: { fr: (p) => `Lecteur ${p.reader ?? ''} : ${p.reason === 'card' ? 'carte présente' : 'vide'}.`, en: (p) => `Reader ${p.reader ?? ''}: ${p.reason === 'card' ? 'card present' : 'empty'}.` },
  status_sso: {
    fr: (p) => `Authentification unique (${p.file ?? ''}) : ${p.reason === 'signed_in' ? 'connecté' : 'non connecté'}.`,
    en: (p) => `Single sign-on (${p.file ?? ''}): ${p.reason === 'signed_in' ? 'signed in' : 'signed out'}.`,
  },
  control_timeout: { fr: () => 'L’agent n’a pas répondu à temps.', en: () => 'The agent did not answer in time.' },
  control_remote_error: { fr: (p) => `L’agent a refusé la demande : ${p.reason ?? ''}`, en: (p) => `The agent refused the request: ${p.reason ?? ''}` },
  // Web SSO (src/main/integrations/sso): `reason` carries the detail (provider error, ID token problem, port).
  sso_signed_in: {
    fr: (p) => `Connecté au SSO ${p.file ?? ''} : ${p.person ?? ''}${p.reason ? ` (${p.reason})` : ''}.`,
    en: (p) => `Signed in to the SSO ${p.file ?? ''}: ${p.person ?? ''}${p.reason ? ` (${p.reason})` : ''}.`,
  },
  sso_waiting: { fr: () => 'Terminez la connexion dans le navigateur…', en: () => 'Finish signing in in the browser…' },
  sso_page_title: { fr: () => 'Tessera : connexion', en: () => 'Tessera: sign-in' },
  sso_page_done: { fr: () => 'Connexion terminée. Vous pouvez fermer cet onglet.', en: () => 'Sign-in complete. You can close this tab.' },
  sso_page_failed: { fr: (p) => `La connexion a échoué : ${p.reason ?? ''} Vous pouvez fermer cet onglet.`, en: (p) => `Sign-in failed: ${p.reason ?? ''} You can close this tab.` },
  sso_page_rejected: { fr: () => 'Requête refusée : elle ne correspond à aucune connexion en cours.', en: () => 'Request refused: it does not match any sign-in in progress.' },
  sso_provider_unreachable: { fr: (p) => `Fournisseur d’identité injoignable${p.reason ? ` (${p.reason})` : ''}.`, en: (p) => `Identity provider unreachable${p.reason ? ` (${p.reason})` : ''}.` },
  sso_provider_slow: { fr: () => 'Le fournisseur d’identité n’a pas répondu à temps.', en: () => 'The identity provider did not answer in time.' },
  sso_provider_error: { fr: (p) => `Le fournisseur d’identité a refusé la connexion : ${p.reason ?? ''}`, en: (p) => `The identity provider refused the sign-in: ${p.reason ?? ''}` },
  sso_timeout: { fr: () => 'Connexion non terminée dans le délai imparti : recommencez.', en: () => 'Sign-in not completed in time: start again.' },
  sso_cancelled: { fr: () => 'Connexion annulée.', en: () => 'Sign-in cancelled.' },
  sso_state_mismatch: { fr: () => 'Réponse de connexion inattendue (paramètre state incorrect) : refusée.', en: () => 'Unexpected sign-in response (wrong state parameter): refused.' },
  sso_id_token_invalid: { fr: (p) => `Jeton d’identité invalide (${p.reason ?? ''}) : connexion refusée.`, en: (p) => `Invalid ID token (${p.reason ?? ''}): sign-in refused.` },
  sso_port_in_use: { fr: (p) => `Le port local de retour de connexion est déjà utilisé${p.reason ? ` (${p.reason})` : ''}.`, en: (p) => `The local sign-in callback port is already in use${p.reason ? ` (${p.reason})` : ''}.` },
  sso_config_invalid: { fr: (p) => `Configuration SSO inutilisable : ${p.reason ?? ''}`, en: (p) => `Unusable SSO configuration: ${p.reason ?? ''}` },
  sso_browser_failed: { fr: () => 'Impossible d’ouvrir le navigateur pour la connexion.', en: () => 'Could not open the browser to sign in.' },
  sso_no_token: { fr: () => 'Aucun jeton SSO valable pour cette session.', en: () => 'No valid SSO token for this session.' },
  sso_keychain_unavailable: { fr: (p) => `Trousseau du système indisponible${p.reason ? ` (${p.reason})` : ''}.`, en: (p) => `System keychain unavailable${p.reason ? ` (${p.reason})` : ''}.` },
  keychain_unavailable: { fr: () => 'Trousseau du système introuvable (aucun service de secrets dans la session).', en: () => 'System keychain not found (no secret service in the session).' },
  keychain_locked: { fr: () => 'Trousseau du système verrouillé : déverrouillez-le puis recommencez.', en: () => 'System keychain locked: unlock it and try again.' },
  keychain_denied: { fr: () => 'Le trousseau du système a refusé l’accès à Tessera.', en: () => 'The system keychain refused Tessera access.' },
  keychain_failed: { fr: (p) => `Erreur du trousseau du système${p.reason ? ` : ${p.reason}` : ''}.`, en: (p) => `System keychain error${p.reason ? `: ${p.reason}` : ''}.` },
  keychain_bad_input: { fr: () => 'Demande au trousseau du système invalide.', en: () => 'Invalid request to the system keychain.' },
  sso_not_allowed: { fr: () => 'Cette application n’est pas autorisée à obtenir un jeton.', en: () => 'This application is not allowed to get a token.' },
  sso_assertion_invalid: { fr: (p) => `Preuve de connexion du poste refusée (${p.reason ?? ''}).`, en: (p) => `Workstation sign-in proof refused (${p.reason ?? ''}).` },
  sso_key_storage_insecure: { fr: (p) => `Stockage des clés refusé : ${p.reason ?? ''} (dossier 0700 et fichiers 0600 attendus).`, en: (p) => `Key storage refused: ${p.reason ?? ''} (folder 0700 and files 0600 expected).` },
  sso_provider_listening: { fr: (p) => `Fournisseur d’identité Tessera à l’écoute sur ${p.file ?? ''} (émetteur ${p.reason ?? ''}). Ctrl-C pour arrêter.`, en: (p) => `Tessera identity provider listening on ${p.file ?? ''} (issuer ${p.reason ?? ''}). Ctrl-C to stop.` },
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

/** What each configuration key accepts (src/main/config/issues.ts has the English reference), as a person reads it. */
const CONFIG_ALLOWED: Record<string, Record<Lang, string>> = {
  'session.windowMinutes': { fr: 'entier de 1 à 720 (minutes ; 240 par défaut)', en: 'integer 1–720 (minutes; default 240)' },
  'session.removalAction': { fr: 'lock | sign_out | none', en: 'lock | sign_out | none' },
  'session.idleLockMinutes': { fr: 'entier de 1 à 480 (minutes), ou absent pour ne pas verrouiller sur inactivité', en: 'integer 1–480 (minutes), or unset for no idle lock' },
  'session.fastUserSwitching': { fr: 'true | false', en: 'true | false' },
  'cps.trustAnchors': { fr: 'liste de fichiers PEM (64 au plus)', en: 'array of PEM file paths (at most 64)' },
  'cps.trustAnchorFolder': { fr: 'chemin de dossier', en: 'folder path' },
  'desfire.kmsConfigPath': { fr: 'chemin de fichier', en: 'file path' },
  'desfire.applicationAid': { fr: 'AID de 3 octets en 6 chiffres hexadécimaux (ex. F51230)', en: '3-byte AID as 6 hex digits (e.g. F51230)' },
  'desfire.enrolmentRegisterPath': { fr: 'chemin de fichier', en: 'file path' },
  'desfire.operators': { fr: 'liste d’identifiants de personne (ex. rpps:10001234567 ; 256 au plus)', en: 'array of subject ids (e.g. rpps:10001234567; at most 256)' },
  'fido2.enrolmentStorePath': { fr: 'chemin de fichier', en: 'file path' },
  'fido2.rpId': { fr: 'nom de domaine en minuscules (ex. tessera.local)', en: 'lower-case domain name (e.g. tessera.local)' },
  'audit.dir': { fr: 'chemin de dossier', en: 'folder path' },
  'audit.rotation.maxFileBytes': { fr: 'entier de 65536 à 1073741824 (octets)', en: 'integer 65536–1073741824 (bytes)' },
  'audit.rotation.daily': { fr: 'true | false', en: 'true | false' },
  'audit.forwarding.httpUrl': { fr: 'URL https:// (http:// seulement vers 127.0.0.1, ::1 ou localhost)', en: 'https:// URL (http:// only for 127.0.0.1, ::1 or localhost)' },
  'audit.forwarding.syslog': { fr: 'hôte:port, port de 1 à 65535', en: 'host:port, port 1–65535' },
  'audit.forwarding.queueMaxBytes': { fr: 'entier de 65536 à 4294967296 (octets)', en: 'integer 65536–4294967296 (bytes)' },
  'sso.issuerUrl': { fr: 'URL https:// (http:// seulement vers 127.0.0.1, ::1 ou localhost)', en: 'https:// URL (http:// only for 127.0.0.1, ::1 or localhost)' },
  'sso.clientId': { fr: 'texte de 1 à 256 caractères (obligatoire avec sso.issuerUrl)', en: 'text of 1–256 characters (required with sso.issuerUrl)' },
  'sso.loopbackPort': { fr: 'entier de 1024 à 65535, ou absent pour un port éphémère', en: 'integer 1024–65535, or unset for an ephemeral port' },
  'sso.scopes': { fr: 'liste de scopes comprenant « openid »', en: 'array of scope names including "openid"' },
  'sso.acrValues': { fr: 'liste de valeurs ACR', en: 'array of ACR values' },
  'sso.requiredAmr': { fr: 'liste de valeurs AMR (RFC 8176, ex. mfa)', en: 'array of AMR values (RFC 8176, e.g. mfa)' },
  'sso.autoSignIn': { fr: 'true | false', en: 'true | false' },
  'sso.signInTimeoutSeconds': { fr: 'entier de 10 à 900 (secondes ; 120 par défaut)', en: 'integer 10–900 (seconds; default 120)' },
  'sso.subjectClaim': { fr: 'nom de claim (lettres, chiffres, _ . : - ; sub par défaut)', en: 'claim name (letters, digits, _ . : -; default sub)' },
  'sso.browserLogout': { fr: 'true | false', en: 'true | false' },
  'sso.assertion.port': { fr: 'entier de 1024 à 65535, ou absent pour ne pas ouvrir de point d’assertion', en: 'integer 1024–65535, or unset for no assertion endpoint' },
  'sso.assertion.keyDir': { fr: 'chemin de dossier', en: 'folder path' },
  'sso.assertion.providers': {
    fr: 'liste d’URL d’émetteurs (URL https://, http:// seulement vers 127.0.0.1, ::1 ou localhost ; 16 au plus ; vide : sso.issuerUrl)',
    en: 'array of issuer URLs (https:// URL (http:// only for 127.0.0.1, ::1 or localhost); at most 16; empty: sso.issuerUrl)',
  },
  'sso.assertion.cardSignature': { fr: 'true | false', en: 'true | false' },
  'ui.language': { fr: 'fr | en', en: 'fr | en' },
  'ui.notifications': { fr: 'true | false', en: 'true | false' },
  'ui.allowUserSettings': { fr: 'true | false', en: 'true | false' },
  'ui.allowQuit': { fr: 'true | false', en: 'true | false' },
  'ui.startAtLogin': { fr: 'true | false', en: 'true | false' },
  'control.socketPath': { fr: 'chemin absolu de socket', en: 'absolute socket path' },
  'tokenBroker.applications': {
    fr: 'liste de { path : chemin absolu de l’exécutable, sha256? : 64 chiffres hexadécimaux, audiences : noms pris dans tokenBroker.audiences } (64 au plus)',
    en: 'array of { path: absolute executable path, sha256?: 64 hex digits, audiences: names from tokenBroker.audiences } (at most 64)',
  },
  'tokenBroker.audiences': {
    fr: 'liste de { audience, resource? : URL https://, scope? : liste de scopes } (64 au plus, chaque audience une fois)',
    en: 'array of { audience, resource?: https:// URL, scope?: array of scope names } (at most 64, each audience once)',
  },
};

/** The allowed values of a configuration key in `lang`; undefined for a key this table does not know. */
export function configAllowed(path: string, lang: Lang): string | undefined {
  return Object.prototype.hasOwnProperty.call(CONFIG_ALLOWED, path) ? CONFIG_ALLOWED[path]?.[lang] : undefined;
}
