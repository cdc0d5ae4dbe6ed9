/**
 * The data frame's STAT word per PMU (C37.118.2-2011 §6.3 Table 7; bit 15 is the MSB).
 * Decoded for logs and readings; the raw word is kept because it is what the PMU signed off on.
 */

export interface Stat {
  /** Bits 15–14: 0 good, 1 PMU error/no information, 2 test mode or absent data, 3 PMU error. */
  dataError: 0 | 1 | 2 | 3;
  /** Bit 13 clear: in sync with a UTC-traceable source. */
  sync: boolean;
  /** Bit 12: data sorted by timestamp (clear) or by arrival (set). */
  sorting: 'timestamp' | 'arrival';
  /** Bit 11: a trigger is detected. */
  trigger: boolean;
  /** Bit 10: configuration change pending (set for a minute before CFGCNT changes). */
  cfgChange: boolean;
  /** Bit 9: data modified by a post-processing step. */
  modified: boolean;
  /** Bits 8–6: PMU time quality, 0 not used … 1 < 100 ns … 7 > 10 ms or unknown (2011). */
  timeQuality: number;
  /** Bits 5–4: time since sync was lost, 0 < 10 s, 1 < 100 s, 2 < 1000 s, 3 > 1000 s. */
  unlocked: 0 | 1 | 2 | 3;
  /** Bits 3–0: trigger reason code. */
  triggerReason: number;
  /** The 16-bit word as received. */
  raw: number;
}

/** Decode a STAT word. */
export function decodeStat(raw: number): Stat {
  return {
    dataError: ((raw >> 14) & 3) as Stat['dataError'],
    sync: (raw & 0x2000) === 0,
    sorting: raw & 0x1000 ? 'arrival' : 'timestamp',
    trigger: (raw & 0x0800) !== 0,
    cfgChange: (raw & 0x0400) !== 0,
    modified: (raw & 0x0200) !== 0,
    timeQuality: (raw >> 6) & 7,
    unlocked: ((raw >> 4) & 3) as Stat['unlocked'],
    triggerReason: raw & 0x0f,
    raw,
  };
}

/** Encode a STAT word from its fields (`raw` is ignored). */
export function encodeStat(s: Omit<Stat, 'raw'>): number {
  return (
    (s.dataError << 14) | (s.sync ? 0 : 0x2000) | (s.sorting === 'arrival' ? 0x1000 : 0) | (s.trigger ? 0x0800 : 0) |
    (s.cfgChange ? 0x0400 : 0) | (s.modified ? 0x0200 : 0) | ((s.timeQuality & 7) << 6) | ((s.unlocked & 3) << 4) | (s.triggerReason & 0x0f)
  );
}

/** STAT bit 10, the configuration-change-pending flag a PDC watches (§6.3 Table 7). */
export const STAT_CFG_CHANGE = 0x0400;
/** STAT bits 15–14 "PMU error" or "test mode/absent data": the values are not measurements. */
export function statDataInvalid(raw: number): boolean {
  return (raw >> 14) !== 0;
}
