/**
 * OpenAPI 3.1 description of the BAL REST API, served at `/api/openapi.json`. Schemas are
 * JSON Schema 2020-12 (OpenAPI 3.1 dialect); the API tests validate every response against
 * them with ajv, so this document and the handlers cannot drift apart.
 */
import { hex32, address, pod, uint, nullable, ref, json, errors, param, limitParam, cursorParam, idParam, secured, session, body, ms, topic, subStatus, role, signedFields, decision, anchorRequired, anchorProperties } from './openapi-parts.js';
import { ACCESS_PATHS } from './openapi-access.js';
import { CIM_PATHS, CIM_SCHEMAS } from './openapi-cim.js';

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Light Node BAL API',
    version: '1.0.0',
    description: 'Certified energy readings of Light Nodes: readings, receipts (Merkle proof + anchor transaction), node status. '
      + 'Errors are `{ code, message }` with a stable code. Data endpoints need an API key (`X-API-Key`) or a bearer token; '
      + 'role `dso` reads everything, role `consumer` only its own PoDs. Data users log in (`POST /api/login`) for a bearer session: '
      + 'an admin reads everything, a producer its own PoDs, a consumer the PoDs of its accepted subscriptions.',
  },
  jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
  components: {
    securitySchemes: {
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      bearer: { type: 'http', scheme: 'bearer' },
    },
    responses: {
      E400: json(ref('Error'), 'Bad request: a parameter or body field is malformed or out of range (BAL_API_QUERY_INVALID, BAL_API_BODY_INVALID, BAL_API_BAD_REQUEST, BAL_ACCESS_USER_INVALID, BAL_ACCESS_SIGNATURE_INVALID).'),
      E401: json(ref('Error'), 'No or unknown credentials (BAL_API_UNAUTHORIZED).'),
      E403: json(ref('Error'), 'The credentials do not allow this (BAL_API_FORBIDDEN, BAL_ACCESS_FORBIDDEN, BAL_ACCESS_NOT_TOPIC_OWNER, BAL_ACCESS_SELF_DECISION).'),
      E404: json(ref('Error'), 'Unknown resource (BAL_API_NOT_FOUND, BAL_ACCESS_SUBSCRIPTION_UNKNOWN, BAL_ACCESS_TOPIC_UNKNOWN, BAL_ACCESS_USER_UNKNOWN).'),
      E409: json(ref('Error'), 'Conflict with the current state: a reading not anchored yet (BAL_READING_NOT_ANCHORED), a subscription transition the state machine forbids, a duplicate request, a taken username or topic, a decision the chain refused.'),
      E410: json(ref('Error'), 'The reading was archived and removed from the store by retention (BAL_READING_ARCHIVED); the message names its day archive, whose line holds its receipt; `bal restore` puts it back.'),
      E429: json(ref('Error'), 'Too many failed logins for this user or address (BAL_ACCESS_LOGIN_RATE_LIMITED); see Retry-After.'),
      E503: json(ref('Error'), 'Data access is not configured (BAL_ACCESS_DISABLED) or the chain is unreachable (BAL_ACCESS_CHAIN_UNAVAILABLE).'),
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
      Anchor: { type: 'object', additionalProperties: false, required: anchorRequired, properties: anchorProperties },
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
          cim: {
            type: 'object', additionalProperties: false, required: ['serverId', 'dataServerRegistry', 'payload', 'index'],
            description: "Only for a reading of a DSO data server's CIM message (source `cim:<hash>`): the signed message itself; `reading.signature` is the server's signature over it and `signer` the server's key.",
            properties: { serverId: { type: 'string' }, dataServerRegistry: address, payload: { type: 'string', description: 'the exact payload bytes, base64' }, index: uint },
          },
        },
      },
      Node: {
        type: 'object', additionalProperties: false,
        required: ['pod', 'device', 'state', 'lastSeen', 'lastStatusAt', 'lastStoredSeq', 'reportedLastSeq', 'spoolDepth', 'quarantined',
          'agentVersion', 'readings', 'gaps', 'rejected', 'rejectedByCode', 'duplicates', 'equivocations'],
        properties: {
          pod, device: nullable(address), state: { enum: ['online', 'offline', 'unknown'] },
          lastSeen: nullable(uint), lastStatusAt: nullable(uint), lastStoredSeq: nullable(uint), reportedLastSeq: nullable(uint),
          spoolDepth: nullable(uint), quarantined: nullable(uint), agentVersion: nullable({ type: 'string' }),
          readings: uint, gaps: uint, rejected: uint,
          rejectedByCode: {
            type: 'object', description: 'Rejected readings by ack reason code (codes with a count only; kept across BAL restarts).',
            propertyNames: { pattern: '^[A-Z][A-Z0-9_]{2,63}$' }, additionalProperties: { type: 'integer', minimum: 1 },
            examples: [{ BAL_SIGNATURE_INVALID: 2 }],
          },
          duplicates: uint, equivocations: uint,
        },
      },
      NodePage: {
        type: 'object', required: ['items', 'next'], additionalProperties: false,
        properties: { items: { type: 'array', items: ref('Node') }, next: nullable({ type: 'string' }) },
      },
      User: {
        type: 'object', additionalProperties: false, required: ['username', 'role', 'wallet', 'custody', 'enabled', 'createdAtMs', 'updatedAtMs', 'pods'],
        description: 'A data user; never its password hash nor its key.',
        properties: {
          username: { type: 'string' }, role, wallet: address, custody: { enum: ['custodial', 'external'] }, enabled: { type: 'boolean' },
          createdAtMs: ms, updatedAtMs: ms, pods: { type: 'array', items: pod, description: "A producer's PoDs (one stream each)." },
        },
      },
      UserList: { type: 'object', required: ['items'], additionalProperties: false, properties: { items: { type: 'array', items: ref('User') } } },
      NewUser: {
        type: 'object', additionalProperties: false, required: ['username', 'role', 'password'],
        properties: {
          username: { type: 'string', pattern: '^[a-z][a-z0-9._-]{2,63}$' }, role, password: { type: 'string', minLength: 10, maxLength: 256 },
          wallet: { ...address, description: 'Bring-your-own wallet address; absent: the BAL keeps a custodial wallet.' },
          pods: { type: 'array', items: pod, description: 'Producer only: its PoDs; each becomes a stream on certified/v1/{pod}/readings.' },
        },
      },
      Login: {
        type: 'object', additionalProperties: false, required: ['token', 'expiresAt', 'user'],
        properties: { token: { type: 'string', description: 'Bearer token (Authorization: Bearer …).' }, expiresAt: ms, user: ref('User') },
      },
      Stream: { type: 'object', additionalProperties: false, required: ['producer', 'topic', 'pod'], properties: { producer: { type: 'string' }, topic, pod } },
      SignedDecision: { type: 'object', additionalProperties: false, properties: signedFields, description: 'Bring-your-own wallets only: signature and deadline together.' },
      Subscription: {
        type: 'object', additionalProperties: false,
        required: ['id', 'consumer', 'consumerWallet', 'producer', 'providerWallet', 'topic', 'pod', 'status', 'createdAtMs', 'updatedAtMs', 'transaction', 'block'],
        properties: {
          id: uint, consumer: { type: 'string' }, consumerWallet: address, producer: { type: 'string' }, providerWallet: address, topic, pod, status: subStatus,
          createdAtMs: ms, updatedAtMs: ms, transaction: nullable(hex32), block: nullable(uint),
        },
      },
      SubscriptionList: { type: 'object', required: ['items'], additionalProperties: false, properties: { items: { type: 'array', items: ref('Subscription') } } },
      SubscriptionHistory: {
        type: 'object', required: ['items'], additionalProperties: false,
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object', additionalProperties: false, required: ['action', 'from', 'to', 'actor', 'atMs', 'transaction', 'block'],
              properties: {
                action: { enum: ['request', 'accept', 'refuse', 'revoke', 'cancel'] }, from: nullable(subStatus), to: subStatus,
                actor: { type: 'string' }, atMs: ms, transaction: hex32, block: uint,
              },
            },
          },
        },
      },
      ProducerList: {
        type: 'object', required: ['items'], additionalProperties: false, description: 'D2.12 Figure 4: producer, topic, wallet and the caller\'s own status.',
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object', additionalProperties: false, required: ['producer', 'wallet', 'topic', 'pod', 'status'],
              properties: { producer: { type: 'string' }, wallet: address, topic, pod, status: nullable(subStatus) },
            },
          },
        },
      },
      TypedData: {
        type: 'object', additionalProperties: false, required: ['signer', 'nonce', 'deadline', 'typedData'],
        description: 'EIP-712 typed data for eth_signTypedData_v4; send the signature with this deadline before it passes.',
        properties: {
          signer: address, nonce: { type: 'string', pattern: '^[0-9]+$' }, deadline: uint,
          typedData: {
            type: 'object', required: ['domain', 'types', 'primaryType', 'message'],
            properties: { domain: { type: 'object' }, types: { type: 'object' }, primaryType: { const: 'Decision' }, message: { type: 'object' } },
          },
        },
      },
      CertificationRequest: {
        type: 'object', additionalProperties: false, description: 'The seed\'s body; the capitalised names (ProviderId, ConsumerId, Topic) are accepted too.',
        properties: { providerId: address, consumerId: address, topic, ProviderId: address, ConsumerId: address, Topic: topic },
      },
      CertifiedSubscription: {
        type: 'object', additionalProperties: false, required: ['provider', 'consumer', 'topic', 'status', 'timestamp', 'transaction', 'block'],
        properties: {
          provider: address, consumer: address, topic, status: subStatus, timestamp: { ...uint, description: 'Block time of the latest decision, seconds since epoch.' },
          transaction: nullable(hex32), block: nullable(uint),
        },
      },
      TopicCertification: {
        type: 'object', additionalProperties: false, required: ['topic', 'subscriptions'],
        properties: { topic, subscriptions: { type: 'array', items: ref('CertifiedSubscription') } },
      },
      ...CIM_SCHEMAS,
      Health: {
        type: 'object', required: ['status', 'checks'], additionalProperties: false,
        properties: {
          status: { enum: ['ok', 'degraded'] }, checks: { type: 'object', additionalProperties: { type: 'string' } },
          instance: {
            type: 'object', required: ['id', 'roles'], additionalProperties: false, description: 'This BAL instance (`bal run`): its id, roles and, with the anchor role, its standing in the anchor lease.',
            properties: {
              id: { type: 'string' }, roles: { type: 'array', items: { enum: ['ingest', 'api', 'anchor'] } },
              anchor: { type: 'object', required: ['role', 'epoch'], additionalProperties: false, properties: { role: { enum: ['leader', 'follower'] }, epoch: { type: ['integer', 'null'] } } },
            },
          },
        },
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
    ...CIM_PATHS,
    '/api/readings/{id}': {
      get: { summary: 'One reading', security: secured, parameters: [idParam], responses: { 200: json(ref('Reading'), 'The reading.'), ...errors(400, 401, 404, 410) } },
    },
    '/api/readings/{id}/receipt': {
      get: {
        summary: 'Self-contained receipt of an anchored reading', security: secured, parameters: [idParam],
        responses: { 200: json(ref('Receipt'), 'The receipt (DESIGN §6).'), ...errors(400, 401, 404, 409, 410) },
      },
    },
    '/api/nodes': {
      get: {
        summary: 'Light Node status, paged by PoD', security: secured,
        parameters: [
          limitParam, param('cursor', 'query', pod, 'The `next` of the previous page (a PoD code).'),
          param('search', 'query', { type: 'string', pattern: '^[A-Za-z0-9]{1,42}$' }, 'Only nodes whose PoD code or device address contains this (case-insensitive).'),
        ],
        responses: { 200: json(ref('NodePage'), 'Nodes the caller may see.'), ...errors(400, 401) },
      },
    },
    '/api/nodes/{pod}': {
      get: { summary: 'One Light Node', security: secured, parameters: [param('pod', 'path', pod, 'PoD code.')], responses: { 200: json(ref('Node'), 'The node.'), ...errors(400, 401, 404) } },
    },
    ...ACCESS_PATHS,
    '/api/events/ticket': {
      post: {
        summary: 'A single-use ticket to open the live event stream', security: secured,
        description: 'EventSource cannot send headers: the page trades its session for a ticket (random, single use, valid 30 s) and opens `GET /api/events?ticket=…` with it.',
        responses: { 201: json({ type: 'object', required: ['ticket', 'expiresAt'], additionalProperties: false, properties: { ticket: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' }, expiresAt: ms } }, 'The ticket.'), ...errors(401, 503) },
      },
    },
    '/api/events': {
      get: {
        summary: 'Live updates (server-sent events) for the caller\'s PoDs',
        description: 'Events `hello`, `node` (a Node after a status change or new rejections, duplicates or equivocations), `readings` (`{ pod, readings }` just stored), `anchor` (confirmed), '
          + '`subscription` (a decision the caller is party to) and `expired` (the session ended; the stream closes). A comment line every heartbeat.',
        parameters: [param('ticket', 'query', { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' }, 'From POST /api/events/ticket.', true)],
        responses: { 200: { description: 'An event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors(400, 401, 503) },
      },
    },
    '/api/anchors': {
      get: {
        summary: 'Anchors, newest first, with their confirmations', security: secured,
        parameters: [param('limit', 'query', { type: 'integer', minimum: 1, maximum: 200, default: 20 }, 'Page size.'), param('cursor', 'query', { type: 'string', pattern: '^[0-9]{1,16}$' }, 'The `next` of the previous page (an anchor index).')],
        responses: {
          200: json({
            type: 'object', required: ['items', 'head', 'next'], additionalProperties: false,
            properties: {
              items: {
                type: 'array',
                items: { type: 'object', additionalProperties: false, required: [...anchorRequired, 'confirmations'], properties: { ...anchorProperties, confirmations: { ...nullable(uint), description: 'Blocks since the anchor\'s, inclusive (null: not mined or chain unreachable).' } } },
              },
              head: { ...nullable(uint), description: 'Chain head block number (null: the chain is unreachable).' },
              next: nullable({ type: 'string' }),
            },
          }, 'A page of anchors.'),
          ...errors(400, 401),
        },
      },
    },
    '/api/dashboard/config': {
      get: {
        summary: 'Settings of the web dashboard', security: secured,
        responses: {
          200: json({
            type: 'object', additionalProperties: false, required: ['offlineAfterMs', 'explorerBaseUrl', 'chainId', 'contracts'],
            properties: {
              offlineAfterMs: uint, explorerBaseUrl: nullable({ type: 'string' }), chainId: uint,
              contracts: { type: 'object', additionalProperties: false, required: ['podRegistry', 'readingAnchor'], properties: { podRegistry: address, readingAnchor: address } },
            },
          }, 'Settings.'),
          ...errors(401),
        },
      },
    },
    '/api/ingest/rejections': {
      get: {
        summary: 'Readings rejected by all Light Nodes, by reason (admin, dso)', security: secured,
        description: 'The sum of the nodes\' `rejectedByCode`, from the store: kept across BAL restarts. Every ack code is listed (0 when none). '
          + 'The process-local Prometheus counter is `bal_ingest_rejected_total`.',
        responses: { 200: json({ type: 'object', required: ['byCode'], additionalProperties: false, properties: { byCode: { type: 'object', additionalProperties: uint } } }, 'Counts by ack code.'), ...errors(401, 403) },
      },
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
