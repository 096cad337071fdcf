/** Version 4: API keys (trawl keys) and webhook deliveries, as in the embedded service.db. */
import type { PgMigration } from './index.js';

export const migration0004: PgMigration = {
  version: 4,
  name: 'api_keys and webhook_deliveries',
  sql: `
  CREATE TABLE api_keys (
    id text PRIMARY KEY,
    name text NOT NULL,
    scopes text NOT NULL,
    hash text NOT NULL,
    webhook_secret text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
  );
  COMMENT ON COLUMN api_keys.hash IS 'scrypt of the key secret, with its salt and parameters';
  COMMENT ON COLUMN api_keys.webhook_secret IS 'signs the webhooks of this key''s jobs (HMAC-SHA256)';

  CREATE TABLE webhook_deliveries (
    id bigserial PRIMARY KEY,
    job_id text NOT NULL,
    event text NOT NULL,
    url text NOT NULL,
    attempt int NOT NULL,
    status text NOT NULL,
    http_status int,
    error text,
    duration_ms int,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id, id);
  `,
};
