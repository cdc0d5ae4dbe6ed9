// Serial line splitting: any chunking gives the same lines; over-long lines are dropped and
// reported without growing memory; CRLF and empty lines handled.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineSplitter, type SplitEvent } from '../../src/chain2/line-splitter.js';

const feed = (s: LineSplitter, chunks: (string | Buffer)[]) => chunks.flatMap((c) => s.push(typeof c === 'string' ? Buffer.from(c) : c));

test('lines come out whole whatever the chunking', () => {
  const text = '{"a":1}\n{"b":"è"}\r\n\n{"c":3}\n';
  const want: SplitEvent[] = [
    { kind: 'line', text: '{"a":1}' },
    { kind: 'line', text: '{"b":"è"}' },
    { kind: 'line', text: '{"c":3}' },
  ];
  const bytes = Buffer.from(text);
  for (let size = 1; size <= bytes.length; size++) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    assert.equal(feed(new LineSplitter(), chunks), want, `chunk size ${size}`);
  }
});

test('an unfinished line stays pending until its newline', () => {
  const s = new LineSplitter();
  assert.equal(s.push(Buffer.from('{"a"')), []);
  assert.equal(s.push(Buffer.from(':1}\n')), [{ kind: 'line', text: '{"a":1}' }]);
});

test('hostile: an over-long line is dropped up to its newline and reported once; the next line is fine', () => {
  const s = new LineSplitter({ maxLineBytes: 16 });
  const out = feed(s, ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(1000), '\n{"ok":1}\n']);
  assert.equal(out, [{ kind: 'too-long', bytes: 1020 }, { kind: 'line', text: '{"ok":1}' }]);
  // A line exactly at the limit passes.
  assert.equal(feed(new LineSplitter({ maxLineBytes: 4 }), ['abcd\n']), [{ kind: 'line', text: 'abcd' }]);
  assert.throws(() => new LineSplitter({ maxLineBytes: 0 }), RangeError);
});

test.run();
