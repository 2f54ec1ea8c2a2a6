/**
 * The provider's few pages, in French (English when the browser prefers it): the sign-in page
 * shown when the workstation has no Tessera session, the refusal page, the error page and the
 * logout pages. Self-contained: one inline style allowed by its hash, no script, no external
 * resource, under a strict Content-Security-Policy.
 */
import { createHash } from 'node:crypto';

export type PageLang = 'fr' | 'en';

const STYLE =
  'body{font-family:system-ui,sans-serif;background:#f4f6f8;color:#1b1f23;margin:0}' +
  'main{max-width:32rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}' +
  'h1{font-size:1.4rem;margin-top:0}a.button,button{display:inline-block;background:#0b5cad;color:#fff;padding:.6rem 1.2rem;border:0;border-radius:4px;text-decoration:none;font-size:1rem;cursor:pointer;margin-right:.5rem}' +
  'button.secondary{background:#5a6470}code{background:#eef1f4;padding:0 .3rem}';

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** The CSP of every page: nothing but the one style; forms post only to the provider. */
export const PAGE_CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': PAGE_CSP,
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

/** French unless the first language the browser lists that we have is English. */
export function pageLang(acceptLanguage: string | undefined): PageLang {
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = part.split(';')[0]?.trim().toLowerCase() ?? '';
    if (tag.startsWith('fr')) return 'fr';
    if (tag.startsWith('en')) return 'en';
  }
  return 'fr';
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(lang: PageLang, title: string, body: string): string {
  return `<!DOCTYPE html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

const TEXT = {
  fr: {
    signInTitle: 'Connexion',
    signInHeading: 'Connectez-vous à Tessera sur ce poste',
    signInBody: 'Aucune session Tessera n’est ouverte sur ce poste. Insérez votre carte CPS dans le lecteur et saisissez votre code PIN dans Tessera (ou utilisez votre badge ou votre clé de sécurité), puis réessayez.',
    retry: 'Réessayer',
    refusedTitle: 'Connexion refusée',
    refusedBody: 'La preuve de connexion envoyée par le poste a été refusée. Réessayez ; si le problème persiste, contactez le support informatique en indiquant le code ci-dessous.',
    code: 'Code',
    errorTitle: 'Erreur',
    errorBody: 'La demande de connexion n’a pas pu aboutir.',
    logoutTitle: 'Déconnexion',
    logoutQuestion: 'Voulez-vous vous déconnecter ?',
    logoutYes: 'Oui, me déconnecter',
    logoutNo: 'Non, rester connecté',
    loggedOut: 'Vous êtes déconnecté.',
  },
  en: {
    signInTitle: 'Sign in',
    signInHeading: 'Sign in to Tessera on this workstation',
    signInBody: 'No Tessera session is open on this workstation. Insert your CPS card in the reader and type your PIN in Tessera (or use your badge or security key), then try again.',
    retry: 'Try again',
    refusedTitle: 'Sign-in refused',
    refusedBody: 'The sign-in proof sent by the workstation was refused. Try again; if it keeps failing, contact IT support with the code below.',
    code: 'Code',
    errorTitle: 'Error',
    errorBody: 'The sign-in request could not be completed.',
    logoutTitle: 'Sign out',
    logoutQuestion: 'Do you want to sign out?',
    logoutYes: 'Yes, sign me out',
    logoutNo: 'No, stay signed in',
    loggedOut: 'You are signed out.',
  },
} as const;

/** No session at the agent (or no agent configured): ask the person to sign in to Tessera, with a retry link. */
export function signInPage(lang: PageLang, retryHref: string): string {
  const t = TEXT[lang];
  return page(lang, t.signInTitle, `<h1>${t.signInHeading}</h1><p>${t.signInBody}</p><p><a class="button" id="retry" href="${escapeHtml(retryHref)}">${t.retry}</a></p>`);
}

export function refusedPage(lang: PageLang, reason: string, retryHref: string): string {
  const t = TEXT[lang];
  return page(lang, t.refusedTitle, `<h1>${t.refusedTitle}</h1><p>${t.refusedBody}</p><p>${t.code} : <code id="reason">${escapeHtml(reason)}</code></p><p><a class="button" href="${escapeHtml(retryHref)}">${t.retry}</a></p>`);
}

export function errorPage(lang: PageLang, error: string, description?: string): string {
  const t = TEXT[lang];
  return page(lang, t.errorTitle, `<h1>${t.errorTitle}</h1><p>${t.errorBody}</p><p>${t.code} : <code id="error">${escapeHtml(error)}</code></p>${description ? `<p>${escapeHtml(description)}</p>` : ''}`);
}

/** `form` is oidc-provider's hidden logout form (id `op.logoutForm`). */
export function logoutPage(lang: PageLang, form: string): string {
  const t = TEXT[lang];
  return page(lang, t.logoutTitle, `<h1>${t.logoutQuestion}</h1>${form}<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">${t.logoutYes}</button><button class="secondary" type="submit" form="op.logoutForm">${t.logoutNo}</button>`);
}

export function loggedOutPage(lang: PageLang): string {
  const t = TEXT[lang];
  return page(lang, t.logoutTitle, `<h1>${t.loggedOut}</h1>`);
}
