/** Hooks and small components shared by the sections. */
import { createContext } from 'preact';
import { useContext, useEffect, useState, useCallback } from 'preact/hooks';
import { html } from '../html.js';
import type { Live, LiveType } from '../live.js';
import type { User } from '../api.js';
import { shortHex } from '../format.js';

export interface Settings { offlineAfterMs: number; explorerBaseUrl: string | null; chainId: number; contracts: { podRegistry: string; readingAnchor: string } }
export interface Ctx { user: User; live: Live; settings: Settings; notify(text: string): void }
export const AppCtx = createContext<Ctx>(null as unknown as Ctx);
export const useApp = (): Ctx => useContext(AppCtx);

/** Run `fn` on every live event of `types`. */
export function useLive(types: LiveType[], fn: (type: LiveType, data: any) => void): void {
  const { live } = useApp();
  useEffect(() => live.on((t, d) => { if (types.includes(t)) fn(t, d); }), [live, fn, types.join()]);
}

/** A value loaded by `load`, reloaded by `reload()`; errors kept for display. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    load().then((d) => { if (live) { setData(d); setError(null); } }, (e: Error) => { if (live) setError(e.message); });
    return () => { live = false; };
  }, [...deps, n]);
  return { data, error, reload: useCallback(() => setN((x) => x + 1), []) };
}

/** The current time, ticking every `everyMs`. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => { const t = setInterval(() => setNow(Date.now()), everyMs); return () => clearInterval(t); }, [everyMs]);
  return now;
}

/** A status chip: text always says the state (colour is never the only cue). */
export function Badge({ kind, text }: { kind: string; text?: string }) {
  return html`<span class=${`badge badge-${kind}`} data-status=${kind}>${text ?? kind}</span>`;
}

/** A hash, linked to the EIP-3091 explorer when one is configured. */
export function HashLink({ hash, kind }: { hash: string | null; kind: 'tx' | 'address' | 'block' }) {
  const { settings } = useApp();
  if (!hash) return html`<span>—</span>`;
  const text = kind === 'block' ? hash : shortHex(hash);
  if (!settings.explorerBaseUrl) return html`<code title=${hash}>${text}</code>`;
  return html`<a href=${`${settings.explorerBaseUrl}/${kind}/${hash}`} target="_blank" rel="noopener noreferrer" title=${hash}><code>${text}</code></a>`;
}

export function ErrorNote({ error }: { error: string | null }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}
