/**
 * The API's error catalogue: every error a client sees has a stable `code`, an HTTP
 * status, a one-line message and, for bad input, the field it names. Route handlers
 * throw ApiError (or the domain errors mapped in toApiError); the error handler renders
 * it in the format of the route's API (Trawl's, Firecrawl's or the S1 seed's). Nothing
 * else reaches a client: an unexpected error is `internal`, without its message.
 */
import { UsageError } from '../core/errors.js';
import {
  JobNotFoundError,
  JobStateError,
  JobSubmitError,
  ServiceUnavailableError,
} from '../jobs/job-service.js';

export const API_ERRORS = {
  invalid_request: 400,
  unsupported_option: 400,
  target_refused: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  job_not_found: 404,
  conflict: 409,
  job_state: 409,
  payload_too_large: 413,
  rate_limited: 429,
  timeout: 408,
  scrape_failed: 502,
  unavailable: 503,
  internal: 500,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export interface ApiErrorOptions {
  /** The request field at fault, as a dotted path (`body.seeds.0`). */
  field?: string;
  /** Extra machine-readable detail (validation issues). */
  details?: unknown;
  /** Seconds, for 429 and 503. */
  retryAfterSec?: number;
  cause?: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly field: string | undefined;
  readonly details: unknown;
  readonly retryAfterSec: number | undefined;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.status = API_ERRORS[code];
    this.field = options.field;
    this.details = options.details;
    this.retryAfterSec = options.retryAfterSec;
  }
}

/** Domain errors as API errors; anything else is null (the handler reports `internal`). */
export function domainApiError(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  if (err instanceof JobNotFoundError) return new ApiError('job_not_found', err.message);
  if (err instanceof JobStateError) {
    return new ApiError('job_state', err.message, { details: { state: err.state } });
  }
  if (err instanceof JobSubmitError) {
    return new ApiError('unavailable', err.message, {
      details: { jobId: err.jobId },
      retryAfterSec: 5,
    });
  }
  if (err instanceof ServiceUnavailableError) {
    return new ApiError('unavailable', err.message, { retryAfterSec: 5 });
  }
  // Spec checks beyond the schema (extraction, pipeline): their messages name the field.
  if (err instanceof UsageError)
    return new ApiError('invalid_request', err.message.replace(/\s*\n\s*/g, ' '));
  return null;
}
