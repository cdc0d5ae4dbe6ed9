/**
 * A site template is the site-dependent part of an agent config (edge/README.md "Configuration"),
 * so it is validated against the agent's own schema when it is loaded: a typo or a bad value fails
 * at `fleet bundle` on the operator's machine, naming the field, not at first boot on a device.
 */
import { isLightNodeError } from '@lightnode/shared/errors';
import { validateConfig } from '@lightnode/edge/config';
import { FleetCode, FleetError } from './errors.js';

/** Stand-ins for what a bundle sets per PoD (the template may not set them). */
const PER_BUNDLE = { pod: 'IT000E00000000', chain: { chainId: 1, podRegistry: `0x${'00'.repeat(20)}` } };

/** Throws FLEET_USAGE `site template <path>: <field>: expected …, found …` when the agent would refuse the template. */
export function checkSiteTemplate(path: string, config: Record<string, unknown>): void {
  try {
    validateConfig({ ...config, ...PER_BUNDLE });
  } catch (err) {
    if (!isLightNodeError(err, 'CONFIG_INVALID')) throw err;
    throw new FleetError(FleetCode.USAGE, `site template ${path}: ${err.message}`, { field: err.details['field'] });
  }
}
