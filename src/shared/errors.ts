/**
 * The one error type. Every failure a client can cause is a DomainError with a
 * stable code; the error handler maps the code to an HTTP status and renders
 * application/problem+json (RFC 9457).
 */

export const ERROR_STATUS = {
  bad_request: 400,
  validation_failed: 400,
  malformed_json: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  duplicate: 409,
  idempotency_key_reused: 409,
  idempotency_in_progress: 409,
  secret_shown_once: 409,
  unprocessable: 422,
  rate_limited: 429,
  not_ready: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetails {
  /** JSON pointer-ish path of the offending field, e.g. "/body/creditCode". */
  readonly field?: string;
  readonly [key: string]: unknown;
}

export class DomainError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = "DomainError";
    this.status = ERROR_STATUS[code];
  }
}

/** Shorthand for a 400 naming the field at fault. */
export function invalidField(field: string, message: string, extra: Record<string, unknown> = {}): DomainError {
  return new DomainError("validation_failed", message, { field, ...extra });
}

export function notFound(what: string, id: string): DomainError {
  return new DomainError("not_found", `${what} ${id} was not found`, { id });
}
