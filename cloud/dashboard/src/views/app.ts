/** The page: login, then the user's role section with its tabs; session end goes back to login. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api, login, logout, onSessionEnd, type SessionInfo } from '../api.js';
import { openLive, type Live } from '../live.js';
import { AppCtx, type Settings } from './common.js';
import { ConsumerSection } from './consumer.js';
import { ProducerSection } from './producer.js';
import { FleetView } from './fleet.js';
import { ReadingsView } from './readings.js';
import { AnchorsView } from './anchors.js';
import { UsersView } from './users.js';
import { VerifyPanel } from './verify-panel.js';

interface Tab { id: string; label: string; view: () => unknown }

const TABS: Record<string, Tab[]> = {
  admin: [
    { id: 'fleet', label: 'Fleet', view: () => html`<${FleetView} />` },
    { id: 'readings', label: 'Readings', view: () => html`<${ReadingsView} />` },
    { id: 'anchors', label: 'Anchors', view: () => html`<${AnchorsView} />` },
    { id: 'users', label: 'Users and subscriptions', view: () => html`<${UsersView} />` },
    { id: 'verify', label: 'Verify a receipt', view: () => html`<${VerifyPanel} />` },
  ],
  producer: [
    { id: 'producer', label: 'Requests and PoDs', view: () => html`<${ProducerSection} />` },
    { id: 'verify', label: 'Verify a receipt', view: () => html`<${VerifyPanel} />` },
  ],
  consumer: [
    { id: 'consumer', label: 'Producers and streams', view: () => html`<${ConsumerSection} />` },
    { id: 'verify', label: 'Verify a receipt', view: () => html`<${VerifyPanel} />` },
  ],
};

export function App() {
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => onSessionEnd((why) => {
    setSession(null);
    setNote(why === 'expired' ? 'Your session has expired. Please log in again.' : 'You are logged out.');
  }), []);
  // The server's session ends at expiresAt: leave then even if the page makes no call.
  useEffect(() => {
    if (!session) return;
    const t = setTimeout(() => { void logout().then(() => setNote('Your session has expired. Please log in again.')); }, Math.max(0, session.expiresAt - Date.now()));
    return () => clearTimeout(t);
  }, [session]);
  if (!session) return html`<${Login} note=${note} onLogin=${(s: SessionInfo) => { setNote(null); setSession(s); }} />`;
  return html`<${Shell} session=${session} />`;
}

function Login({ note, onLogin }: { note: string | null; onLogin: (s: SessionInfo) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const user = useRef<HTMLInputElement>(null);
  useEffect(() => {
    user.current?.focus();
    // Time to interactive, read by the browser tests.
    document.body.dataset.interactiveMs = String(Math.round(performance.now()));
  }, []);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    setBusy(true); setError(null);
    try { onLogin(await login(String(f.get('username') ?? ''), String(f.get('password') ?? ''))); } catch (err) {
      setError((err as Error).message);
    } finally { setBusy(false); }
  };
  return html`<main class="login" aria-labelledby="login-title">
    <h1 id="login-title">Light Node BAL</h1>
    ${note ? html`<p class="note" role="status">${note}</p>` : null}
    <form onSubmit=${submit} aria-describedby=${error ? 'login-error' : undefined}>
      <label for="username">Username</label>
      <input id="username" name="username" autocomplete="username" required ref=${user} />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required />
      <button type="submit" disabled=${busy}>${busy ? 'Logging in…' : 'Log in'}</button>
      ${error ? html`<p id="login-error" class="error" role="alert">${error}</p>` : null}
    </form>
  </main>`;
}

function Shell({ session }: { session: SessionInfo }) {
  const tabs = TABS[session.user.role] ?? [];
  const [tab, setTab] = useState(tabs[0]!.id);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [liveState, setLiveState] = useState('connecting');
  const [notice, setNotice] = useState('');
  const [settingsError, setSettingsError] = useState<string | null>(null);
  const live: Live = useMemo(() => openLive(), [session]);
  useEffect(() => { live.onState(setLiveState); return () => live.close(); }, [live]);
  useEffect(() => { api<Settings>('GET', '/api/dashboard/config').then(setSettings, (e: Error) => setSettingsError(e.message)); }, []);
  const heading = useRef<HTMLHeadingElement>(null);
  // After login, land in the content; later tab changes keep focus on the tab (WAI-ARIA tabs).
  useEffect(() => { heading.current?.focus(); }, []);
  const current = tabs.find((t) => t.id === tab) ?? tabs[0]!;
  // Arrow keys move between tabs (WAI-ARIA tabs pattern); Tab leaves the tab list.
  const onKey = (e: KeyboardEvent): void => {
    const i = tabs.findIndex((t) => t.id === tab);
    const j = e.key === 'ArrowRight' ? (i + 1) % tabs.length : e.key === 'ArrowLeft' ? (i - 1 + tabs.length) % tabs.length : -1;
    if (j < 0) return;
    e.preventDefault();
    setTab(tabs[j]!.id);
    (document.getElementById(`tab-${tabs[j]!.id}`) as HTMLElement | null)?.focus();
  };
  return html`<${AppCtx.Provider} value=${settings ? { user: session.user, live, settings, notify: setNotice } : null}>
    <header class="top">
      <span class="brand">Light Node BAL</span>
      <span class="live" data-live=${liveState}><span class="sr-only">Live updates: </span>${liveState === 'live' ? 'live' : liveState}</span>
      <span class="who">${session.user.username} <span class="role">(${session.user.role})</span></span>
      <button type="button" class="secondary" onClick=${() => void logout()}>Log out</button>
    </header>
    <nav aria-label="Sections">
      <div role="tablist" aria-label="Sections" onKeyDown=${onKey}>
        ${tabs.map((t) => html`<button type="button" role="tab" id=${`tab-${t.id}`} aria-selected=${t.id === tab} aria-controls="panel" tabIndex=${t.id === tab ? 0 : -1} onClick=${() => setTab(t.id)}>${t.label}</button>`)}
      </div>
    </nav>
    <main id="panel" role="tabpanel" aria-labelledby=${`tab-${current.id}`} data-view=${current.id}>
      <h1 tabIndex="-1" ref=${heading}>${current.label}</h1>
      ${settings ? current.view() : settingsError ? html`<p class="error" role="alert">${settingsError}</p>` : html`<p>Loading…</p>`}
    </main>
    <div class="sr-only" role="status" aria-live="polite">${notice}</div>
  </${AppCtx.Provider}>`;
}
