/**
 * Bad input on every route, generated from the OpenAPI document the server
 * publishes (/docs/json), as an outside checker would: for each operation,
 * each parameter and each body property is made wrong in a way its schema
 * forbids (missing when required, of another type, out of range, too long,
 * not in its enum, a control character, an unknown property where none are
 * allowed, a body that is not an object, a body that is not JSON), and each
 * such request is sent with every kind of credential (enterprise, agency,
 * operator and regulator keys, a worker's session, none).
 *
 * Every answer must be a problem+json 4xx whose `status` is the HTTP status
 * (never a 5xx, never a success), a 400 must name the field, and afterwards
 * nothing is half-written: no business table gained or lost a row and the
 * ledger still verifies.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";

type Schema = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  parameters: Array<{ name: string; in: "path" | "query" | "header"; required?: boolean; schema: Schema }>;
  body?: Schema;
  bodyTypes: string[];
}
interface Probe {
  operation: Operation;
  what: string;
  path: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: unknown;
  rawBody?: string;
}
interface Answer {
  probe: Probe;
  who: string;
  status: number;
  contentType: string;
  body: any;
}

// Tables whose rows a refused request may legitimately leave behind: failed-credential counters, rate-limit and
// session book-keeping, and the idempotency records of refused requests (kept so a retry gets the same refusal).
const BOOKKEEPING = /^(_shiftex_migrations|idempotency_records|otp_challenges|sessions|auth_failures|login_lockouts|rate_limits)$/;

/** Resolves `$ref`s into the document's components (the body and parameter schemas are small: no cycles). */
function deref(doc: Schema, s: Schema | undefined): Schema | undefined {
  if (s === undefined) return undefined;
  if (typeof s.$ref === "string") {
    const parts = s.$ref.replace(/^#\//, "").split("/");
    let at: any = doc;
    for (const p of parts) at = at?.[p];
    return deref(doc, at);
  }
  return s;
}

function operations(doc: Schema): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(doc.paths)) {
    for (const [method, op] of Object.entries<Schema>(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const content = op.requestBody?.content ?? {};
      out.push({
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []).map((p: Schema) => ({ ...p, schema: deref(doc, p.schema) ?? {} })),
        body: deref(doc, content["application/json"]?.schema),
        bodyTypes: Object.keys(content),
      });
    }
  }
  return out;
}

const types = (s: Schema): string[] => (Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type]);
const nullable = (s: Schema) => types(s).includes("null") || s.nullable === true || (s.anyOf ?? s.oneOf ?? []).some((b: Schema) => types(b).includes("null"));

/** A value the schema accepts, as far as a generic generator can tell (an example, the first enum value, a bound). */
function goodValue(s: Schema): unknown {
  if (s.examples?.length) return s.examples[0];
  if (s.example !== undefined) return s.example;
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  const branch = s.anyOf ?? s.oneOf;
  if (branch?.length) return goodValue(branch.find((b: Schema) => !types(b).includes("null")) ?? branch[0]);
  const t = types(s).find((x) => x !== "null");
  if (t === "integer" || t === "number") return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
  if (t === "boolean") return false;
  if (t === "array") return [];
  if (t === "object") {
    const o: Record<string, unknown> = {};
    for (const r of s.required ?? []) o[r] = goodValue(s.properties?.[r] ?? {});
    return o;
  }
  return goodString(s);
}

// Strings a pattern or format is likely to take, tried in turn (ids, codes, dates, names, phones, references).
const CANDIDATES = ["xx", "测试名称", "dispatch desk", "500107", "2026-12-20", "2026-12-20T09:00:00+08:00", "+8613800000000", "13800000000", "D1",
  "welder", "welder.500107.2026-12-20.D1", "91500000MA5U000001", "org_0000000000000000000000000", "a1b2c3d4", "ABCDEF12", "1", "0.5",
  "11010519491231002X", "6222020200000000000", "SX-2026-000001"];

function goodString(s: Schema): string {
  const min = s.minLength ?? 1;
  const max = s.maxLength ?? Infinity;
  const fits = (v: string) => [...v].length >= min && [...v].length <= max;
  const byFormat: Record<string, string> = { date: "2026-12-20", "date-time": "2026-12-20T09:00:00.000+08:00", email: "a@example.com", uri: "https://example.com/" };
  if (s.format && byFormat[s.format] !== undefined) return byFormat[s.format]!;
  if (s.pattern) {
    const re = new RegExp(s.pattern, "u");
    const hit = CANDIDATES.find((c) => re.test(c) && fits(c));
    if (hit !== undefined) return hit;
  }
  return "x".repeat(Math.max(1, min));
}

