/**
 * The BAL's config file declared once, as data (DESIGN §8): every field with its type, bounds,
 * unit, default, doc and env variable. config.ts validates against it and derives the runtime
 * config; cloud/README.md's table is generated from it (test: cloud/test/cli/config-readme.test.ts).
 */
import { defineConfig, type FieldSpec } from '@lightnode/shared/config';

const URL_EXPECTED = 'http(s)/ws(s) URL';
const ADDRESS = { type: 'string', pattern: /^0x[0-9a-fA-F]{40}$/, expected: 'address', unit: 'address' } as const;
const HASH = { type: 'string', pattern: /^sha256:[0-9a-f]{64}$/, expected: 'sha256:<64 lower-case hex> (see `bal api-key`)', optional: true } as const;
const path = (doc: string) => ({ type: 'string', unit: 'path', optional: true, doc } as const);
const envPath = (doc: string) => ({ ...path(doc), env: true } as const);
const ms = (min: number, max: number, dflt: number, doc: string) => ({ type: 'integer', min, max, default: dflt, unit: 'ms', doc } as const);
const tlsFields = {
  certPath: { type: 'string', unit: 'path', doc: 'certificate (PEM)' },
  keyPath: { type: 'string', unit: 'path', doc: 'private key (PEM)' },
  caPath: { type: 'string', unit: 'path', optional: true, doc: 'CA bundle: clients must present a certificate it signed' },
} as const satisfies Record<string, FieldSpec>;

