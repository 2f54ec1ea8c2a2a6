/**
 * Enrolment wizard: inside a two-factor session, enrol a badge or a FIDO2 key, with the steps
 * as the core reports them and a clear outcome.
 */
import { useEffect, useRef, useState } from 'react';
import type { EnrolKind, EnrolProgress, EnrolStep } from '../shared/enrolment.js';
import type { TesseraApi } from '../shared/ipc-contract.js';
import { isTwoFactorSession, type StatusView } from '../shared/status-view.js';
import { FeedbackLine, useAction } from './action-feedback.js';
import type { WindowWords } from './i18n.js';

export interface EnrolWizardProps {
  status: StatusView;
  api: TesseraApi;
  words: WindowWords;
  /** Preselected kind (from the tray's "Enrol a badge / key"). */
  initialKind?: EnrolKind;
  /** A prompt covers the wizard (it stays mounted, hidden): the outcome takes the focus once uncovered. */
  covered?: boolean;
  onClose(): void;
}

type Wizard = { phase: 'choose' } | { phase: 'running'; progress: EnrolProgress };

const shownSteps = ['present', 'writing', 'registering', 'done'] as const;

function stepIndex(step: EnrolStep): number {
  return step === 'failed' ? -1 : shownSteps.indexOf(step);
}

export function EnrolWizard({ status, api, words, initialKind, covered = false, onClose }: EnrolWizardProps) {
  const w = words.enrol;
  const [wizard, setWizard] = useState<Wizard>({ phase: 'choose' });
  const { feedback, run, busy } = useAction(words);
  // Progress may arrive before enrol() answers: keep the latest per enrolment id.
  const latest = useRef(new Map<string, EnrolProgress>());
  const current = useRef<string | null>(null);
  const outcome = useRef<HTMLParagraphElement>(null);

  useEffect(
    () =>
      api.onEnrolProgress((p) => {
        latest.current.set(p.enrolmentId, p);
        if (p.enrolmentId === current.current) setWizard({ phase: 'running', progress: p });
      }),
    [api],
  );

  const finished = wizard.phase === 'running' && (wizard.progress.step === 'done' || wizard.progress.step === 'failed');
  useEffect(() => {
    if (finished && !covered) outcome.current?.focus();
  }, [finished, covered]);

  if (!isTwoFactorSession(status)) {
    return (
      <section className="enrol" aria-labelledby="enrol-heading">
        <h2 id="enrol-heading">{w.heading}</h2>
        <p className="message">{w.needsTwoFactor}</p>
      </section>
    );
  }

  const start = async (kind: EnrolKind) => {
    const started = await run(() => api.enrol({ kind }));
    if (!started) return;
    current.current = started.enrolmentId;
    const known = latest.current.get(started.enrolmentId);
    setWizard({ phase: 'running', progress: known ?? { enrolmentId: started.enrolmentId, kind, step: 'present' } });
  };

  const kinds = status.allowed.enrol;
  if (wizard.phase === 'choose') {
    const ordered = initialKind && kinds.includes(initialKind) ? [initialKind, ...kinds.filter((k) => k !== initialKind)] : kinds;
    return (
      <section className="enrol" aria-labelledby="enrol-heading">
        <h2 id="enrol-heading">{w.heading}</h2>
        <p>{w.intro}</p>
        <div className="actions actions-column">
          {ordered.map((kind) => (
            <button key={kind} type="button" className="button" disabled={busy || status.agent === 'error'} onClick={() => void start(kind)}>
              {w.start[kind]}
            </button>
          ))}
        </div>
        <FeedbackLine feedback={feedback} />
      </section>
    );
  }

  const { progress } = wizard;
  const at = stepIndex(progress.step);
  const failedAt = progress.step === 'failed';
  return (
    <section className="enrol" aria-labelledby="enrol-heading">
      <h2 id="enrol-heading">{w.kind[progress.kind]}</h2>
      <ol className="steps" aria-label={w.progress}>
        {shownSteps.map((step, i) => {
          const state = failedAt ? 'pending' : i < at || progress.step === 'done' ? 'done' : i === at ? 'current' : 'pending';
          return (
            <li key={step} className={`step step-${state}`} aria-current={state === 'current' ? 'step' : undefined}>
              {w.steps[step][progress.kind]}
            </li>
          );
        })}
      </ol>
      {progress.step === 'done' && (
        <p className="message message-ok" role="status" tabIndex={-1} ref={outcome}>
          {w.done[progress.kind]}
        </p>
      )}
      {progress.step === 'failed' && (
        <p className="message message-error" role="alert" tabIndex={-1} ref={outcome}>
          {w.failed}. {w.failures[progress.failure]}
        </p>
      )}
      <div className="actions">
        {!finished && (
          <button type="button" className="button button-secondary" onClick={() => void run(() => api.cancelEnrol(progress.enrolmentId))}>
            {w.cancel}
          </button>
        )}
        {progress.step === 'failed' && (
          <button type="button" className="button" onClick={() => setWizard({ phase: 'choose' })}>
            {w.again}
          </button>
        )}
        {progress.step === 'done' && (
          <button type="button" className="button" onClick={onClose}>
            {w.close}
          </button>
        )}
      </div>
      <FeedbackLine feedback={feedback} />
    </section>
  );
}
