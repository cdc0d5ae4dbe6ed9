/**
 * SQLite schema of the edge spool. `meta` holds the seq high-water mark, so deleting acked or
 * evicted rows can never let `seq` go back (issue 4 item 5: never reused).
 */
export const SPOOL_SCHEMA_VERSION = 1;

export const SPOOL_DDL = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS readings (
  seq        INTEGER PRIMARY KEY,          -- = Reading.seq, allocated from meta.seq_hwm
  created_ms INTEGER NOT NULL,             -- when it was spooled (age bound)
  meter      TEXT NOT NULL,
  activation INTEGER NOT NULL DEFAULT 0,   -- 1 for activation readings (evicted last)
  bytes      INTEGER NOT NULL,             -- length of body (bytes bound)
  body       TEXT NOT NULL                 -- the SignedReading as JSON, exactly as signed
) STRICT;
CREATE TABLE IF NOT EXISTS quarantine (
  seq            INTEGER PRIMARY KEY,
  quarantined_ms INTEGER NOT NULL,
  code           TEXT NOT NULL,
  reason         TEXT NOT NULL,
  body           TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS evictions (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  evicted_ms INTEGER NOT NULL,
  reason     TEXT NOT NULL,                -- 'age' | 'bytes'
  first_seq  INTEGER NOT NULL,
  last_seq   INTEGER NOT NULL,
  count      INTEGER NOT NULL,
  bytes      INTEGER NOT NULL
) STRICT;
`;
