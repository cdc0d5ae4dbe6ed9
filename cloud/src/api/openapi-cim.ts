/** The CIM export of the OpenAPI document (issue 13; cim-routes.ts, cim-intervals.ts): its path and the MeterReadings schemas. */
import { pod, ref, errors, param, cursorParam, secured } from './openapi-parts.js';

export const CIM_SCHEMAS = {
  CimMeterReadings: {
    type: 'object', additionalProperties: false, required: ['Header', 'Reply'],
    description: 'IEC 61968-9 MeterReadings in its IEC 61968-100 ResponseMessage envelope; keys are the XSD element names (shared/README.md "CIM"). '
      + 'Values are decimal strings. Each Reading carries ReadingQualities with source lightnode:eip712-digest (the digest in comment) and, once anchored, lightnode:anchor-transaction (the transaction hash in comment).',
    properties: {
      Header: {
        type: 'object', additionalProperties: false, required: ['Verb', 'Noun'],
        properties: { Verb: { const: 'reply' }, Noun: { const: 'MeterReadings' }, Timestamp: { type: 'string' }, Source: { type: 'string' }, MessageID: { type: 'string' }, CorrelationID: { type: 'string' } },
      },
      Reply: {
        type: 'object', additionalProperties: false, required: ['Result'],
        properties: {
          Result: { enum: ['OK', 'PARTIAL', 'FAILED'] },
          Error: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: { type: 'string' }, level: { enum: ['INFORM', 'WARNING', 'FATAL', 'CATASTROPHIC'] }, reason: { type: 'string' }, details: { type: 'string' } } } },
        },
      },
      Payload: {
        type: 'object', additionalProperties: false, required: ['MeterReadings'],
        properties: { MeterReadings: { type: 'object', additionalProperties: false, properties: { MeterReading: { type: 'array', items: ref('CimMeterReading') } } } },
      },
    },
  },
  CimMeterReading: {
    type: 'object', additionalProperties: false,
    properties: {
      IntervalBlocks: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['ReadingType'], properties: { IntervalReadings: { type: 'array', items: ref('CimIntervalReading') }, ReadingType: ref('CimRef') } } },
      Meter: ref('CimIdentified'), Readings: { type: 'array', items: ref('CimReading') }, UsagePoint: ref('CimIdentified'),
    },
  },
  CimIdentified: {
    type: 'object', additionalProperties: false,
    properties: { mRID: { type: 'string' }, Names: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string' }, NameType: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string' } } } } } } },
  },
  CimRef: { type: 'object', additionalProperties: false, required: ['ref'], properties: { ref: { type: 'string' } } },
  CimReading: {
    type: 'object', additionalProperties: false, required: ['timeStamp', 'value'],
    properties: {
      source: { type: 'string' }, timeStamp: { type: 'string', description: 'xs:dateTime with zone' },
      value: { type: 'string', pattern: '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$', description: 'Decimal text in 10^multiplier × unit of the ReadingType' },
      ReadingQualities: {
        type: 'array',
        items: { type: 'object', additionalProperties: false, required: ['ReadingQualityType'], properties: { comment: { type: 'string' }, source: { type: 'string' }, timeStamp: { type: 'string' }, ReadingQualityType: ref('CimRef') } },
      },
      ReadingType: { ...ref('CimRef'), description: '18-part ReadingType code (Readings only; an IntervalBlock has one for all its IntervalReadings)' },
    },
  },
  CimIntervalReading: {
    type: 'object', additionalProperties: false, required: ['timeStamp'],
    description: 'One quarter hour (intervals=15min): timeStamp is the END of the quarter in Europe/Rome local time with its offset. value (kWh, decimal text) only for a complete quarter = register(end) − register(start); '
      + 'the first ReadingQuality says which: 2.10.0 complete (derived), 2.4.2 partial interval, 2.5.259 known missing read, 2.4.8 reset occurred (register went down), 2.5.258 suspect (readings at one boundary disagree) — those carry no value. '
      + 'Then the boundary readings it rests on: ref 1.0.0 with source lightnode:eip712-digest:start / :end (digest in comment, the reading time in timeStamp) and, once anchored, lightnode:anchor-transaction:start / :end.',
    properties: {
      source: { type: 'string' }, timeStamp: { type: 'string', description: 'xs:dateTime with zone' },
      value: { type: 'string', pattern: '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$', description: 'Decimal text in 10^multiplier × unit of the block\'s ReadingType' },
      ReadingQualities: {
        type: 'array',
        items: { type: 'object', additionalProperties: false, required: ['ReadingQualityType'], properties: { comment: { type: 'string' }, source: { type: 'string' }, timeStamp: { type: 'string' }, ReadingQualityType: ref('CimRef') } },
      },
    },
  },
};

