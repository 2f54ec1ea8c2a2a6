/**
 * The window: a banner with the sections, and in the main area either what the person must
 * do now (a prompt) or the chosen section (status, enrolment, settings). Talks to the agent
 * only through the validated `TesseraApi`.
 */
import { useCallback, useEffect, useState } from 'react';
import type { EnrolKind } from '../shared/enrolment.js';
import type { TesseraApi } from '../shared/ipc-contract.js';
import type { Prompt } from '../shared/prompt.js';
import type { SettingsView } from '../shared/settings.js';
import { statusWords, type Language } from '../shared/status-text.js';
import { isTwoFactorSession } from '../shared/status-view.js';
import { EnrolWizard } from './EnrolWizard.js';
import { languageOf, windowWords, type WindowWords } from './i18n.js';
import { PromptScreen } from './PromptScreen.js';
import { SettingsScreen } from './SettingsScreen.js';
import { StatusScreen } from './StatusScreen.js';
import { useAgent, type StatusReading } from './use-agent.js';

export type Section = { name: 'status' } | { name: 'enrol'; kind?: EnrolKind } | { name: 'settings' };

/** `#enrol-badge`, `#settings`…: how the tray opens the window on a section. */
export function sectionOf(hash: string): Section {
  switch (hash.replace(/^#/, '')) {
    case 'enrol':
      return { name: 'enrol' };
    case 'enrol-badge':
      return { name: 'enrol', kind: 'badge' };
    case 'enrol-fido2':
      return { name: 'enrol', kind: 'fido2' };
    case 'settings':
      return { name: 'settings' };
    default:
      return { name: 'status' };
  }
}

/** "Tessera — État de la session", "Tessera — Settings": the product and the section, in the screens' language. */
export function windowTitle(language: Language, section: Section['name']): string {
  const words = windowWords[language];
  return `${statusWords[language].product} — ${section === 'status' ? words.heading : words.nav[section]}`;
}

export interface AppProps {
  api: TesseraApi | null;
  systemLanguage: Language;
  initialHash: string;
}

export function App({ api, systemLanguage, initialHash }: AppProps) {
  const [language, setLanguage] = useState<Language>(systemLanguage);
  const [section, setSection] = useState<Section>(() => sectionOf(initialHash));
  const [dismissed, setDismissed] = useState<Prompt | null>(null);
  const { reading, prompt } = useAgent(api);
  const words = windowWords[language];

  const applySettings = useCallback((view: SettingsView) => setLanguage(languageOf(view.values.language, systemLanguage)), [systemLanguage]);


  useEffect(() => {
    if (!api) return;
    void api.getSettings().then((answer) => {
      if (answer.ok) applySettings(answer.value);
    });
  }, [api, applySettings]);

  useEffect(() => {
    const follow = () => setSection(sectionOf(window.location.hash));
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);

  const status = reading.kind === 'status' ? reading.status : null;
  const sections: Section['name'][] = ['status'];
  if (status && isTwoFactorSession(status) && status.allowed.enrol.length > 0) sections.push('enrol');
  if (status?.allowed.settings) sections.push('settings');
  const shown = sections.includes(section.name) ? section : { name: 'status' as const };
  const activePrompt = prompt.kind !== 'none' && prompt !== dismissed ? prompt : null;

  // The page's language and title (the window's title in Electron) follow a change in Settings at once.
  const title = windowTitle(language, shown.name);
  useEffect(() => {
    document.documentElement.lang = language;
    document.title = title;
  }, [language, title]);
  const covered = api !== null && activePrompt !== null;

  return (
    <>
      <header className="banner">
        <h1 className="product">{statusWords[language].product}</h1>
        {sections.length > 1 && !activePrompt && (
          <nav aria-label={words.nav.label}>
            <ul className="tabs">
              {sections.map((name) => (
                <li key={name}>
                  <button type="button" className="tab" aria-current={shown.name === name ? 'page' : undefined} onClick={() => setSection(sectionOf(name))}>
                    {words.nav[name]}
                  </button>
                </li>
              ))}
            </ul>
          </nav>
        )}
      </header>
      <main>
        {api && activePrompt && <PromptScreen prompt={activePrompt} api={api} words={words} onDismiss={() => setDismissed(activePrompt)} />}
        {/* Kept mounted under a prompt: an enrolment in progress keeps its steps while the
            prompt (present the badge, its PIN) covers it, and shows the outcome after. */}
        <div hidden={covered}>
          <Body reading={reading} api={api} section={shown} language={language} words={words} covered={covered} onSection={setSection} onSettings={applySettings} />
        </div>
      </main>
    </>
  );
}

interface BodyProps {
  reading: StatusReading;
  api: TesseraApi | null;
  section: Section;
  language: Language;
  words: WindowWords;
  /** A prompt covers the section (hidden, still mounted). */
  covered: boolean;
  onSection(section: Section): void;
  onSettings(view: SettingsView): void;
}

function Body({ reading, api, section, language, words, covered, onSection, onSettings }: BodyProps) {
  if (!api || reading.kind === 'absent') {
    return (
      <section className="status">
        <p className="session session-absent">{words.notConnected}</p>
        <p className="muted">{words.notConnectedHelp}</p>
      </section>
    );
  }
  if (reading.kind === 'loading') return <p className="session">{words.loading}</p>;
  if (reading.kind === 'failed') {
    return (
      <p className="session session-failed" role="alert">
        {words.readFailed}
      </p>
    );
  }
  const { status } = reading;
  switch (section.name) {
    case 'enrol':
      return <EnrolWizard status={status} api={api} words={words} initialKind={section.kind} covered={covered} onClose={() => onSection({ name: 'status' })} />;
    case 'settings':
      return <SettingsScreen api={api} words={words} allowed={status.allowed.settings} onSaved={onSettings} />;
    case 'status':
      return <StatusScreen status={status} api={api} language={language} words={words} onEnrol={() => onSection({ name: 'enrol' })} />;
  }
}
