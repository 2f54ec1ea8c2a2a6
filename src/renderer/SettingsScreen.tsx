/** Settings: only what the policy lets this user change; the rest is shown as set by the establishment. */
import { useEffect, useState, type FormEvent } from 'react';
import type { TesseraApi } from '../shared/ipc-contract.js';
import { languageChoices, type LanguageChoice, type SettingsView, type UserSettings } from '../shared/settings.js';
import { FeedbackLine, useAction } from './action-feedback.js';
import type { WindowWords } from './i18n.js';

export interface SettingsScreenProps {
  api: TesseraApi;
  words: WindowWords;
  /** False when the policy forbids user settings altogether (AllowUserSettings). */
  allowed: boolean;
  onSaved(view: SettingsView): void;
}

export function SettingsScreen({ api, words, allowed, onSaved }: SettingsScreenProps) {
  const w = words.settings;
  const [view, setView] = useState<SettingsView | null>(null);
  const [draft, setDraft] = useState<UserSettings | null>(null);
  const { feedback, run, busy } = useAction(words);

  useEffect(() => {
    let live = true;
    void run(() => api.getSettings()).then((loaded) => {
      if (!live || !loaded) return;
      setView(loaded);
      setDraft(loaded.values);
    });
    return () => {
      live = false;
    };
  }, [api, run]);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!view || !draft) return;
    const changes: Partial<UserSettings> = {};
    if (view.allowed.language && draft.language !== view.values.language) changes.language = draft.language;
    if (view.allowed.notifications && draft.notifications !== view.values.notifications) changes.notifications = draft.notifications;
    if (Object.keys(changes).length === 0) return;
    const saved = await run(() => api.setSettings(changes), w.saved);
    if (saved) {
      setView(saved);
      setDraft(saved.values);
      onSaved(saved);
    }
  };

  const editable = (name: keyof UserSettings) => allowed && view !== null && view.allowed[name];

  return (
    <section className="settings" aria-labelledby="settings-heading">
      <h2 id="settings-heading">{w.heading}</h2>
      {!allowed && <p className="message">{w.notAllowed}</p>}
      {view?.notice === 'settings_file_invalid' && (
        <p className="message message-error" role="alert">
          {w.fileInvalid}
        </p>
      )}
      {draft && view && (
        <form onSubmit={(e) => void save(e)}>
          <div className="field">
            <label htmlFor="setting-language">{w.language}</label>
            <select
              id="setting-language"
              value={draft.language}
              disabled={!editable('language')}
              aria-describedby={editable('language') ? undefined : 'setting-language-managed'}
              onChange={(e) => setDraft({ ...draft, language: e.target.value as LanguageChoice })}
            >
              {languageChoices.map((c) => (
                <option key={c} value={c}>
                  {w.languageChoice[c]}
                </option>
              ))}
            </select>
            {!editable('language') && (
              <span id="setting-language-managed" className="hint">
                {w.managed}
              </span>
            )}
          </div>
          <div className="field field-check">
            <input
              id="setting-notifications"
              type="checkbox"
              checked={draft.notifications}
              disabled={!editable('notifications')}
              aria-describedby={editable('notifications') ? undefined : 'setting-notifications-managed'}
              onChange={(e) => setDraft({ ...draft, notifications: e.target.checked })}
            />
            <label htmlFor="setting-notifications">{w.notifications}</label>
            {!editable('notifications') && (
              <span id="setting-notifications-managed" className="hint">
                {w.managed}
              </span>
            )}
          </div>
          {allowed && (
            <div className="actions">
              <button type="submit" className="button" disabled={busy}>
                {w.save}
              </button>
            </div>
          )}
        </form>
      )}
      <FeedbackLine feedback={feedback} />
    </section>
  );
}
