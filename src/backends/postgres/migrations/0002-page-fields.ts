/** Version 2: what a job's extraction and pipeline added to a page (PageRecord.fields). */
import type { PgMigration } from './index.js';

export const migration0002: PgMigration = {
  version: 2,
  name: 'crawled_data.fields',
  sql: `
  ALTER TABLE crawled_data ADD COLUMN fields jsonb;
  COMMENT ON COLUMN crawled_data.fields IS
    'PageRecord.fields: markdown, text, metadata, structured, links, data, quality, duplicateOf '
    'and the pipeline''s own fields; NULL when the job had no extraction or pipeline';
  `,
};
