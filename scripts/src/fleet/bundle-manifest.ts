/** Bundle manifest checks (filled in by the bundle module). */
export function checkEnrollBundle(_dir: string, _pod: string): void {}
