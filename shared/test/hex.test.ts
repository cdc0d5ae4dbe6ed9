import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex, hexToBytes, isHex, isAddress, normalizeAddress, equalBytes } from '../src/hex.js';
import { isLightNodeError } from '../src/errors.js';

test('bytesToHex / hexToBytes round trip every byte value', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const hex = bytesToHex(all);
  assert.is(hex.length, 2 + 512);
  assert.is(hex, '0x' + Buffer.from(all).toString('hex'));
  assert.ok(equalBytes(hexToBytes(hex), all));
  assert.ok(equalBytes(hexToBytes(hex.toUpperCase().replace('0X', '0x')), all));
});

test('hexToBytes refuses non-hex, odd length, missing prefix and wrong length with a code', () => {
  for (const bad of ['', '0x0', 'abcd', '0xzz', '0x12 ', 12, null, '0x' + '00'.repeat(31)]) {
    try {
      hexToBytes(bad, bad === '0x' + '00'.repeat(31) ? 32 : undefined);
      assert.unreachable(`accepted ${String(bad)}`);
    } catch (e) {
      assert.ok(isLightNodeError(e, 'PROTO_HEX_INVALID'), String(e));
    }
  }
  assert.equal(hexToBytes('0x'), new Uint8Array(0));
});

test('isHex with byte length, isAddress and normalizeAddress', () => {
  assert.ok(isHex('0xAbCd', 2));
  assert.not.ok(isHex('0xabcd', 3));
  const addr = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
  assert.ok(isAddress(addr));
  assert.is(normalizeAddress(addr), addr.toLowerCase());
  assert.throws(() => normalizeAddress('0x1234'), (e: unknown) => isLightNodeError(e, 'PROTO_ADDRESS_INVALID'));
});

test.run();
