/**
 * One entry point for any received frame: dispatch on the SYNC frame type. Data frames need the
 * stream's configuration; without one they are refused with `C37_CONFIG_MISMATCH` (§6.4: a data
 * frame cannot be read without the CFG-2 that describes it).
 */
import { ValidationError } from '../errors.js';
import { decodeCommandFrame, decodeHeaderFrame, type CommandFrame, type HeaderFrame } from './command-frame.js';
import { decodeConfigFrame, type ConfigFrame } from './config-frame.js';
import { decodeConfig3Frame, type Config3Frame } from './config3-frame.js';
import { decodeDataFrame, type DataFrame, type StreamConfig } from './data-frame.js';
import { openFrame, peekFrameType } from './frame.js';

export type C37Frame = DataFrame | ConfigFrame | Config3Frame | CommandFrame | HeaderFrame;

/** Decode one complete frame of any type; `cfg` is the stream's configuration (needed for data frames). */
export function decodeFrame(bytes: Uint8Array, cfg?: StreamConfig): C37Frame {
  // Peek first so the CRC is computed once, by the decoder of the type; openFrame reports a bad SYNC.
  const type = bytes instanceof Uint8Array && bytes.length >= 2 && (bytes[1]! & 0x80) === 0 ? peekFrameType(bytes) : null;
  switch (type ?? openFrame(bytes).type) {
    case 'data':
      if (!cfg) throw new ValidationError('C37_CONFIG_MISMATCH', 'configuration', 'a CFG-2 or CFG-3 received before data frames', undefined);
      return decodeDataFrame(bytes, cfg);
    case 'cfg1':
    case 'cfg2':
      return decodeConfigFrame(bytes);
    case 'cfg3':
      return decodeConfig3Frame(bytes);
    case 'cmd':
      return decodeCommandFrame(bytes);
    case 'header':
      return decodeHeaderFrame(bytes);
  }
}
