/**
 * Opaque cursors: a client passes back what it was given and never builds one. A cursor
 * is base64url JSON, so its shape can change without breaking clients that follow the
 * rule; a malformed one is a 400 naming the field.
 */
import { ApiError } from './api-error.js';

export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string, field: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // reported below
  }
  throw new ApiError('invalid_request', `${field}: not a cursor this service issued`, { field });
}
