// Pure parts of `fleet status` (the registry ⋈ BAL join and its flags) and the progress
// reporter (bar on a terminal, plain lines otherwise).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { joinStatus, formatStatus, type BalNode } from '../../src/fleet/fleet-status.js';
import type { PodEntry } from '../../src/fleet/list-pods.js';
import { makeProgress } from '../../src/fleet/progress.js';

const NOW = 1_800_000_000_000;
const entry = (pod: string, state: 'active' | 'revoked' = 'active'): PodEntry => ({ pod, device: state === 'active' ? '0xabc' : null, state, sinceMs: NOW - 1e7, changes: 1, lastBlock: 1 });
const balNode = (pod: string, o: Partial<BalNode>): BalNode => ({ pod, device: '0xabc', lastSeenMs: NOW - 1000, lastSeq: 10, gaps: 0, rejected: 0, stored: 11, ...o });

test('status flags: never seen, silent past the threshold, gaps, rejects, revoked, not in registry', () => {
  const rows = joinStatus(
    [entry('IT001E00000001'), entry('IT001E00000002'), entry('IT001E00000003'), entry('IT001E00000004'), entry('IT001E00000005', 'revoked'), entry('IT001E00000006')],
    [
      balNode('IT001E00000002', { lastSeenMs: NOW - 61 * 60_000 }),
      balNode('IT001E00000003', { gaps: 4 }),
      balNode('IT001E00000004', { rejected: 2, lastSeenMs: NOW - 59 * 60_000 }),
      balNode('IT001E00000005', { lastSeenMs: NOW - 1e8 }),
      balNode('IT001E00000006', {}),
      balNode('IT001E00000099', {}),
    ],
    NOW, 60 * 60_000,
  );
  const flags = Object.fromEntries(rows.map((r) => [r.pod, r.flags]));
  assert.equal(flags, {
    IT001E00000001: ['never-seen'],
    IT001E00000002: ['silent'],
    IT001E00000003: ['gaps'],
    IT001E00000004: ['rejects'],
    IT001E00000005: ['revoked'],          // a revoked PoD is expected to be silent
    IT001E00000006: [],
    IT001E00000099: ['not-in-registry'],
  });
  const text = formatStatus(rows, NOW);
  assert.match(text, /IT001E00000001\s+never/);
  assert.match(text, /never-seen: 1, silent: 1, gaps: 1, rejects: 1, revoked: 1, ok: 1, not-in-registry: 1/);
});

test('progress: a redrawn bar on a terminal, one line per update otherwise', () => {
  let tty = '';
  const p = makeProgress(200, 'import', { write: (s: string) => (tty += s), isTTY: true });
  p.update(0); p.update(100, 'tx 0x12'); p.update(200); p.finish();
  assert.match(tty, /\r\x1b?.*import \[#{15}-{15}\] 100\/200 50% tx 0x12/);
  assert.match(tty, /import 200\/200 done\x1b\[K\n$/);
  assert.not.match(tty.slice(0, -1), /\n/); // redrawn in place until the end
  let plain = '';
  const q = makeProgress(200, 'import', { write: (s: string) => (plain += s), isTTY: false });
  q.update(100, 'tx 0x12'); q.update(200); q.finish();
  assert.equal(plain.split('\n').filter(Boolean), ['import 100/200 (50%) tx 0x12', 'import 200/200 (100%) ']);
});

test.run();
