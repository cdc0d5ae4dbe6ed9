/**
 * CRC-CCITT as C37.118.2-2011 §6.2 (Table 2, CHK) and Annex B define it: polynomial 0x1021,
 * initial value 0xFFFF, no reflection, no final XOR (the "CRC-16/CCITT-FALSE" variant; check
 * value of ASCII "123456789" is 0x29B1). Table-driven: a 50 fps stream checks every frame.
 */

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let b = 0; b < 8; b++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

/** CRC-CCITT (0xFFFF init, poly 0x1021) of `bytes[start, end)`. */
export function crcCcitt(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}
