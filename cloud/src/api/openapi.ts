/**
 * OpenAPI 3.1 description of the BAL REST API, served at `/api/openapi.json`. Schemas are
 * JSON Schema 2020-12 (OpenAPI 3.1 dialect); the API tests validate every response against
 * them with ajv, so this document and the handlers cannot drift apart.
 */

const hex32 = { type: 'string', pattern: '^0x[0-9a-f]{64}$' } as const;
const address = { type: 'string', pattern: '^0x[0-9a-f]{40}$' } as const;
const pod = { type: 'string', pattern: '^IT\\d{3}E\\d{8}[A-Z0-9]?$', examples: ['IT001E12345678'] } as const;
const uint = { type: 'integer', minimum: 0 } as const;
const nullable = (s: object): object => ({ oneOf: [s, { type: 'null' }] });
const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description: string): object => ({ description, content: { 'application/json': { schema } } });
const errors = (...codes: number[]): Record<string, object> => Object.fromEntries(codes.map((c) => [String(c), { $ref: `#/components/responses/E${c}` }]));
const param = (name: string, where: 'query' | 'path', schema: object, description: string, required = where === 'path'): object =>
  ({ name, in: where, required, description, schema });

const limitParam = param('limit', 'query', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, 'Page size.');
const cursorParam = param('cursor', 'query', { type: 'string', pattern: '^[0-9]{1,16}$' }, 'Opaque cursor: the `next` of the previous page.');
const idParam = param('id', 'path', { type: 'string', pattern: '^[0-9]{1,16}$' }, 'Reading id (store-assigned).');
const secured = [{ apiKey: [] }, { bearer: [] }];

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Light Node BAL API',
    version: '1.0.0',
    description: 'Certified energy readings of Light Nodes: readings, receipts (Merkle proof + anchor transaction), node status. '
      + 'Errors are `{ code, message }` with a stable code. Data endpoints need an API key (`X-API-Key`) or a bearer token; '
      + 'role `dso` reads everything, role `consumer` only its own PoDs.',
  },
  jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
  components: {
    securitySchemes: {
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      bearer: { type: 'http', scheme: 'bearer' },
    },
    responses: {
      E400: json(ref('Error'), 'Bad request: a parameter is malformed or out of range (code BAL_API_QUERY_INVALID).'),
      E401: json(ref('Error'), 'No or unknown credentials (BAL_API_UNAUTHORIZED).'),
      E403: json(ref('Error'), 'The credentials do not allow this PoD (BAL_API_FORBIDDEN).'),
      E404: json(ref('Error'), 'Unknown resource (BAL_API_NOT_FOUND).'),
      E409: json(ref('Error'), 'The reading is not anchored yet, or its anchor has no block yet (BAL_READING_NOT_ANCHORED).'),
    },
    schemas: {
      Error: {
        type: 'object', required: ['code', 'message'], additionalProperties: false,
        properties: { code: { type: 'string', pattern: '^[A-Z][A-Z0-9_]+$' }, message: { type: 'string' }, details: { type: 'object' } },
      },
      Measurement: {
        type: 'object', required: ['quantity', 'value', 'scale', 'unit'], additionalProperties: false,
        properties: { quantity: { type: 'string' }, value: { type: 'integer' }, scale: { type: 'integer', minimum: -18, maximum: 18 }, unit: { type: 'string' } },
      },
      SignedReading: {
        type: 'object', required: ['pod', 'meter', 'seq', 'timestamp', 'source', 'values', 'signature'], additionalProperties: false,
        description: 'The reading exactly as signed (EIP-712) by the Light Node.',
        properties: {
          pod, meter: { type: 'string' }, seq: uint, timestamp: { ...uint, description: 'ms since epoch (UTC)' }, source: { type: 'string' },
          values: { type: 'array', minItems: 1, maxItems: 64, items: ref('Measurement') },
          signature: { type: 'string', pattern: '^0x[0-9a-fA-F]{130}$' },
        },
      },
      Reading: {
        type: 'object', additionalProperties: false,
        required: ['id', 'pod', 'device', 'seq', 'timestamp', 'receivedAt', 'digest', 'status', 'anchorIndex', 'leafIndex', 'reading'],
        properties: {
          id: uint, pod, device: address, seq: uint, timestamp: { ...uint, description: 'ms since epoch' },
          receivedAt: { ...uint, description: 'ms since epoch, when the BAL received it' },
          digest: { ...hex32, description: 'EIP-712 digest = Merkle leaf' },
          status: { enum: ['pending', 'anchored', 'confirmed'] },
          anchorIndex: nullable(uint), leafIndex: nullable(uint), reading: ref('SignedReading'),
        },
      },
      ReadingPage: {
        type: 'object', required: ['items', 'next'], additionalProperties: false,
        properties: { items: { type: 'array', items: ref('Reading') }, next: nullable({ type: 'string' }) },
      },
      Anchor: {
        type: 'object', additionalProperties: false,
        required: ['index', 'root', 'leafCount', 'fromMs', 'toMs', 'prevHash', 'anchorHash', 'transaction', 'blockNumber', 'status'],
        properties: {
          index: uint, root: hex32, leafCount: { type: 'integer', minimum: 1 }, fromMs: uint, toMs: uint, prevHash: hex32,
          anchorHash: nullable(hex32), transaction: hex32, blockNumber: nullable(uint), status: { enum: ['sent', 'confirmed'] },
        },
      },
      Certification: {
        type: 'object', required: ['transaction', 'anchor', 'readings', 'next'], additionalProperties: false,
        description: 'The certified readings of one anchor transaction (the seed API), in leaf order.',
        properties: { transaction: hex32, anchor: ref('Anchor'), readings: { type: 'array', items: ref('Reading') }, next: nullable({ type: 'string' }) },
      },
      Receipt: {
        type: 'object', additionalProperties: false,
        required: ['v', 'reading', 'digest', 'signer', 'chainId', 'contracts', 'anchor', 'proof'],
        description: 'Self-contained proof: check the signature, the Merkle proof against the root, and the anchor on chain.',
        properties: {
          v: { const: 1 }, reading: ref('SignedReading'), digest: hex32, signer: address, chainId: { type: 'integer', minimum: 1 },
          contracts: { type: 'object', required: ['podRegistry', 'readingAnchor'], additionalProperties: false, properties: { podRegistry: address, readingAnchor: address } },
          anchor: {
            type: 'object', additionalProperties: false,
            required: ['index', 'root', 'leafCount', 'fromMs', 'toMs', 'prevHash', 'transaction', 'blockNumber'],
            properties: { index: uint, root: hex32, leafCount: { type: 'integer', minimum: 1 }, fromMs: uint, toMs: uint, prevHash: hex32, transaction: hex32, blockNumber: uint },
          },
          proof: { type: 'array', items: hex32 },
        },
      },
      Node: {
        type: 'object', additionalProperties: false,
        required: ['pod', 'device', 'state', 'lastSeen', 'lastStatusAt', 'lastStoredSeq', 'reportedLastSeq', 'spoolDepth', 'quarantined',
          'agentVersion', 'readings', 'gaps', 'rejected', 'duplicates', 'equivocations'],
        properties: {
          pod, device: nullable(address), state: { enum: ['online', 'offline', 'unknown'] },
          lastSeen: nullable(uint), lastStatusAt: nullable(uint), lastStoredSeq: nullable(uint), reportedLastSeq: nullable(uint),
          spoolDepth: nullable(uint), quarantined: nullable(uint), agentVersion: nullable({ type: 'string' }),
          readings: uint, gaps: uint, rejected: uint, duplicates: uint, equivocations: uint,
        },
      },
      NodePage: {
        type: 'object', required: ['items', 'next'], additionalProperties: false,
        properties: { items: { type: 'array', items: ref('Node') }, next: nullable({ type: 'string' }) },
      },
      Health: {
        type: 'object', required: ['status', 'checks'], additionalProperties: false,
        properties: { status: { enum: ['ok', 'degraded'] }, checks: { type: 'object', additionalProperties: { type: 'string' } } },
      },
    },
  },
  paths: {
    '/api/certification/getByTransaction': {
      get: {
        summary: 'Certified readings of an anchor transaction', security: secured,
        parameters: [param('transaction', 'query', hex32, 'Hash of the anchor transaction.', true), limitParam,
          param('cursor', 'query', { type: 'string', pattern: '^[0-9]{1,16}$' }, 'Leaf index to continue from (`next`).')],
        responses: { 200: json(ref('Certification'), 'The anchor and its readings (a consumer sees only its own PoDs).'), ...errors(400, 401, 404) },
      },
    },
    '/api/readings': {
      get: {
        summary: 'Readings by PoD, time range and status, paged by id', security: secured,
        parameters: [
          param('pod', 'query', pod, 'Only this PoD.'),
          param('from', 'query', { type: 'string' }, 'Inclusive lower bound on the reading timestamp: ms since epoch or ISO-8601.'),
          param('to', 'query', { type: 'string' }, 'Exclusive upper bound: ms since epoch or ISO-8601.'),
          param('status', 'query', { enum: ['pending', 'anchored', 'confirmed'] }, 'Lifecycle status.'),
          limitParam, cursorParam,
        ],
        responses: { 200: json(ref('ReadingPage'), 'A page of readings, ascending id.'), ...errors(400, 401, 403) },
      },
    },
    '/api/readings/{id}': {
      get: { summary: 'One reading', security: secured, parameters: [idParam], responses: { 200: json(ref('Reading'), 'The reading.'), ...errors(400, 401, 404) } },
    },
    '/api/readings/{id}/receipt': {
      get: {
        summary: 'Self-contained receipt of an anchored reading', security: secured, parameters: [idParam],
        responses: { 200: json(ref('Receipt'), 'The receipt (DESIGN §6).'), ...errors(400, 401, 404, 409) },
      },
    },
    '/api/nodes': {
      get: {
        summary: 'Light Node status, paged by PoD', security: secured,
        parameters: [limitParam, param('cursor', 'query', pod, 'The `next` of the previous page (a PoD code).')],
        responses: { 200: json(ref('NodePage'), 'Nodes the caller may see.'), ...errors(400, 401) },
      },
    },
    '/api/nodes/{pod}': {
      get: { summary: 'One Light Node', security: secured, parameters: [param('pod', 'path', pod, 'PoD code.')], responses: { 200: json(ref('Node'), 'The node.'), ...errors(400, 401, 404) } },
    },
    '/healthz': {
      get: { summary: 'Liveness and dependencies', responses: { 200: json(ref('Health'), 'Healthy.'), 503: json(ref('Health'), 'A dependency is down.') } },
    },
    '/metrics': {
      get: { summary: 'Prometheus metrics (text exposition 0.0.4)', responses: { 200: { description: 'Metrics.', content: { 'text/plain': { schema: { type: 'string' } } } } } },
    },
    '/api/openapi.json': {
      get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } } },
    },
  },
} as const;