/** Values the schema refuses, each with what is wrong with it (only what is certain to be refused). */
function badValues(s: Schema, inText: boolean): Array<{ what: string; value: unknown }> {
  const out: Array<{ what: string; value: unknown }> = [];
  if (s.anyOf || s.oneOf || s.allOf) {
    const all: Schema[] = s.anyOf ?? s.oneOf ?? s.allOf;
    const ts = all.flatMap(types);
    if (!inText && all.every((b) => types(b).length > 0) && !ts.includes("boolean")) out.push({ what: "a boolean where none is allowed", value: true });
    return out;
  }
  const t = types(s).filter((x) => x !== "null");
  if (s.enum) out.push({ what: "a value outside the enum", value: "zz-not-listed" });
  if (s.const !== undefined && typeof s.const === "string") out.push({ what: "another value than the constant", value: `${s.const}-zz` });
  if (t.includes("string")) {
    if (s.maxLength !== undefined) out.push({ what: "one character too long", value: "a".repeat(s.maxLength + 1) });
    if ((s.minLength ?? 0) > 0) out.push({ what: "empty", value: "" });
    out.push({ what: "a control character", value: `x\u0001y` });
    if (!inText) out.push({ what: "a number for a string", value: 12345 });
  }
  if (t.includes("integer") || t.includes("number")) {
    out.push({ what: "text for a number", value: inText ? "abc" : "12" });
    if (t.includes("integer") && !t.includes("number")) out.push({ what: "a fraction for an integer", value: inText ? "1.5" : 1.5 });
    if (s.minimum !== undefined) out.push({ what: "below the minimum", value: inText ? String(s.minimum - 1) : s.minimum - 1 });
    if (s.exclusiveMinimum !== undefined) out.push({ what: "at the exclusive minimum", value: inText ? String(s.exclusiveMinimum) : s.exclusiveMinimum });
    if (s.maximum !== undefined) out.push({ what: "above the maximum", value: inText ? String(s.maximum + 1) : s.maximum + 1 });
  }
  if (t.includes("boolean")) out.push({ what: "text for a boolean", value: inText ? "maybe" : "true" });
  if (t.includes("array") && !inText) {
    out.push({ what: "an object for an array", value: {} });
    if (s.maxItems !== undefined) out.push({ what: "one item too many", value: Array.from({ length: s.maxItems + 1 }, () => goodValue(s.items ?? {})) });
  }
  if (t.includes("object") && !inText) out.push({ what: "an array for an object", value: [] });
  if (!inText && !nullable(s) && t.length > 0) out.push({ what: "null", value: null });
  return out;
}

/** Values the schema accepts at its edges: the bounds, the longest string (in Chinese, and with an emoji), the other enum values. */
function edgeValues(s: Schema, inText: boolean): Array<{ what: string; value: unknown }> {
  const out: Array<{ what: string; value: unknown }> = [];
  if (s.anyOf || s.oneOf) {
    for (const b of (s.anyOf ?? s.oneOf) as Schema[]) if (!types(b).includes("null") || !inText) out.push({ what: "another branch", value: goodValue(b) });
    return out;
  }
  const t = types(s).filter((x) => x !== "null");
  if (s.enum) for (const v of s.enum.slice(1)) out.push({ what: `enum ${String(v)}`, value: v });
  if (t.includes("integer") || t.includes("number")) {
    if (s.maximum !== undefined) out.push({ what: "the maximum", value: s.maximum });
    if (s.minimum !== undefined) out.push({ what: "the minimum", value: s.minimum });
  }
  if (t.includes("string") && !s.enum && !s.pattern && !s.format) {
    const n = Math.min(s.maxLength ?? 200, 2000);
    out.push({ what: "the longest, in Chinese", value: "工".repeat(n) });
    if (n >= 2) out.push({ what: "with an emoji", value: `😀${"a".repeat(Math.max(0, Math.min(n, 50) - 2))}` });
  }
  if (!inText && nullable(s)) out.push({ what: "null", value: null });
  return out.map((v) => (inText ? { ...v, value: String(v.value) } : v));
}

