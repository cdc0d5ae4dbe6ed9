import { LightNodeError } from '@lightnode/shared/errors';

/**
 * SIM_SERIAL_OPEN_FAILED naming the path, with the usual cause: a lab's pty pair not created yet.
 * Shared by the Modbus RTU lines and the Chain 2 gateway's serial line.
 */
export function serialOpenError(path: string, err: Error): LightNodeError {
  return new LightNodeError('SIM_SERIAL_OPEN_FAILED',
    `cannot open serial line ${path}: ${err.message.replace(/^Error: /, '')}; for a lab, create it first, e.g. socat -d -d pty,raw,echo=0,link=${path} pty,raw,echo=0,link=${path}-client`,
    { path }, { cause: err });
}
