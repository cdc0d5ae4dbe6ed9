/**
 * The page's REST client. The bearer token of `POST /api/login` lives in this module's memory
 * only — never localStorage or sessionStorage, never a cookie — so a reload means logging in
 * again and nothing on disk can be stolen. A 401 on any call ends the session in the page
 * (the server's session expired, was logged out or the user disabled).
 */

export type Role = 'admin' | 'producer' | 'consumer';
export interface User { username: string; role: Role; wallet: string; custody: string; enabled: boolean; createdAtMs: number; updatedAtMs: number; pods: string[] }
export interface SessionInfo { user: User; expiresAt: number }

export class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string) { super(message); }
}

let token: string | null = null;
let onEnded: ((why: 'expired' | 'logout') => void) | null = null;

/** Called once by the app: what to do when the session ends. */
export function onSessionEnd(fn: (why: 'expired' | 'logout') => void): void { onEnded = fn; }

/** Forget the token and tell the app. */
export function endSession(why: 'expired' | 'logout'): void {
  if (token === null) return;
  token = null;
  onEnded?.(why);
}

/** Call the API; JSON in and out. Throws ApiFailure with the server's `{ code, message }`. */
export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, cache: 'no-store', credentials: 'omit', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) {
    if (res.status === 401 && token && path !== '/api/login') endSession('expired');
    throw new ApiFailure(res.status, json?.code ?? 'HTTP', json?.message ?? `${res.status} ${res.statusText}`);
  }
  return json as T;
}

/** Log in; keeps the token in memory. */
export async function login(username: string, password: string): Promise<SessionInfo> {
  const r = await api<{ token: string; expiresAt: number; user: User }>('POST', '/api/login', { username, password });
  token = r.token;
  return { user: r.user, expiresAt: r.expiresAt };
}

/** Log out on the server (best effort), then in the page. */
export async function logout(): Promise<void> {
  try { await api('POST', '/api/logout'); } catch { /* the session may be gone already */ }
  endSession('logout');
}