/** The request as the document shows it: path and required parameters and the body at values their schemas accept. */
function baseOf(op: Operation): Probe {
  const path: Record<string, string> = {};
  const query: Record<string, string> = {};
  const headers: Record<string, string> = {};
  for (const p of op.parameters) {
    if (p.in === "path") path[p.name] = String(goodValue(p.schema));
    else if (p.required && p.in === "query") query[p.name] = String(goodValue(p.schema));
    else if (p.required && p.in === "header") headers[p.name] = String(goodValue(p.schema));
  }
  const body = op.body ? goodValue(op.body) : undefined;
  return { operation: op, what: "as the document shows it", path, query, headers, ...(body !== undefined ? { body } : {}) };
}

function probes(op: Operation): Probe[] {
  const base = baseOf(op);
  const body = base.body;
  const out: Probe[] = [];
  for (const p of op.parameters) {
    const where = p.in === "path" ? "path" : p.in === "query" ? "query" : "headers";
    if (p.required && p.in !== "path") {
      const without = { ...base[where] };
      delete without[p.name];
      out.push({ ...base, [where]: without, what: `${p.in} ${p.name} missing` });
    }
    for (const bad of badValues(p.schema, true)) {
      if (p.in === "header" && /[\u0000-\u001f]/.test(String(bad.value))) continue; // not sendable in an HTTP header
      out.push({ ...base, [where]: { ...base[where], [p.name]: String(bad.value) }, what: `${p.in} ${p.name}: ${bad.what}` });
    }
  }
  if (op.body) {
    const props: Record<string, Schema> = op.body.properties ?? {};
    for (const r of op.body.required ?? []) {
      const b = { ...(body as Record<string, unknown>) };
      delete b[r];
      out.push({ ...base, body: b, what: `body ${r} missing` });
    }
    for (const [name, s] of Object.entries(props)) {
      for (const bad of badValues(s, false)) out.push({ ...base, body: { ...(body as Record<string, unknown>), [name]: bad.value }, what: `body ${name}: ${bad.what}` });
    }
    if (op.body.additionalProperties === false) out.push({ ...base, body: { ...(body as Record<string, unknown>), zzUnknown: 1 }, what: "body with an unknown property" });
    if (types(op.body).includes("object")) out.push({ ...base, body: [], what: "body an array" });
    out.push({ ...base, body: undefined, rawBody: "{not json", what: "body not JSON" });
  }
  return out;
}

/** Requests the schema accepts, with one parameter or property at an edge of what it allows. */
function edgeProbes(op: Operation): Probe[] {
  const clean = baseOf(op);
  const out: Probe[] = [clean];
  for (const p of op.parameters) {
    if (p.in === "path") continue; // ids: an edge of an id is an unknown id, which the bad-input pass sends
    const where = p.in === "query" ? "query" : "headers";
    for (const v of edgeValues(p.schema, true)) {
      if (p.in === "header" && /[^\x20-\x7e]/.test(String(v.value))) continue;
      out.push({ ...clean, [where]: { ...clean[where], [p.name]: String(v.value) }, what: `${p.in} ${p.name}: ${v.what}` });
    }
  }
  if (op.body && clean.body !== undefined && typeof clean.body === "object" && !Array.isArray(clean.body)) {
    for (const [name, ps] of Object.entries<Schema>(op.body.properties ?? {})) {
      for (const v of edgeValues(ps, false)) out.push({ ...clean, body: { ...(clean.body as Record<string, unknown>), [name]: v.value }, what: `body ${name}: ${v.what}` });
    }
  }
  return out;
}

function url(p: Probe): string {
  let u = p.operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(p.path[name] ?? "x"));
  const q = new URLSearchParams(p.query).toString();
  if (q) u += `?${q}`;
  return u;
}

async function tableCounts(app: TestApp): Promise<Record<string, number>> {
  const { rows } = await app.database.db.sql.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const out: Record<string, number> = {};
  for (const { table_name: t } of rows) {
    if (BOOKKEEPING.test(t)) continue;
    const { rows: n } = await app.database.db.sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${t}"`);
    out[t] = Number(n[0]!.n);
  }
  return out;
}

// One backend (PostgreSQL when the services run, PGlite otherwise): validation, roles and refusals are the same
// code on both, and its ≈ 9,000 requests would double the suite's longest file for nothing.
const backend = backends.at(-1)!;

