/**
 * Schema versions of the embedded database, applied in order by openSqliteDatabase.
 * Never edit a shipped migration; append a new one.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  // 1: frontier and page store.
  `
  CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    host TEXT NOT NULL,
    depth INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    -- 0 queued, 2 succeeded, 3 failed, 4 claimed (a redirect target known under another name)
    state INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX requests_queued ON requests (priority DESC, id) WHERE state = 0;
  CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    final_url TEXT,
    status INTEGER,
    title TEXT,
    depth INTEGER NOT NULL,
    content_type TEXT,
    fetched_at INTEGER NOT NULL,
    error TEXT,
    error_message TEXT,
    attempts INTEGER NOT NULL,
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT,
    content_length INTEGER,
    charset TEXT,
    canonical_url TEXT,
    link_count INTEGER NOT NULL,
    duration_ms INTEGER,
    headers TEXT NOT NULL,
    body BLOB
  );
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  // 2: frontier semantics shared with the distributed mode: sitemap walks as work items,
  // owned redirect claims, robots.txt answers kept by the frontier, job counters.
  `
  ALTER TABLE requests ADD COLUMN kind INTEGER NOT NULL DEFAULT 0; -- 0 page, 1 sitemap walk of an origin
  ALTER TABLE requests ADD COLUMN claimed_by TEXT; -- state 4: the URL whose redirect claimed it
  CREATE TABLE robots (
    origin TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status INTEGER,
    error TEXT,
    text TEXT,
    fetched_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    failures INTEGER NOT NULL
  );
  CREATE TABLE counters (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    retries INTEGER NOT NULL,
    bytes INTEGER NOT NULL
  );
  INSERT INTO counters (id, retries, bytes) VALUES (1, 0, 0);
  `,
  // 3: the dedup index (sqlite-dedup-index.ts): every page checked, per job, with its
  // verdict. Originals (duplicate_of NULL) carry their content hash (unique per job: the
  // first page with that content wins) and the 4 16-bit bands of their SimHash, indexed
  // for the near-duplicate look-up; rowid orders originals (ties go to the first).
  `
  CREATE TABLE dedup_pages (
    job_id TEXT NOT NULL,
    url TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    simhash TEXT NOT NULL, -- 16 hex
    duplicate_of TEXT,
    kind TEXT, -- 'exact', 'near', or NULL for an original
    distance INTEGER,
    b0 INTEGER, b1 INTEGER, b2 INTEGER, b3 INTEGER, -- NULL unless an original with near look-ups on
    PRIMARY KEY (job_id, url)
  );
  CREATE UNIQUE INDEX dedup_original_hash ON dedup_pages (job_id, content_hash)
    WHERE duplicate_of IS NULL;
  CREATE INDEX dedup_band0 ON dedup_pages (job_id, b0) WHERE b0 IS NOT NULL;
  CREATE INDEX dedup_band1 ON dedup_pages (job_id, b1) WHERE b1 IS NOT NULL;
  CREATE INDEX dedup_band2 ON dedup_pages (job_id, b2) WHERE b2 IS NOT NULL;
  CREATE INDEX dedup_band3 ON dedup_pages (job_id, b3) WHERE b3 IS NOT NULL;
  `,
  // 4: what a job's extraction and pipeline added to a page (PageRecord.fields), JSON text.
  `
  ALTER TABLE pages ADD COLUMN fields TEXT;
  `,
];
