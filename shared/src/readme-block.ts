/**
 * A generated block of a README: the text between an opening and a closing marker comment.
 * The config tables (`config-table.ts`) and the error-code tables (`error-table.ts`) are kept
 * in their READMEs this way, so a test can compare them with what the code generates.
 */
import { LightNodeError } from './errors.js';

/** The text between `open` and the next `close` in `readme`, or undefined when a marker is missing. */
export function readmeBlock(readme: string, open: string, close: string): string | undefined {
  const start = readme.indexOf(open);
  const end = start < 0 ? -1 : readme.indexOf(close, start + open.length);
  return end < 0 ? undefined : readme.slice(start + open.length, end);
}

/** `readme` with the text between the markers replaced by `content`. Throws CONFIG_TABLE_MARKERS when a marker is missing. */
export function withReadmeBlock(readme: string, open: string, close: string, content: string): string {
  const start = readme.indexOf(open);
  const end = start < 0 ? -1 : readme.indexOf(close, start + open.length);
  if (end < 0) throw new LightNodeError('CONFIG_TABLE_MARKERS', `no ${open.trim()} … ${close.trim()} in the README`, { open: open.trim() });
  return readme.slice(0, start + open.length) + content + readme.slice(end);
}
