/**
 * The Chain 2 message set as data (reference/chain2.md): one field table per message type, and
 * the mapping of payload fields to reading quantities. Adding a type adds rows, not code.
 * Units as the gateways report them: energy Wh, power W, times POSIX seconds, durations s.
 */

/** How a payload field is typed on the wire. */
export type FieldKind =
  | 'uint' //   safe integer >= 0 (counters, energy in Wh)
  | 'int' //    safe integer (power in W)
  | 'posix' //  safe integer >= 0, POSIX seconds
  | 'number' // finite number (RMS voltage in V)
  | 'string' // string of at most 256 characters
  | 'id'; //    string, or safe integer >= 0 (identifiers gateways send either way)

const tariff = (prefix: string) =>
  Object.fromEntries([1, 2, 3, 4, 5, 6].map((f) => [`${prefix}F${f}`, 'uint'])) as Record<`${string}F${1 | 2 | 3 | 4 | 5 | 6}`, 'uint'>;

/** Payload fields of each Chain2Data message type; every listed field is required. */
export const CHAIN2_TYPES = {
  CF1: { MeasurePosixTimestamp: 'posix', TariffCode: 'uint', TotalActEnergy: 'uint', CurrQuartActEnergy: 'uint', PrevQuartActEnergy: 'uint', InstantPower: 'int', QuartAveragePower: 'int' },
  CF21: { EventType: 'uint', EventsCounter: 'uint', EventPosixTimestamp: 'posix', InstantPower: 'int' },
  CF22: { EventType: 'uint', EventsCounter: 'uint', InstantPower: 'int', OutageDuration: 'uint' },
  CF23: { EventType: 'uint', EventsCounter: 'uint', OutageDuration: 'uint' },
  CF51: { EventType: 'uint', EventsCounter: 'uint', InstantPower: 'int', Gap: 'int' },
  CF5: { ...tariff('DailyTotalActEnergy'), DailyMaxInstantPower: 'int', DailyMaxInstantPowerDateTime: 'posix', DayType: 'uint' },
  CF9: {
    WeeklyVeffMin: 'number', WeeklyVeffMinDateTime: 'posix', WeeklyVeffMax: 'number', WeeklyVeffMaxDateTime: 'posix',
    CounterVeffBetween10Percent: 'uint', CounterVeffUpto15NegPercent: 'uint', CounterVeffUpto15PosPercent: 'uint',
    CounterVeffOver15PosPercent: 'uint', CounterVeffUnder15NegPercent: 'uint',
  },
  CF10: { ...tariff('MonthlyTotalActEnergy'), MonthlyMaxQuartAveragePower: 'int', MonthlyMaxQuartAveragePowerDateTime: 'posix' },
  CF20: {
    EventType: 'uint', EventsCounter: 'uint', CustomerCode: 'id', POD: 'string', PESSE: 'uint', Vendor: 'id', Phone: 'id',
    StartContract: 'posix', ContractPower: 'uint', AvailablePower: 'uint', FreezingDay: 'uint', Gap: 'int', DataPlate: 'id', K: 'number',
  },
} as const satisfies Record<string, Record<string, FieldKind>>;

export type Chain2Type = keyof typeof CHAIN2_TYPES;

/** Field kinds of the two other envelopes. Chain2State's fields vary by gateway: any scalar. */
export const CHAIN2_INFO_FIELDS = { Id: 'id', Ip: 'string', ProgId: 'id', CFcountFromBoot: 'uint' } as const satisfies Record<string, FieldKind>;

/** Which field carries the measurement time of a type (POSIX s); types without one use arrival time. */
export const CHAIN2_TIME_FIELD: Partial<Record<Chain2Type, string>> = {
  CF1: 'MeasurePosixTimestamp',
  CF21: 'EventPosixTimestamp',
};

/**
 * Payload field → reading quantity (see quantities.ts). Integers are carried exactly at scale 0
 * in the gateway's unit (Wh, W, s, count); RMS voltages (floats) go through toMeasurement.
 * Fields not listed (EventType, DayType, Gap, contract strings, times) are not measurements.
 */
export const CHAIN2_QUANTITIES: Record<Chain2Type, Record<string, string>> = {
  CF1: {
    TotalActEnergy: '1-0:1.8.0', CurrQuartActEnergy: '1-0:128.3.0', PrevQuartActEnergy: '1-0:128.3.1',
    InstantPower: '1-0:1.7.0', QuartAveragePower: '1-0:1.5.0', TariffCode: '0-0:96.14.0',
  },
  CF21: { InstantPower: '1-0:1.7.0', EventsCounter: '1-0:128.7.1' },
  CF22: { InstantPower: '1-0:1.7.0', OutageDuration: '1-0:128.7.0', EventsCounter: '1-0:128.7.1' },
  CF23: { OutageDuration: '1-0:128.7.0', EventsCounter: '1-0:128.7.1' },
  CF51: { InstantPower: '1-0:1.7.0', EventsCounter: '1-0:128.7.1' },
  CF5: {
    DailyTotalActEnergyF1: '1-0:128.4.1', DailyTotalActEnergyF2: '1-0:128.4.2', DailyTotalActEnergyF3: '1-0:128.4.3',
    DailyTotalActEnergyF4: '1-0:128.4.4', DailyTotalActEnergyF5: '1-0:128.4.5', DailyTotalActEnergyF6: '1-0:128.4.6',
    DailyMaxInstantPower: '1-0:128.6.0',
  },
  CF9: {
    WeeklyVeffMin: '1-0:12.3.0', WeeklyVeffMax: '1-0:12.6.0',
    CounterVeffBetween10Percent: '1-0:128.9.0', CounterVeffUpto15NegPercent: '1-0:128.9.1', CounterVeffUpto15PosPercent: '1-0:128.9.2',
    CounterVeffOver15PosPercent: '1-0:128.9.3', CounterVeffUnder15NegPercent: '1-0:128.9.4',
  },
  CF10: {
    MonthlyTotalActEnergyF1: '1-0:128.5.1', MonthlyTotalActEnergyF2: '1-0:128.5.2', MonthlyTotalActEnergyF3: '1-0:128.5.3',
    MonthlyTotalActEnergyF4: '1-0:128.5.4', MonthlyTotalActEnergyF5: '1-0:128.5.5', MonthlyTotalActEnergyF6: '1-0:128.5.6',
    MonthlyMaxQuartAveragePower: '1-0:1.6.0',
  },
  CF20: { ContractPower: '1-0:128.8.0', AvailablePower: '1-0:128.8.1', EventsCounter: '1-0:128.7.1' },
};