export const CIM_PATHS = {
  '/api/readings/cim': {
    get: {
      summary: 'Readings of a PoD as an IEC 61968-9 MeterReadings message (Verb=reply), JSON or XML by Accept; with intervals=15min its quarter-hour energy deltas', security: secured,
      description: 'Same visibility as /api/readings. `Accept: application/xml` (or text/xml) gives the XML of MeterReadingsMessage.xsd; anything else JSON with the same element names. '
        + 'Quantities without a ReadingType are left out and listed in Reply.Error (Result PARTIAL). When more readings follow, the X-Next-Cursor header holds the cursor.\n\n'
        + 'intervals=15min: instead of Readings, one IntervalBlock per meter and energy register (ReadingType measuringPeriod 2 = 15-min, accumulation 4 = deltaData) with one IntervalReading per Europe/Rome quarter hour of `day` '
        + '(96, or 92 / 100 on DST days) or of [from, to) (quarter boundaries, at most 31 days). A quarter has a value only when the register was read at both its boundaries (within toleranceMs); otherwise a quality code and no value, '
        + 'and Reply.Result is PARTIAL with a CIM_INTERVAL_INCOMPLETE entry counting them (schema CimIntervalReading). limit and cursor do not apply; a range holding more than 200,000 readings is refused (400).',
      parameters: [
        param('pod', 'query', pod, 'The PoD (required).', true),
        param('from', 'query', { type: 'string' }, 'Inclusive lower bound on the reading timestamp: ms since epoch or ISO-8601. With intervals: the first quarter\'s start, a quarter-hour boundary.'),
        param('to', 'query', { type: 'string' }, 'Exclusive upper bound: ms since epoch or ISO-8601. With intervals: the last quarter\'s end, a quarter-hour boundary.'),
        param('limit', 'query', { type: 'integer', minimum: 1, maximum: 1000, default: 1000 }, 'Signed readings per page (each gives one CIM Reading per mapped value). Not with intervals.'),
        cursorParam,
        param('intervals', 'query', { enum: ['15min'] }, 'Quarter-hour interval data of the energy registers instead of the readings.'),
        param('day', 'query', { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }, 'With intervals, instead of from/to: a local day of Europe/Rome (midnight to midnight).'),
        param('toleranceMs', 'query', { type: 'integer', minimum: 0, maximum: 60000, default: 0 }, 'With intervals: a reading this close to a quarter boundary counts as the register at it (the closest wins). 0 = exactly on the boundary.'),
      ],
      responses: {
        200: {
          description: 'The message, ascending store id.',
          headers: { 'X-Next-Cursor': { description: 'Cursor of the next page; absent on the last.', schema: { type: 'string', pattern: '^[0-9]{1,16}$' } } },
          content: { 'application/json': { schema: ref('CimMeterReadings') }, 'application/xml': { schema: { type: 'string', description: 'MeterReadingsResponseMessage (IEC 61968-100 / 61968-9 2011 namespaces)' } } },
        },
        ...errors(400, 401, 403),
      },
    },
  },
};