/** The BAL config (env prefix `BAL`). */
export const BAL_CONFIG = defineConfig('cloud', 'BAL', {
  roles: {
    type: 'array', default: ['ingest', 'api', 'anchor'], maxItems: 3,
    doc: 'what this instance does (see Roles and the anchor lease): `ingest` consumes readings and statuses from the broker, `api` serves the REST API and dashboard (without it only `/healthz` and `/metrics` are served, on `api.host`:`api.port`), `anchor` competes for the anchor lease and anchors while it holds it; `bal run --roles ingest,api` overrides',
    items: { type: 'string', enum: ['ingest', 'api', 'anchor'], doc: 'a role' },
  },
  instanceId: { type: 'string', pattern: /^[A-Za-z0-9._:-]{1,64}$/, expected: '1..64 of [A-Za-z0-9._:-]', optional: true, defaultDoc: '`<hostname>-<pid>`', env: true, doc: 'this instance\'s name: anchor lease holder, `instance_id` label of every metric, `/healthz` `instance.id`' },
  chain: {
    type: 'object', required: true, doc: 'the chain: `deploymentPath`, or `rpcUrl` + `chainId` + `podRegistry` + `readingAnchor`',
    fields: {
      deploymentPath: envPath('deployment file written by `pnpm chain` (`rpcUrl, chainId, podRegistry, readingAnchor, deployBlock, admin`); with it, only `rpcUrl` and `anchorKeyPath` may also be given'),
      rpcUrl: { type: 'string', pattern: /^(https?|wss?):\/\//, expected: URL_EXPECTED, unit: 'URL', optional: true, defaultDoc: 'from deployment', env: true, doc: 'JSON-RPC endpoint; required without `deploymentPath`' },
      chainId: { type: 'integer', min: 1, max: Number.MAX_SAFE_INTEGER, optional: true, doc: 'chain id; required without `deploymentPath`' },
      podRegistry: { ...ADDRESS, optional: true, doc: 'PodRegistry contract; required without `deploymentPath`' },
      readingAnchor: { ...ADDRESS, optional: true, doc: 'ReadingAnchor contract; required without `deploymentPath`' },
      deployBlock: { type: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, optional: true, unit: 'block', defaultDoc: '0', doc: 'first block the registry mirror scans (without `deploymentPath`)' },
      deployBlockHash: { type: 'string', pattern: /^0x[0-9a-fA-F]{64}$/, expected: '0x-prefixed 32-byte hash', unit: 'hash', optional: true, defaultDoc: 'pinned at the first check', doc: 'hash of `deployBlock`, part of the chain\'s identity (/healthz `chain: mismatch` on a reset chain); without `deploymentPath` (the deployment file carries it)' },
      rpcTimeoutMs: { type: 'integer', min: 100, max: 300_000, default: 10_000, unit: 'ms', env: true, doc: 'each chain RPC request fails with `BAL_CHAIN_TIMEOUT` (counted in the anchoring and registry error metrics) when the node does not answer within this' },
      anchorKeyPath: envPath('file with the anchoring account\'s hex private key (holds `BAL_ROLE`); `anchorKey` wins. One of the two is required while `anchoring.enabled`'),
      subscriptionRegistry: { ...ADDRESS, optional: true, defaultDoc: 'from deployment', doc: 'SubscriptionRegistry contract (data access); without `deploymentPath`, or to override it' },
      dataServerRegistry: { ...ADDRESS, optional: true, defaultDoc: 'from deployment', doc: 'DataServerRegistry contract: with it the BAL takes DSO data servers\' signed CIM MeterReadings on `cim/v1/+/meter-readings` (cloud/README "Data servers"); without `deploymentPath`, or to override it' },
      relayKeyPath: envPath('file with the relay account\'s hex private key: it pays gas for subscription decisions and holds `TOPIC_ADMIN_ROLE`; `relayKey` wins. Required while `dataAccess.enabled`; use another account than the anchoring one (their nonces would race)'),
    },
  },
  allowPlaintext: { type: 'boolean', default: false, env: true, doc: 'allow plain MQTT or HTTP on a non-loopback address (the embedded broker\'s plain port, the API without TLS, an external broker by `mqtt://`/`ws://` on another host); off, such a config is refused (S-BAP-01: passwords and tokens would cross the network in clear)' },
  anchorKey: { type: 'string', optional: true, secret: true, env: 'only', doc: 'the anchoring account\'s hex private key (instead of `chain.anchorKeyPath`); never in the file' },
  relayKey: { type: 'string', optional: true, secret: true, env: 'only', doc: 'the relay account\'s hex private key (instead of `chain.relayKeyPath`); never in the file' },
  dataAccess: {
    type: 'object', doc: 'data access management (docs/data-access.md): users, producers\' streams, subscriptions certified on chain, the broker ACL following them',
    fields: {
      enabled: { type: 'boolean', default: false, env: true, doc: 'serve users, subscriptions and certified streams (needs a SubscriptionRegistry and a relay key)' },
      walletKeyPath: { type: 'string', unit: 'path', default: 'data/wallet-master.key', env: true, doc: 'master key encrypting custodial wallets (32 bytes, created 0600 if missing; refused when group or others may read it)' },
      sessionTtlMs: ms(60_000, 7 * 86_400_000, 3_600_000, 'lifetime of a login session\'s bearer token'),
      decisionDeadlineSec: { type: 'integer', min: 30, max: 86_400, default: 600, unit: 's', doc: 'a signed decision is valid on chain for this long' },
      loginMaxFailuresPerUser: { type: 'integer', min: 1, max: 1000, default: 5, unit: 'attempts', doc: 'failed logins per username within `loginWindowMs` before 429' },
      loginMaxFailuresPerAddress: { type: 'integer', min: 1, max: 10_000, default: 20, unit: 'attempts', doc: 'failed logins per remote address within `loginWindowMs` before 429' },
      loginWindowMs: ms(1000, 86_400_000, 900_000, 'window of the failed-login limits'),
      cimFormats: {
        type: 'array', default: ['cim-xml', 'cim-json'], maxItems: 2,
        doc: 'CIM formats of the certified stream published beside its JSON, each on `certified/v1/{pod}/readings/<format>` (IEC 61968-9 MeterReadings; a consumer picks one by topic); `[]` publishes JSON only and saves the encoding',
        items: { type: 'string', enum: ['cim-xml', 'cim-json'], doc: 'a CIM format' },
      },
    },
  },
  broker: {
    type: 'object', doc: 'the MQTT broker the nodes publish to: `embedded` (aedes in-process) or `external`',
    fields: {
      kind: { type: 'string', enum: ['embedded', 'external'], default: 'embedded', env: true, doc: '`embedded` (aedes in-process) or `external` (Mosquitto or any MQTT 3.1.1/5 broker)' },
      host: { type: 'string', default: '127.0.0.1', unit: 'address', env: true, doc: 'embedded: interface to bind (`0.0.0.0` for devices on the network: with `broker.tls` and `port: null`, or `allowPlaintext`)' },
      port: { type: 'integer', min: 0, max: 65535, default: 1883, nullable: true, unit: 'TCP port', env: true, doc: 'embedded: plain MQTT port (0 = free port, `null` = TLS only)' },
      tls: {
        type: 'object', optional: true, nullable: true, doc: 'embedded: MQTTS listener',
        fields: { port: { type: 'integer', min: 0, max: 65535, default: 8883, unit: 'TCP port', doc: 'MQTTS port (0 = free port)' }, ...tlsFields },
      },
      credentialsPath: envPath('embedded: accounts file (see Broker security); without it only the BAL\'s own internal account exists'),
      maxPayloadBytes: { type: 'integer', min: 1024, max: 256 * 1024 * 1024, default: 2 * 1024 * 1024, unit: 'bytes', doc: 'embedded: larger PUBLISH payloads are refused at the broker (the ingest refuses > 1 MiB with a code)' },
      url: { type: 'string', pattern: /^(mqtts?|wss?):\/\//, expected: 'mqtt(s):// or ws(s):// URL', unit: 'URL', optional: true, env: true, doc: 'external: the broker (required with `external`)' },
      username: { type: 'string', default: 'bal', env: true, doc: 'external: the BAL\'s account (role `bal` in the ACL)' },
      password: { type: 'string', optional: true, secret: true, env: true, doc: 'external: the BAL\'s password' },
      caPath: path('external: CA bundle to verify the broker\'s certificate'),
      dynsecUsername: { type: 'string', optional: true, env: true, doc: 'external: Mosquitto dynamic-security admin account the BAL uses to follow subscription decisions (`$CONTROL/dynamic-security/v1`); required with `dataAccess.enabled`' },
      dynsecPassword: { type: 'string', optional: true, secret: true, env: true, doc: 'external: password of `dynsecUsername`' },
      clientId: { type: 'string', optional: true, defaultDoc: '<username>@<pid>', env: true, doc: 'external: MQTT client id, `<username>` or `<username>@<suffix>` (README "Client ids"); the session is persistent (`clean: false`) so QoS 1 readings queue while the BAL restarts — set a fixed id in production. With `ingest.shareGroup` the id is `<username>@<instanceId>` and the session clean; another id here is refused' },
    },
  },
  store: {
    type: 'object', doc: 'where readings, anchors and the registry mirror are kept',
    fields: {
      kind: { type: 'string', enum: ['sqlite', 'postgres'], default: 'sqlite', env: true, doc: '`sqlite` or `postgres`' },
      path: { type: 'string', unit: 'path', default: 'data/bal.db', env: true, doc: 'sqlite: database file (WAL mode; `:memory:` for throw-away)' },
      url: { type: 'string', pattern: /^postgres(ql)?:\/\//, expected: 'postgres:// URL', unit: 'URL', optional: true, secret: true, env: true, doc: 'postgres: `postgres://user@host:5432/db` (required with `postgres`)' },
      schema: { type: 'string', pattern: /^[a-z_][a-z0-9_]{0,62}$/, expected: 'lower-case SQL identifier', default: 'public', env: true, doc: 'postgres: schema (created if missing)' },
      poolSize: { type: 'integer', min: 1, max: 100, default: 4, unit: 'connections', doc: 'postgres: pool size' },
      connectTimeoutMs: ms(500, 300_000, 10_000, 'postgres: a new connection (TCP and login) fails after this long'),
      queryTimeoutMs: ms(1000, 3_600_000, 60_000, 'postgres: a query without an answer fails after this long and its connection is dropped (a database cut off by the network, not refusing: the BAL recovers once it is back)'),
    },
  },
  retention: {
    type: 'object', doc: 'two months online (D3.2 §5.2.1): days of arrival older than `days`, once all their readings are confirmed, go to day archives (JSON Lines with receipts) and leave the store (see Retention)',
    fields: {
      enabled: { type: 'boolean', default: false, env: true, doc: 'run the retention pass inside `bal run` (`bal archive` works either way); of several instances with it, only the holder of the `retention` lease runs passes (same timing as the anchor lease)' },
      days: { type: 'integer', min: 1, max: 36_500, default: 60, unit: 'days', env: true, doc: 'whole UTC days of arrival kept in the store before today' },
      archiveDir: { type: 'string', unit: 'path', default: 'data/archive', env: true, doc: 'folder of the day archives (0700; files 0600)' },
      intervalMs: ms(60_000, 86_400_000, 3_600_000, 'period of the retention pass in `bal run` (the first runs a minute after start)'),
      deleteBatchSize: { type: 'integer', min: 1, max: 100_000, default: 500, unit: 'readings', doc: 'sqlite: readings per delete transaction (ingest commits between two)' },
    },
  },
  anchoring: {
    type: 'object', doc: 'Merkle roots of accepted readings written to ReadingAnchor',
    fields: {
      enabled: { type: 'boolean', default: true, env: true, doc: 'run the anchorer' },
      windowMs: ms(100, 86_400_000, 60_000, 'a window closes this long after its oldest pending reading arrived'),
      maxLeaves: { type: 'integer', min: 1, max: 1_000_000, default: 10_000, unit: 'readings', doc: 'a window closes as soon as it has this many' },
      confirmations: { type: 'integer', min: 0, max: 1000, default: 1, unit: 'blocks', doc: 'blocks (incl. the tx\'s) before an anchor is `confirmed`' },
      pollIntervalMs: ms(10, 600_000, 1000, 'anchoring loop period'),
      rebroadcastMs: ms(100, 3_600_000, 30_000, 're-broadcast a recorded tx without a receipt after this'),
      leaseTtlMs: ms(500, 600_000, 5000, 'the anchor lease (and the retention lease) lasts this long on the store\'s clock (PostgreSQL: the database\'s) after its last renewal; a dead leader is replaced within it plus `leaseRenewMs`'),
      leaseRenewMs: ms(100, 300_000, 1500, 'every anchor candidate tries to take or renew the lease this often'),
      leaseRenewDeadlineMs: ms(200, 599_000, 4000, 'a leader stops anchoring this long after its last successful renewal was sent (must be between `leaseRenewMs` and `leaseTtlMs`): it stops before another can take over'),
    },
  },
  ingest: {
    type: 'object', doc: 'reading batches from the broker',
    fields: {
      futureSkewMs: ms(0, 86_400_000, 60_000, 'readings stamped further ahead of the BAL clock are rejected `BAL_TIMESTAMP_FUTURE`'),
      maxInFlightBatches: { type: 'integer', min: 1, max: 10_000, default: 64, unit: 'batches', doc: 'batches verifying/storing before MQTT reading pauses (backpressure)' },
      verifyThreads: { type: 'integer', min: 0, max: 64, default: 2, unit: 'threads', doc: 'verification worker threads (0 = inline)' },
      ackMode: { type: 'string', enum: ['per-reading', 'cumulative'], default: 'per-reading', doc: '`per-reading`: one v 1 ack per readings message; `cumulative`: one v 2 ack per PoD per window (fewer messages; needs agents that accept v 2 acks, see DESIGN §4 "Acks")' },
      ackMaxDelayMs: ms(1, 60_000, 1000, 'cumulative acks: longest a stored reading waits for its ack (keep well under the agents\' `mqtt.ackTimeoutSec`)'),
      ackMaxReadings: { type: 'integer', min: 1, max: 10_000, default: 500, unit: 'readings', doc: 'cumulative acks: a PoD\'s ack is sent at once when this many readings wait' },
      shareGroup: {
        type: 'string', pattern: /^[A-Za-z0-9._-]{1,64}$/, expected: '1..64 of [A-Za-z0-9._-] (one MQTT topic level)', nullable: true, optional: true, defaultDoc: '`null`', env: true,
        doc: 'scale-out on one broker (see Scale-out on Mosquitto): every `ingest` instance with the same group shares `$share/<group>/ln/v1/+/readings` (and the data-server feed), so each reading goes to one of them; needs an external broker with shared subscriptions (Mosquitto), and makes the BAL\'s session clean with client id `<broker.username>@<instanceId>`. `null`: one plain subscription (one ingest instance per broker)',
      },
      jetstream: {
        type: 'object', optional: true, nullable: true,
        doc: 'readings from a NATS JetStream stream instead of an MQTT subscription (cloud/README "JetStream transport"): devices publish MQTT to NATS\'s MQTT listener (`broker.kind: external`, `broker.url` = that listener); `ingest` instances pull through one durable consumer and ack after commit',
        fields: {
          servers: { type: 'array', maxItems: 32, doc: 'the NATS servers (`nats://host:port`); the client fails over among them', items: { type: 'string', pattern: /^(nats|tls):\/\/[^\s]+$/, expected: 'nats:// or tls:// URL', doc: 'a server' } },
          stream: { type: 'string', pattern: /^[A-Za-z0-9_-]{1,64}$/, expected: '1..64 of [A-Za-z0-9_-]', default: 'LN_READINGS', doc: 'stream capturing `ln.v1.*.readings` (work queue, file storage; created if missing)' },
          consumer: { type: 'string', pattern: /^[A-Za-z0-9_-]{1,64}$/, expected: '1..64 of [A-Za-z0-9_-]', default: 'bal-ingest', doc: 'the durable pull consumer every ingest instance shares' },
          replicas: { type: 'integer', min: 1, max: 5, default: 1, unit: 'replicas', doc: 'stream replicas (3 on a 3-node cluster: a node may die)' },
          ackWaitMs: ms(1000, 3_600_000, 30_000, 'a message not acked this long after delivery (its instance died) is redelivered to another instance'),
          maxAckPending: { type: 'integer', min: 1, max: 1_000_000, default: 1000, unit: 'messages', doc: 'unacked messages across all instances before the server holds back' },
          nakDelayMs: ms(0, 600_000, 1000, 'redelivery delay of a message whose store transaction failed'),
          username: { type: 'string', optional: true, doc: 'NATS account (the `bal` account of `bal nats-config`)' },
          password: { type: 'string', optional: true, secret: true, doc: 'its password (or `passwordPath`)' },
          passwordPath: path('file holding the password (trailing newline ignored)'),
        },
      },
    },
  },
  registry: {
    type: 'object', doc: 'the PodRegistry mirror',
    fields: {
      pollIntervalMs: ms(10, 600_000, 1000, 'how often new blocks are scanned for PodRegistry events; a rotation or revocation takes effect in the BAL up to this long after its block (see Registry mirror)'),
      maxBlockRange: { type: 'integer', min: 1, max: 1_000_000, default: 5000, unit: 'blocks', doc: 'max range per `eth_getLogs`' },
      confirmations: { type: 'integer', min: 0, max: 1000, default: 0, unit: 'blocks', doc: 'blocks behind the head treated as final (QBFT/anvil: 0)' },
    },
  },
  api: {
    type: 'object', doc: 'the REST API',
    fields: {
      host: { type: 'string', default: '127.0.0.1', unit: 'address', env: true, doc: 'REST API interface (not loopback: needs `api.tls`, or `allowPlaintext`)' },
      port: { type: 'integer', min: 0, max: 65535, default: 8080, unit: 'TCP port', env: true, doc: 'REST API port (0 = free port)' },
      tls: { type: 'object', optional: true, nullable: true, doc: 'serve HTTPS', fields: tlsFields },
      clients: {
        type: 'array', default: [], doc: 'machine clients of the DSO (hashes from `bal api-key`); people log in as data users (`bal users`, `POST /api/login`)',
        items: {
          type: 'object', doc: 'one client',
          fields: {
            name: { type: 'string', pattern: /^[A-Za-z0-9._:-]{1,64}$/, expected: 'name of [A-Za-z0-9._:-], 1..64', doc: 'unique client name' },
            role: { type: 'string', enum: ['dso'], doc: '`dso`: reads everything. Consumers are data users now: their PoDs follow their accepted subscriptions (docs/data-access.md)' },
            apiKeyHash: { ...HASH, doc: 'hash of the API key (header `X-API-Key`)' },
            tokenHash: { ...HASH, doc: 'hash of the bearer token (header `Authorization: Bearer …`); one of the two hashes is required' },
          },
        },
      },
      metricsPublic: { type: 'boolean', default: true, doc: 'serve `/metrics` without credentials (else the `dso` role is needed)' },
      maxPageSize: { type: 'integer', min: 1, max: 1000, default: 1000, unit: 'items', doc: 'largest `limit`' },
    },
  },
  dashboard: {
    type: 'object', doc: 'the web dashboard served by the API at `/ui/` (cloud/DASHBOARD.md): login, one section per role, live updates',
    fields: {
      enabled: { type: 'boolean', default: true, env: true, doc: 'serve the dashboard and its live event stream (`GET /api/events`)' },
      offlineAfterMs: ms(1000, 86_400_000, 60_000, 'a Light Node with no status or reading for this long is shown offline, even without its last will (ThingsBoard\'s inactivity timeout)'),
      explorerBaseUrl: { type: 'string', pattern: /^https?:\/\/[^\s]+[^/\s]$/, expected: 'http(s):// URL without a trailing slash', unit: 'URL', optional: true, env: true, doc: 'block explorer following EIP-3091 (`<url>/tx/<hash>`, `/block/<n>`, `/address/<a>`); none: hashes are shown without links' },
      eventHeartbeatMs: ms(100, 300_000, 15_000, 'the live event stream\'s keep-alive period; the login session is re-checked as often'),
    },
  },
  log: {
    type: 'object', doc: 'logging (JSON lines on stderr)',
    fields: { level: { type: 'string', enum: ['debug', 'info', 'warn', 'error'], default: 'info', env: true, doc: 'lowest level written' } },
  },
});
