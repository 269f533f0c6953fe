/** Start-up: settings, then the session; signed out → the sign-in page, signed in → the console. */
import { useEffect, useState } from 'preact/hooks';
import { Session, type User } from '../auth/session';
import { type ConsoleConfig, loadConfig } from '../config';
import { ErrorMessage, Loading } from '../ui/common';
import { Shell } from './shell';

type Phase =
  | { readonly kind: 'starting' }
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'ready'; readonly config: ConsoleConfig; readonly session: Session; readonly user: User | null };

export function Boot() {
  const [phase, setPhase] = useState<Phase>({ kind: 'starting' });
  const [signInError, setSignInError] = useState<unknown>(null);

  useEffect(() => {
    let off: (() => void) | undefined;
    (async () => {
      const config = await loadConfig();
      let session: Session;
      try {
        session = await Session.start(config);
      } catch (err) {
        // A failed login (refused, replayed code) still lets the user try again.
        setSignInError(err);
        session = await Session.start(config);
      }
      setPhase({ kind: 'ready', config, session, user: session.user && (await tokenOrNull(session)) });
      off = session.onChange((user) => setPhase({ kind: 'ready', config, session, user }));
    })().catch((error: unknown) => setPhase({ kind: 'failed', error }));
    return () => off?.();
  }, []);

  if (phase.kind === 'starting') {
    return (
      <div class="splash">
        <Loading what="the console" />
      </div>
    );
  }
  if (phase.kind === 'failed') {
    return (
      <div class="splash">
        <h1>Meridian</h1>
        <ErrorMessage error={phase.error} onRetry={() => window.location.reload()} />
      </div>
    );
  }
  if (!phase.user) return <SignIn session={phase.session} error={signInError} />;
  return <Shell config={phase.config} session={phase.session} user={phase.user} />;
}

const tokenOrNull = (session: Session): Promise<User | null> =>
  session.token().then(
    () => session.user,
    () => null,
  );

function SignIn({ session, error }: { session: Session; error: unknown }) {
  const [busy, setBusy] = useState(false);
  return (
    <main class="splash">
      <h1>Meridian</h1>
      <p>Live assets, zones, missions and tracks of your organisation.</p>
      <ErrorMessage error={error} />
      <button
        type="button"
        class="primary"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          void session.signIn();
        }}
      >
        Sign in
      </button>
    </main>
  );
}
