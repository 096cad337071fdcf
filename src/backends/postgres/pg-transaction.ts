/** Running work on one pooled connection, and transactions on it. */
import type pg from 'pg';

/**
 * Runs `work` on a client checked out of `pool` and always returns it. A failed statement
 * does not cost the connection (pool.query would drop it on any error, which turns a writer
 * bisecting a batch with a bad row into a reconnect per probe); a connection that is broken
 * is dropped by the pool anyway.
 */
export async function withClient<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // A connection error between two queries is emitted on the checked-out client, where
  // (unlike in the pool) nobody listens: it would crash the process. The query in flight,
  // or the next one, rejects with it anyway.
  const ignore = (): void => {};
  client.on('error', ignore);
  let broken = false;
  try {
    return await work(client);
  } catch (err) {
    // An aborted transaction must not reach the next user of the connection.
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.off('error', ignore);
    client.release(broken);
  }
}

/** Runs `work` between BEGIN and COMMIT on one client; rolls back if it throws. */
export function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return withClient(pool, async (client) => {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  });
}
