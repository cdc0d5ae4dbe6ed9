/**
 * Live updates: one EventSource per session on GET /api/events, opened with a single-use
 * ticket (EventSource sends no Authorization header, and the token must not be in a URL).
 * When the stream drops, a new ticket is fetched and the stream reopened; the server's
 * `expired` event ends the session in the page.
 */
import { api, endSession } from './api.js';

export type LiveType = 'node' | 'readings' | 'anchor' | 'subscription';
type Listener = (type: LiveType, data: any) => void;

const TYPES: LiveType[] = ['node', 'readings', 'anchor', 'subscription'];

export interface Live {
  on(fn: Listener): () => void;
  /** 'connecting' | 'live' | 'closed', for the status strip. */
  readonly state: string;
  onState(fn: (s: string) => void): void;
  close(): void;
}

/** Open the stream for the logged-in session. */
export function openLive(): Live {
  const listeners = new Set<Listener>();
  let es: EventSource | null = null;
  let closed = false;
  let state = 'connecting';
  let stateFn: ((s: string) => void) | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  const setState = (s: string): void => { state = s; stateFn?.(s); };

  const connect = async (): Promise<void> => {
    if (closed) return;
    setState('connecting');
    let ticket: string;
    try { ticket = (await api<{ ticket: string }>('POST', '/api/events/ticket')).ticket; } catch {
      if (!closed) retry = setTimeout(() => void connect(), 3000);
      return;
    }
    if (closed) return;
    es = new EventSource(`/api/events?ticket=${encodeURIComponent(ticket)}`);
    es.addEventListener('hello', () => setState('live'));
    for (const t of TYPES) es.addEventListener(t, (e) => { const d = JSON.parse((e as MessageEvent).data); listeners.forEach((fn) => fn(t, d)); });
    es.addEventListener('expired', () => { close(); endSession('expired'); });
    // A ticket is single use: EventSource's own reconnect would be refused, so reconnect here.
    es.onerror = () => {
      es?.close(); es = null;
      if (!closed) { setState('connecting'); retry = setTimeout(() => void connect(), 1000); }
    };
  };
  const close = (): void => { closed = true; if (retry) clearTimeout(retry); es?.close(); es = null; setState('closed'); };
  void connect();
  return {
    on(fn) { listeners.add(fn); return () => { listeners.delete(fn); }; },
    get state() { return state; },
    onState(fn) { stateFn = fn; fn(state); },
    close,
  };
}
