/**
 * One error handler for every route: validation failures name the field, domain errors
 * map to their status, and nothing internal (stack, path, SQL) ever reaches a client.
 * Each API renders errors its own way: a route's `config.errorFormat` picks the shape.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ApiError, domainApiError } from '../api-error.js';

/** trawl: `{error: {code, message, field}}`; firecrawl: `{success: false, error, code, details}`; seed: `{error, code}`. */
export type ErrorFormat = 'trawl' | 'firecrawl' | 'seed';

import '../route-config.js';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: { issue?: { path?: PropertyKey[]; message?: string } };
}

/** The field and message of a schema validation failure, e.g. `body.seeds.0: Invalid URL`. */
function validationError(err: FastifyError): ApiError {
  const issues = (err.validation ?? []) as ValidationIssue[];
  const first = issues[0];
  const context = err.validationContext ?? 'body';
  const fieldOf = (i: ValidationIssue | undefined): string => {
    const path = i?.params?.issue?.path ?? i?.instancePath?.split('/').filter(Boolean) ?? [];
    return [context, ...path.map(String)].join('.');
  };
  const field = fieldOf(first);
  const message = first?.params?.issue?.message ?? first?.message ?? 'invalid';
  return new ApiError('invalid_request', `${field}: ${message}`, {
    field,
    details: issues.map((i) => ({
      field: fieldOf(i),
      message: i.params?.issue?.message ?? i.message,
    })),
  });
}

export function toApiError(err: unknown): ApiError {
  const known = domainApiError(err);
  if (known !== null) return known;
  const e = err as FastifyError;
  if (hasZodFastifySchemaValidationErrors(e) || Array.isArray(e.validation)) {
    return validationError(e);
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large', 'the request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('invalid_request', 'unsupported content type: send application/json', {
        field: 'headers.content-type',
      });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('invalid_request', 'body: expected a JSON object, got an empty body', {
        field: 'body',
      });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('invalid_request', 'body: not valid JSON', { field: 'body' });
  }
  if (err instanceof SyntaxError && e.statusCode === 400) {
    return new ApiError('invalid_request', 'body: not valid JSON', { field: 'body' });
  }
  if (typeof e.statusCode === 'number' && e.statusCode === 429) {
    return new ApiError('rate_limited', 'rate limit exceeded, retry later');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new ApiError('invalid_request', firstLine(e.message));
  }
  return new ApiError('internal', 'internal error', { cause: err });
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.slice(0, 300);
}

export function renderError(format: ErrorFormat, err: ApiError): Record<string, unknown> {
  switch (format) {
    case 'firecrawl':
      return {
        success: false,
        error: err.message,
        code: err.code,
        ...(err.details === undefined ? {} : { details: err.details }),
      };
    case 'seed':
      return { error: err.message, code: err.code };
    default:
      return {
        error: {
          code: err.code,
          message: err.message,
          ...(err.field === undefined ? {} : { field: err.field }),
          ...(err.details === undefined ? {} : { details: err.details }),
        },
      };
  }
}

export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  err: ApiError,
): FastifyReply {
  const format = request.routeOptions.config?.errorFormat ?? formatOfUrl(request.url);
  if (err.retryAfterSec !== undefined) reply.header('retry-after', String(err.retryAfterSec));
  return reply.code(err.status).type('application/json').send(renderError(format, err));
}

/** For requests that matched no route: the API their path belongs to. */
function formatOfUrl(url: string): ErrorFormat {
  if (/^\/v[12]\//.test(url)) return 'firecrawl';
  if (url.startsWith('/api/')) return 'seed';
  return 'trawl';
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const apiError = toApiError(err);
    if (apiError.code === 'internal') request.log.error({ err }, 'request failed');
    return sendError(request, reply, apiError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      new ApiError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}
