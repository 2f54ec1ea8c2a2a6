/**
 * What the tray shows, as plain data: icon state, tooltip and menu items. `tray.ts` turns it
 * into Electron objects; tests check it directly.
 */
import { statusWords, trayTooltip, sessionLine, type Language } from '../../shared/status-text.js';
import { trayStateOf, type StatusView, type TrayState } from '../../shared/status-view.js';

export type TrayAction = 'show-status' | 'quit';

export type TrayMenuItem =
  | { kind: 'label'; label: string }
  | { kind: 'action'; action: TrayAction; label: string }
  | { kind: 'separator' };

export interface TrayModel {
  icon: TrayState;
  tooltip: string;
  menu: TrayMenuItem[];
}

const actionLabels: Record<Language, Record<TrayAction, string>> = {
  fr: { 'show-status': 'Afficher l’état…', quit: 'Quitter Tessera' },
  en: { 'show-status': 'Show status…', quit: 'Quit Tessera' },
};

export interface TrayModelOptions {
  language: Language;
  /** False when a managed policy forbids quitting the agent: the Quit item is then absent. */
  allowQuit: boolean;
}

export function trayModel(view: StatusView, options: TrayModelOptions): TrayModel {
  const labels = actionLabels[options.language];
  const menu: TrayMenuItem[] = [
    { kind: 'label', label: sessionLine(view, options.language) },
    { kind: 'separator' },
    { kind: 'action', action: 'show-status', label: labels['show-status'] },
  ];
  if (options.allowQuit) menu.push({ kind: 'separator' }, { kind: 'action', action: 'quit', label: labels.quit });
  return { icon: trayStateOf(view), tooltip: trayTooltip(view, options.language), menu };
}

/** Product name for window titles, from the same dictionary as the tray. */
export function productName(language: Language): string {
  return statusWords[language].product;
}
