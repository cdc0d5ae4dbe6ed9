/** `fleet bundle` and `fleet flash` command handlers (filled in by the bundle module). */
import type { CliIo, CliValues } from './cli.js';
import type { GlobalOptions } from './context.js';
import { FleetCode, FleetError } from './errors.js';

/** fleet bundle … */
export async function runBundleCommand(_values: CliValues, _g: GlobalOptions, _io: CliIo): Promise<number> {
  throw new FleetError(FleetCode.USAGE, 'bundle: not implemented yet');
}

/** fleet flash … */
export async function runFlashCommand(_values: CliValues, _io: CliIo): Promise<number> {
  throw new FleetError(FleetCode.USAGE, 'flash: not implemented yet');
}
