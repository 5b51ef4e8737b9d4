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
    // the path only: a query string may be long or hold what should not be echoed
    ...(request ? { instance: (request.url ?? "").split("?")[0], requestId: String(request.id) } : {}),
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

/**
 * Errors the router raises before any route runs (a URL that does not decode,
 * a path parameter longer than any id, an async constraint failing): given to
 * Fastify as its `frameworkErrors` option, so they too are problem+json.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  let domain: DomainError;
  switch (error.code) {
    case "FST_ERR_BAD_URL":
      domain = new DomainError("bad_request", "the URL is not valid: a percent-escape does not decode to UTF-8", { field: "/url" });
      break;
    case "FST_ERR_MAX_PARAM_LENGTH":
      domain = new DomainError("validation_failed", `a path parameter is longer than ${MAX_PARAM_LENGTH} characters; no id is that long`, { field: "/params" });
      break;
    default:
      domain = fromFramework(error);
  }
  request.log.info({ code: domain.code, frameworkCode: error.code }, domain.message);
  void sendProblem(reply, request, domain);
}

/** Longest path parameter the router accepts; longer ones are refused by frameworkErrors, shorter ones by each route's schema. */
export const MAX_PARAM_LENGTH = 256;

/**
 * Answers a malformed HTTP request (bad header, header too large) that never
 * became a Fastify request: a problem+json written straight to the socket.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: import("node:net").Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === "HPE_HEADER_OVERFLOW";
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify({
    type: "https://shiftex.dev/problems/bad-request",
    title: tooLarge ? "Request header fields too large" : "Bad request",
    status,
    code: "bad_request",
    detail: tooLarge ? "the request headers are larger than the server accepts" : "the request is not valid HTTP",
  });
  socket.end(
    `HTTP/1.1 ${status} ${tooLarge ? "Request Header Fields Too Large" : "Bad Request"}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
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
  // Only JSON bodies: without this, text/plain would be parsed as a string and fail validation confusingly instead of 415.
  app.removeContentTypeParser("text/plain");
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, new DomainError("not_found", `no route ${request.method} ${request.url.split("?")[0]}`)),
  );
}
