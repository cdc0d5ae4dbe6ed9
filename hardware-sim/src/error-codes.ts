/**
 * Error codes of the hardware simulator (`SIM_`), each with its one-line meaning. Merged into
 * `ErrorCode` of @lightnode/shared/errors, so a misspelt code fails the typecheck;
 * shared/test/error-catalogue.test.ts checks that every code used in hardware-sim/src is here.
 */
import type { CodesOf } from '@lightnode/shared/errors';

export const SIM_ERRORS = {
  SIM_DEVICE_UNKNOWN: 'no simulated device with that id',
  SIM_EMS_MODE_INVALID: 'EMS mode not one the simulated EMS knows',
  SIM_EMS_SETPOINT_OUT_OF_RANGE: 'setpoint outside the simulated EMS limits',
  SIM_FAULT_INVALID: 'a fault injection request is invalid',
  SIM_INTERNAL: 'unexpected failure in the simulator (a bug)',
  SIM_MQTT_UNREACHABLE: 'the EMS simulator cannot reach its MQTT broker at start',
  SIM_REQUEST_INVALID: 'a control API or MQTT request is malformed',
  SIM_ROUTE_UNKNOWN: 'no control API route for that path',
  SIM_SERIAL_OPEN_FAILED: 'the serial port cannot be opened',
  SIM_START_FAILED: 'the lab did not start',
  SIM_TEMPLATE_INVALID: 'a device template is invalid, unreadable or names an unknown source or unit',
  SIM_VALUES_INVALID: 'values set through the control API are invalid',
} as const;

declare module '@lightnode/shared/errors' {
  interface ErrorCodes extends CodesOf<typeof SIM_ERRORS> {}
}