describe(`bad input on every route of the OpenAPI document (${backend.name})`, () => {
  let app: TestApp;
  let ops: Operation[];
  const answers: Answer[] = [];
  const edges: Answer[] = [];
  let counts: { before: Record<string, number>; after: Record<string, number> };

  beforeAll(async () => {
    app = await startTestApp(backend, { env: { RATE_LIMIT_MAX: "10000000", AUTH_FAILURE_MAX: "1000000" }, contractLoops: false });
    const doc = (await call(app, "GET", "/docs/json")).body;
    ops = operations(doc);
    const phone = app.demo.workerPhones[0]!;
    const sent = await call(app, "POST", "/v1/auth/otp", { body: { phone } });
    const ok = await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode } });
    expect(ok.status).toBe(200);
    const who: Array<{ who: string; key?: string; cookie?: string }> = [
      { who: "enterprise", key: app.key("demo enterprise 0001") },
      { who: "agency", key: app.key("demo agency 0004") },
      { who: "operator", key: app.key("demo operator") },
      { who: "regulator", key: app.key("demo regulator") },
      { who: "worker", cookie: ok.headers.get("set-cookie")!.split(";")[0]! },
      { who: "nobody" },
    ];
    const before = await tableCounts(app);
    for (const op of ops) {
      for (const probe of probes(op)) {
        for (const w of who) {
          const res = await call(app, op.method, url(probe), {
            ...(w.key ? { key: w.key } : {}),
            ...(w.cookie ? { cookie: w.cookie } : {}),
            headers: probe.rawBody !== undefined ? { ...probe.headers, "content-type": "application/json" } : probe.headers,
            ...(probe.rawBody !== undefined ? { rawBody: probe.rawBody } : probe.body !== undefined ? { body: probe.body } : {}),
          });
          answers.push({ probe, who: w.who, status: res.status, contentType: res.headers.get("content-type") ?? "", body: res.body });
        }
      }
    }
    counts = { before, after: await tableCounts(app) };
    // Then requests the schemas accept, at their edges: whatever the handler makes of them, never a 5xx.
    for (const op of ops) {
      for (const probe of edgeProbes(op)) {
        for (const w of who) {
          const res = await call(app, op.method, url(probe), { ...(w.key ? { key: w.key } : {}), ...(w.cookie ? { cookie: w.cookie } : {}), headers: probe.headers, ...(probe.body !== undefined ? { body: probe.body } : {}) });
          edges.push({ probe, who: w.who, status: res.status, contentType: res.headers.get("content-type") ?? "", body: res.body });
        }
      }
    }
  }, 600_000);
  afterAll(async () => app?.close());

  it("covers every operation of the document", () => {
    expect(ops.length).toBeGreaterThan(50);
    const probed = new Set(answers.map((a) => `${a.probe.operation.method} ${a.probe.operation.path}`));
    const withInput = ops.filter((o) => o.parameters.length > 0 || o.body !== undefined);
    for (const o of withInput) expect(probed.has(`${o.method} ${o.path}`), `${o.method} ${o.path} was not probed`).toBe(true);
  });

  it("answers every bad request with a problem+json 4xx, never a 5xx or a success; a 400 names the field", () => {
    const wrong = answers.filter((a) => {
      if (a.status < 400 || a.status >= 500) return true;
      if (!a.contentType.startsWith("application/problem+json")) return true;
      if (a.body?.status !== a.status) return true;
      if (a.status === 400 && !(typeof a.body?.field === "string" && a.body.field.length > 0)) return true;
      return false;
    });
    const show = wrong.slice(0, 40).map((a) => `${a.probe.operation.method} ${url(a.probe)} [${a.probe.what}] as ${a.who} → ${a.status} ${a.contentType} ${JSON.stringify(a.body).slice(0, 200)}`);
    expect(show, `${wrong.length} of ${answers.length} answers`).toEqual([]);
  });

  it("answers requests the schemas accept, at their edges, without a 5xx; a refusal is problem+json", () => {
    expect(edges.length).toBeGreaterThan(ops.length);
    const wrong = edges.filter((a) => a.status >= 500 || (a.status >= 400 && (!a.contentType.startsWith("application/problem+json") || a.body?.status !== a.status)));
    const show = wrong.slice(0, 40).map((a) => `${a.probe.operation.method} ${url(a.probe)} [${a.probe.what}] ${JSON.stringify(a.probe.body ?? null).slice(0, 150)} as ${a.who} → ${a.status} ${a.contentType} ${JSON.stringify(a.body).slice(0, 200)}`);
    expect(show, `${wrong.length} of ${edges.length} answers`).toEqual([]);
  });

  it("leaves nothing half-written: no business table changed and the ledger verifies", async () => {
    expect(counts.after).toEqual(counts.before);
    const verify = await call(app, "GET", "/v1/ledger/verify", { key: app.key("demo operator") });
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ ok: true });
  });
});
