/**
 * Command frames (C37.118.2-2011 §6.5 Table 13, Table 14) sent by a PDC to a PMU, and header
 * frames (§6.6), the PMU's free-text description. Command codes: 1 data off, 2 data on,
 * 3 send header, 4 send CFG-1, 5 send CFG-2, 6 send CFG-3 (2011), 8 extended frame; other codes
 * are reserved or user-defined and are decoded as their number.
 */
import { ValidationError } from '../errors.js';
import { beginFrame, closeFrame, openFrame, type FrameHead } from './frame.js';

export const COMMANDS = { dataOff: 1, dataOn: 2, sendHeader: 3, sendCfg1: 4, sendCfg2: 5, sendCfg3: 6, extended: 8 } as const;
export type CommandName = keyof typeof COMMANDS;

/** A decoded command frame. */
export interface CommandFrame extends FrameHead {
  type: 'cmd';
  /** CMD word. */
  cmd: number;
  /** Extended frame data (up to 65518 bytes), empty for the plain commands; as 0x-less hex. */
  extended: string;
}

/** A decoded header frame. */
export interface HeaderFrame extends FrameHead {
  type: 'header';
  /** Human-readable description (ASCII per the standard; decoded as UTF-8 leniently). */
  text: string;
}

/** Name of a command code, or null for a reserved/user-defined code. */
export function commandName(cmd: number): CommandName | null {
  return (Object.keys(COMMANDS) as CommandName[]).find((k) => COMMANDS[k] === cmd) ?? null;
}

/** Decode a complete command frame. */
export function decodeCommandFrame(bytes: Uint8Array): CommandFrame {
  const { type, head, body: r } = openFrame(bytes);
  if (type !== 'cmd') throw new ValidationError('C37_FRAME_TYPE_UNKNOWN', 'SYNC.frameType', 'a command frame', type);
  const cmd = r.u16('CMD');
  const extended = [...r.raw(r.remaining(), 'EXTFRAME')].map((b) => b.toString(16).padStart(2, '0')).join('');
  return { type, ...head, cmd, extended };
}

/** Encode a command frame. */
export function encodeCommandFrame(f: Omit<CommandFrame, 'type' | 'extended'> & { extended?: string }): Uint8Array {
  const w = beginFrame('cmd', f);
  w.u16('CMD', f.cmd);
  const ext = f.extended ?? '';
  if (typeof ext !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(ext)) throw new ValidationError('C37_FIELD_INVALID', 'extended', 'lower-case hex of whole bytes', ext);
  if (ext) w.raw('EXTFRAME', Uint8Array.from(ext.match(/../g)!.map((h) => parseInt(h, 16))));
  return closeFrame(w);
}

/** Decode a complete header frame. */
export function decodeHeaderFrame(bytes: Uint8Array): HeaderFrame {
  const { type, head, body: r } = openFrame(bytes);
  if (type !== 'header') throw new ValidationError('C37_FRAME_TYPE_UNKNOWN', 'SYNC.frameType', 'a header frame', type);
  const raw = r.raw(r.remaining(), 'DATA');
  let text: string;
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(raw); }
  catch { throw new ValidationError('C37_FIELD_INVALID', 'DATA', 'ASCII/UTF-8 text', `bytes(${raw.length})`); }
  return { type, ...head, text };
}

/** Encode a header frame. */
export function encodeHeaderFrame(f: Omit<HeaderFrame, 'type'>): Uint8Array {
  if (typeof f.text !== 'string') throw new ValidationError('C37_FIELD_INVALID', 'text', 'a string', f.text);
  const w = beginFrame('header', f);
  w.raw('DATA', new TextEncoder().encode(f.text));
  return closeFrame(w);
}
