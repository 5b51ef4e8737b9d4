/**
 * One error handler: DomainError, validation and framework errors become
 * application/problem+json (RFC 9457) with a stable `code` and, for bad input,
 * the offending `field`. 5xx internals are logged, never shown.
 */
import type { ErrorObject } from "ajv";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { DomainError, ERROR_STATUS, type ErrorCode } from "../shared/errors";
import { fieldOf, messageOf } from "./validation";

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  instance?: string;
  field?: string;
  requestId?: string;
  [extra: string]: unknown;
}

const TITLES: Record<ErrorCode, string> = {
  bad_request: "Bad request",
  validation_failed: "Validation failed",
  malformed_json: "Malformed JSON",
  unsupported_media_type: "Unsupported media type",
  payload_too_large: "Payload too large",
  unauthenticated: "Authentication required",
  forbidden: "Forbidden",
  not_found: "Not found",
  conflict: "Conflict",
  duplicate: "Duplicate",
  idempotency_key_reused: "Idempotency key reused with a different request",
  idempotency_in_progress: "A request with this idempotency key is in progress",
  secret_shown_once: "The secret was shown once and cannot be shown again",
  unprocessable: "Unprocessable request",
  rate_limited: "Too many requests",
  not_ready: "Not ready",
  internal: "Internal server error",
};

/** Builds the problem document for a DomainError. */
export function problemOf(err: DomainError, request?: FastifyRequest): Problem {
  const { field, ...extra } = err.details;
  return {
    type: `https://shiftex.dev/problems/${err.code.replaceAll("_", "-")}`,
    title: TITLES[err.code],
    status: ERROR_STATUS[err.code],
    code: err.code,
    detail: err.message,
    ...(request ? { instance: request.url, requestId: String(request.id) } : {}),
    ...(field !== undefined ? { field } : {}),
    ...extra,
  };
}

function fromFramework(err: FastifyError & { validation?: ErrorObject[]; validationContext?: string }): DomainError {
  if (err instanceof DomainError) return err;
  if (err.validation && err.validation.length > 0) {
    const first = err.validation[0]!;
    const field = fieldOf(first, err.validationContext ?? "body");
    return new DomainError("validation_failed", messageOf(first, field), { field });
  }
  switch (err.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new DomainError("malformed_json", `the request body is not valid JSON: ${err.message}`, { field: "/body" });
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new DomainError("payload_too_large", "the request body is larger than the server accepts", { field: "/body" });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new DomainError("unsupported_media_type", "send the body as application/json", { field: "/headers/content-type" });
    default:
      break;
  }
  if (err instanceof SyntaxError && err.statusCode === 400) {
    return new DomainError("malformed_json", `the request body is not valid JSON: ${err.message}`, { field: "/body" });
  }
  if (err.statusCode === 429) return new DomainError("rate_limited", err.message);
  if (err.statusCode === 404) return new DomainError("not_found", err.message);
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new DomainError("bad_request", err.message);
  }
  return new DomainError("internal", "an internal error occurred; the request id identifies it in the logs");
}

/** Sends a problem document for any error. */
export function sendProblem(reply: FastifyReply, request: FastifyRequest, domain: DomainError): FastifyReply {
  return reply.status(domain.status).type("application/problem+json").send(problemOf(domain, request));
}

/** Installs the error and not-found handlers on an app. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const domain = fromFramework(error);
    if (domain.status >= 500) request.log.error({ err: error }, "request failed");
    else request.log.info({ code: domain.code, field: domain.details.field }, domain.message);
    if (domain.code === "rate_limited" && (error as FastifyError & { retryAfter?: number }).retryAfter) {
      void reply.header("retry-after", String((error as FastifyError & { retryAfter?: number }).retryAfter));
    }
    return sendProblem(reply, request, domain);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, new DomainError("not_found", `no route ${request.method} ${request.url.split("?")[0]}`)),
  );
}
