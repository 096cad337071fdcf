/**
 * Between the gRPC wire and the seed task: the messages of proto/trawl.proto as types,
 * a status record as a TaskStatus, and every error as a gRPC status (the REST error
 * catalogue's codes mapped once, here; nothing internal in a message).
 */
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ApiError, type ApiErrorCode } from '../api-error.js';
import { domainApiError } from '../api-error.js';
import type { SeedStatus, SeedStatusValue } from '../routes/seed/seed-task.js';

/** CrawlRequest as the loader gives it (unset optional fields are absent). */
export interface CrawlRequestMessage {
  url: string;
  task_id: string;
  max_depth?: number;
  max_pages?: number;
  delay_ms?: number;
  store_body?: boolean;
}

export interface StatusRequestMessage {
  task_id: string;
}

export interface WatchRequestMessage {
  task_id: string;
  interval_ms?: number;
}

export type TaskStateName = `TASK_STATE_${Uppercase<SeedStatusValue>}`;

/** TaskStatus: the status record with the state as the proto enum's name, unset fields absent. */
export interface TaskStatusMessage {
  task_id: string;
  url: string;
  status: TaskStateName;
  dispatched_at: string;
  started_at?: string;
  completed_at?: string;
  error?: string;
  pages_crawled: number;
  pages_failed: number;
  pages_queued: number;
  pages_stored: number;
  client_task_id?: string;
}

export interface CrawlReplyMessage {
  task_id: string;
  message: string;
  status: TaskStatusMessage;
}

export function taskStatusMessage(record: SeedStatus): TaskStatusMessage {
  const optional = (name: string, value: string | null) =>
    value === null ? {} : { [name]: value };
  return {
    task_id: record.task_id,
    url: record.url,
    status: `TASK_STATE_${record.status.toUpperCase()}` as TaskStateName,
    dispatched_at: record.dispatched_at,
    ...optional('started_at', record.started_at),
    ...optional('completed_at', record.completed_at),
    ...optional('error', record.error),
    pages_crawled: record.pages_crawled,
    pages_failed: record.pages_failed,
    pages_queued: record.pages_queued,
    pages_stored: record.pages_stored,
    ...optional('client_task_id', record.client_task_id),
  };
}

const GRPC_CODES: Partial<Record<ApiErrorCode, GrpcStatus>> = {
  invalid_request: GrpcStatus.INVALID_ARGUMENT,
  unsupported_option: GrpcStatus.INVALID_ARGUMENT,
  target_refused: GrpcStatus.INVALID_ARGUMENT,
  not_found: GrpcStatus.NOT_FOUND,
  job_not_found: GrpcStatus.NOT_FOUND,
  conflict: GrpcStatus.ALREADY_EXISTS,
  job_state: GrpcStatus.FAILED_PRECONDITION,
  unauthorized: GrpcStatus.UNAUTHENTICATED,
  forbidden: GrpcStatus.PERMISSION_DENIED,
  rate_limited: GrpcStatus.RESOURCE_EXHAUSTED,
  timeout: GrpcStatus.DEADLINE_EXCEEDED,
  unavailable: GrpcStatus.UNAVAILABLE,
};

/** A gRPC error for the client: details name the field for bad input. */
export function grpcError(code: GrpcStatus, details: string, metadata?: Metadata): ServiceError {
  const err = new Error(details) as ServiceError;
  err.code = code;
  err.details = details;
  err.metadata = metadata ?? new Metadata();
  return err;
}

/**
 * Any thrown error as the status a client sees: catalogue errors keep their message
 * (which names the field); anything else is INTERNAL "internal error", and `internal`
 * says so to the caller, which logs it.
 */
export function toGrpcError(err: unknown): { error: ServiceError; internal: boolean } {
  const known = domainApiError(err);
  const code = known === null ? undefined : GRPC_CODES[known.code];
  if (known === null || code === undefined) {
    return { error: grpcError(GrpcStatus.INTERNAL, 'internal error'), internal: true };
  }
  return { error: grpcError(code, known.message), internal: false };
}

/** A request field at fault (no schema checks gRPC requests before the handler). */
export function invalidField(field: string, why: string): ApiError {
  return new ApiError('invalid_request', `${field}: ${why}`, { field });
}
