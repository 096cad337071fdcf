/**
 * Telling "PostgreSQL is unavailable right now" from "this data cannot be stored": a writer
 * retries the first with backoff for as long as it takes, and bisects a batch that fails
 * with the second to find (and set aside) the row at fault.
 */

/**
 * SQLSTATEs that say nothing about the rows written: the same statement can succeed later.
 * - `08xxx` connection exception (connection lost, refused at startup, protocol trouble);
 * - `53xxx` insufficient resources (too many connections 53300, disk full 53100, out of
 *   memory 53200);
 * - `57P01` admin shutdown (the server is stopping or restarting), `57P02` crash shutdown,
 *   `57P03` cannot connect now (starting up, recovering), `57P05` idle session timeout,
 *   `57014` query canceled (by an operator, or a statement timeout under load);
 * - `58xxx` system error (I/O error on the server);
 * - `40001` serialization failure, `40P01` deadlock detected: the transaction lost a race
 *   and the server rolled it back; retrying the same batch is the documented remedy;
 * - `55P03` lock not available (lock_timeout);
 * - `25P03` idle-in-transaction timeout (the server dropped our session);
 * - `25006` read-only transaction: connected to a standby, e.g. just after a failover,
 *   before DNS or the proxy points at the new primary.
 */
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '53', '58']);
const TRANSIENT_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '57P05',
  '57014',
  '40001',
  '40P01',
  '55P03',
  '25P03',
  '25006',
]);

/** Socket and DNS failures (Node's `err.code`): the server or the path to it is down. */
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Errors pg and pg-pool raise without a code when the connection is lost or cannot be had:
 * the socket closed mid-query, the connect timeout (client or pool) passed, or a client
 * already broken by one of these was asked to query.
 */
const TRANSIENT_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|timeout expired|Client has encountered a connection error|Query read timeout)/;

/**
 * True when `err` says PostgreSQL could not be reached or could not run the statement right
 * now (see the SQLSTATE and socket codes above): retry the same write later, it is not the
 * data's fault. False for everything else, notably the data errors of one row (class `22`:
 * invalid text, out-of-range number, bad JSON; class `23`: constraint violations), syntax
 * and schema errors (`42xxx`), and misuse (a pool already ended).
 */
export function isTransientPgError(err: unknown): boolean {
  return isTransient(err, 0);
}

function isTransient(err: unknown, depth: number): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  const { code, message, cause } = err as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'string') {
    // Node's codes first: 'EPIPE' would pass for a SQLSTATE.
    if (TRANSIENT_NODE_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) {
      return TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2));
    }
  }
  if (typeof message === 'string' && TRANSIENT_MESSAGE.test(message)) return true;
  // Node's happy-eyeballs connect (autoSelectFamily) reports every address's failure at once.
  if (err instanceof AggregateError && err.errors.some((e) => isTransient(e, depth + 1))) {
    return true;
  }
  return cause !== undefined && isTransient(cause, depth + 1);
}
