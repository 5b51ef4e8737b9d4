// Every answer the edge gives to bad input is problem+json naming what is wrong, framework errors
// included, and control characters never reach the database.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { creditCodeWithChecksum } from "../../src/parties";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { expectProblem } from "../helpers/expect";
import { backends } from "../helpers/services";

/** Sends raw bytes and returns the raw response (for requests fetch would refuse to send). */
function rawRequest(baseUrl: string, text: string): Promise<string> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1", () => socket.write(text));
    let out = "";
    socket.on("data", (d) => (out += d.toString("utf8")));
    socket.on("end", () => resolve(out));
    socket.on("error", reject);
  });
}

describe.each(backends)("HTTP errors on $name", (backend) => {
  let app: TestApp;
  let operator: string;
  let enterprise: string;
  beforeAll(async () => {
    app = await startTestApp(backend);
    operator = app.key("demo operator");
    enterprise = app.key("demo enterprise 0001");
  });
  afterAll(async () => app?.close());

  it("answers a URL that does not decode with problem+json", async () => {
    const r = await call(app, "GET", "/v1/workers/%E0%A4%A", { key: operator });
    expectProblem(r, 400, "bad_request", "/url");
  });

  it("answers an over-long path parameter with problem+json naming the params", async () => {
    const r = await call(app, "GET", `/v1/workers/${"a".repeat(300)}`, { key: operator });
    expectProblem(r, 400, "validation_failed", "/params");
    // One the router accepts but longer than any id: the schema names the parameter.
    expectProblem(await call(app, "GET", `/v1/workers/${"a".repeat(100)}`, { key: operator }), 400, "validation_failed", "/params/id");
  });

  it("answers a body that is not JSON with 415, text/plain included", async () => {
    for (const type of ["text/plain", "application/xml", "application/x-www-form-urlencoded"]) {
      const r = await call(app, "POST", "/v1/top-ups", { key: enterprise, rawBody: "amountFen=100", headers: { "content-type": type } });
      expectProblem(r, 415, "unsupported_media_type", "/headers/content-type");
    }
  });

  it("answers malformed HTTP on the socket with a problem document", async () => {
    const out = await rawRequest(app.baseUrl, "GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
    expect(out).toMatch(/^HTTP\/1\.1 400/);
    expect(out).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(out.slice(out.indexOf("\r\n\r\n") + 4)).code).toBe("bad_request");
  });

  it("refuses control characters in any text field with 400 naming the field, and writes nothing", async () => {
    const creditCode = creditCodeWithChecksum("91500103MA7777777");
    for (const name of ["Acme\u0000Labour", "Acme\u001bLabour", "Acme\u007fLabour", "Acme\ud800Labour"]) {
      const r = await call(app, "POST", "/v1/organisations", { key: operator, body: { kind: "enterprise", name, creditCode, districtCode: "500103" } });
      expectProblem(r, 400, "validation_failed", "/body/name");
    }
    const list = await call(app, "GET", "/v1/organisations?limit=500", { key: operator });
    expect(list.body.items.some((o: { creditCode: string }) => o.creditCode === creditCode)).toBe(false);
    // Tabs and line breaks are text, not controls.
    const ok = await call(app, "POST", "/v1/organisations", { key: operator, body: { kind: "enterprise", name: "Acme\tLabour", creditCode, districtCode: "500103" } });
    expect(ok.status).toBe(201);
  });

  it("refuses control characters in nested fields, keys and query strings too", async () => {
    const reject = await call(app, "POST", "/v1/withdrawals/wdr_nope/reject", { key: operator, body: { reason: "bad\u0000reason" } });
    expectProblem(reject, 400, "validation_failed", "/body/reason");
    const key = await call(app, "POST", "/v1/top-ups", { key: enterprise, rawBody: '{"amountFen":100,"x\\u0000":1}' });
    expectProblem(key, 400, "validation_failed");
    expect(key.body.field).toBe("/body/x\u0000");
    const query = await call(app, "GET", "/v1/top-ups?status=%00", { key: enterprise });
    expectProblem(query, 400, "validation_failed", "/querystring/status");
  });

  it("shows no lock beside public routes in the OpenAPI document, and one beside the rest", async () => {
    const doc = (await call(app, "GET", "/docs/json")).body;
    expect(doc.paths["/health"].get.security).toEqual([]);
    expect(doc.paths["/v1/auth/otp"].post.security).toEqual([]);
    expect(doc.paths["/v1/catalogue"].get.security).toEqual([]);
    // Routes that need a credential inherit the document's security requirement.
    expect(doc.paths["/v1/workers"].get.security).toBeUndefined();
    expect(doc.security.length).toBeGreaterThan(0);
  });
});
