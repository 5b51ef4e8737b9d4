/** Assertions shared by the HTTP suites. */
import { expect } from "vitest";

/** The response is an RFC 9457 problem with this status, code and (if given) field. */
export function expectProblem(r: { status: number; body: any; headers: Headers }, status: number, code: string, field?: string): void {
  expect(r.status).toBe(status);
  expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(r.body.code).toBe(code);
  expect(r.body.status).toBe(status);
  expect(typeof r.body.detail).toBe("string");
  if (field !== undefined) expect(r.body.field).toBe(field);
}
