// Parties API over real HTTP, on PGlite and (when DATABASE_URL is set) PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { creditCodeWithChecksum, residentIdWithChecksum } from "../../src/parties";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { expectProblem } from "../helpers/expect";
import { backends } from "../helpers/services";


let serial = 100;
function newOrgBody(kind: "enterprise" | "agency" = "enterprise") {
  serial++;
  return { kind, name: `Test Org ${serial}`, creditCode: creditCodeWithChecksum(`91500103MA${String(serial).padStart(7, "0")}`), districtCode: "500103" };
}
let idSerial = 500;
function newWorkerBody() {
  idSerial++;
  return {
    realName: "测试工人",
    residentId: residentIdWithChecksum(`50010319900101${String(idSerial).slice(-3)}`),
    phone: `+8613800${String(idSerial).padStart(6, "0")}`,
    districtCode: "500103",
    skills: [{ skillId: "welder", level: 2 }],
    keyGroups: ["migrant_worker"],
  };
}

describe.each(backends)("parties API on $name", (backend) => {
  let app: TestApp;
  let operator: string;
  let agencyA: string;
  let agencyB: string;
  let enterprise: string;
  let regulator: string;

  beforeAll(async () => {
    app = await startTestApp(backend);
    operator = app.key("demo operator");
    regulator = app.key("demo regulator");
    agencyA = app.key("demo agency 0004");
    agencyB = app.key("demo agency 0005");
    enterprise = app.key("demo enterprise 0001");
  });
  afterAll(async () => app?.close());

  const orgCount = () => app.database.db.prisma.organisation.count();
  const workerCount = () => app.database.db.prisma.worker.count();

  describe("ops endpoints", () => {
    it("answers /health, /ready with the database kind, and /metrics in Prometheus text", async () => {
      expect((await call(app, "GET", "/health")).body).toEqual({ status: "ok" });
      const ready = await call(app, "GET", "/ready");
      expect(ready.body).toMatchObject({ status: "ready", database: backend.name });
      await call(app, "GET", "/v1/catalogue");
      const metrics = await fetch(`${app.baseUrl}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/http_requests_total\{method="GET",route="\/v1\/catalogue",status="200"\} \d+/);
      expect(metrics).toContain("http_request_duration_seconds_bucket");
    });

    it("serves OpenAPI JSON and UI at /docs, with the routes and their schemas", async () => {
      const doc = await call(app, "GET", "/docs/json");
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toMatch(/^3\./);
      expect(doc.body.paths["/v1/organisations"].post.requestBody).toBeDefined();
      expect(doc.body.paths["/v1/workers"].post.responses["201"]).toBeDefined();
      const ui = await fetch(`${app.baseUrl}/docs`, { redirect: "follow" });
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain("swagger");
    });

    it("echoes a valid x-request-id and makes one up otherwise", async () => {
      const given = await call(app, "GET", "/health", { headers: { "x-request-id": "abc-123" } });
      expect(given.headers.get("x-request-id")).toBe("abc-123");
      const made = await call(app, "GET", "/health");
      expect(made.headers.get("x-request-id")).toMatch(/^req_/);
    });
  });

  describe("OpenAPI document matches the server", () => {
    const bodyOf = (doc: any, path: string, method: string) => doc.paths[path][method].requestBody.content["application/json"];
    const exampleOf = (doc: any, path: string, method: string) => {
      const media = bodyOf(doc, path, method);
      return media.example ?? media.schema.examples?.[0] ?? (Object.values(media.examples ?? {})[0] as { value?: unknown } | undefined)?.value;
    };

    it("shows no lock on public routes", async () => {
      const doc = (await call(app, "GET", "/docs/json")).body;
      for (const [path, method] of [["/v1/auth/otp", "post"], ["/v1/auth/otp/verify", "post"], ["/v1/auth/logout", "post"], ["/v1/catalogue", "get"]] as const) {
        expect(doc.paths[path][method].security, `${method} ${path}`).toEqual([]);
      }
      expect(doc.paths["/v1/workers"].get.security).toBeUndefined(); // the document-wide lock applies
    });

    it("gives request bodies examples the server accepts", async () => {
      const doc = (await call(app, "GET", "/docs/json")).body;
      const org = exampleOf(doc, "/v1/organisations", "post");
      expect(org.districtCode).toBe("500107");
      expect((await call(app, "POST", "/v1/organisations", { key: operator, body: org })).status).toBe(201);
      const worker = exampleOf(doc, "/v1/workers", "post");
      const created = await call(app, "POST", "/v1/workers", { key: operator, body: worker });
      expect(created.status).toBe(201);
      expect(created.body.juvenile).toBe(false);
      const licence = exampleOf(doc, "/v1/organisations/{id}/licences", "post");
      const agency = app.demo.organisations.find((o) => o.kind === "agency")!;
      expect((await call(app, "POST", `/v1/organisations/${agency.id}/licences`, { key: operator, body: licence })).status).toBe(201);
      expect(exampleOf(doc, "/v1/auth/otp/verify", "post")).toMatchObject({ code: expect.stringMatching(/^\d{6}$/) });
    });

    it("states the limits the server enforces: two characters after trimming for names", async () => {
      const doc = (await call(app, "GET", "/docs/json")).body;
      const realName = bodyOf(doc, "/v1/workers", "post").schema.properties.realName;
      const pattern = new RegExp(realName.pattern, "u");
      expect(pattern.test(" 张 ")).toBe(false);
      expect(pattern.test("张伟")).toBe(true);
      const before = await workerCount();
      expectProblem(await call(app, "POST", "/v1/workers", { key: agencyA, body: { ...newWorkerBody(), realName: " 张 " } }), 400, "validation_failed", "/body/realName");
      expect((await call(app, "POST", "/v1/workers", { key: agencyA, body: { ...newWorkerBody(), realName: " 张伟 " } })).body.realName).toBe("张伟");
      expect(await workerCount()).toBe(before + 1);
      // An organisation's name of spaces only was stored empty before.
      expectProblem(await call(app, "POST", "/v1/organisations", { key: operator, body: { ...newOrgBody(), name: "     " } }), 400, "validation_failed", "/body/name");
      const districts = bodyOf(doc, "/v1/workers", "post").schema.properties.districtCode.enum;
      expect(districts).toHaveLength(38);
      expect(bodyOf(doc, "/v1/workers", "post").schema.properties.residentId.pattern).toBeDefined();
    });
  });

  describe("organisations", () => {
    it("lets an operator register an enterprise and its owner read it", async () => {
      const body = newOrgBody();
      const r = await call(app, "POST", "/v1/organisations", { key: operator, body });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ kind: "enterprise", creditCode: body.creditCode, colour: "blue", licences: [] });
      const key = await call(app, "POST", `/v1/organisations/${r.body.id}/api-keys`, { key: operator, body: { label: "owner" } });
      expect(key.status).toBe(201);
      expect(key.body.apiKey).toMatch(/^sx_/);
      const read = await call(app, "GET", `/v1/organisations/${r.body.id}`, { key: key.body.apiKey });
      expect(read.status).toBe(200);
      expect(read.body.id).toBe(r.body.id);
      // The stored key is a hash, never the key itself.
      const stored = await app.database.db.prisma.apiKey.findUnique({ where: { id: key.body.id } });
      expect(stored?.keyHash).not.toContain(key.body.apiKey);
      expect(stored?.keyHash).toMatch(/^[0-9a-f]{64}$/);
    });

    it("refuses a credit code with a bad checksum, naming the field, and writes nothing", async () => {
      const before = await orgCount();
      const body = newOrgBody();
      const last = body.creditCode.at(-1)!;
      body.creditCode = body.creditCode.slice(0, 17) + (last === "0" ? "1" : "0");
      const r = await call(app, "POST", "/v1/organisations", { key: operator, body });
      expectProblem(r, 400, "validation_failed", "/body/creditCode");
      expect(r.body.reason).toBe("checksum");
      expect(await orgCount()).toBe(before);
    });

    it("refuses a duplicate credit code with 409", async () => {
      const body = newOrgBody();
      expect((await call(app, "POST", "/v1/organisations", { key: operator, body })).status).toBe(201);
      const again = await call(app, "POST", "/v1/organisations", { key: operator, body: { ...body, name: "Another name" } });
      expectProblem(again, 409, "duplicate", "/body/creditCode");
    });

    it("refuses an unknown district", async () => {
      const r = await call(app, "POST", "/v1/organisations", { key: operator, body: { ...newOrgBody(), districtCode: "110101" } });
      expectProblem(r, 400, "validation_failed", "/body/districtCode");
    });

    it("does not let an enterprise or agency register organisations", async () => {
      const before = await orgCount();
      expectProblem(await call(app, "POST", "/v1/organisations", { key: enterprise, body: newOrgBody() }), 403, "forbidden");
      expectProblem(await call(app, "POST", "/v1/organisations", { key: regulator, body: newOrgBody() }), 403, "forbidden");
      expect(await orgCount()).toBe(before);
    });

    it("hides another organisation's record from an organisation user", async () => {
      const other = app.demo.organisations.find((o) => o.name.includes("Bayu"))!;
      expectProblem(await call(app, "GET", `/v1/organisations/${other.id}`, { key: agencyA }), 404, "not_found");
      const patched = await call(app, "PATCH", `/v1/organisations/${other.id}`, { key: agencyA, body: { name: "Hijacked" } });
      expectProblem(patched, 404, "not_found");
      const stored = await app.database.db.prisma.organisation.findUnique({ where: { id: other.id } });
      expect(stored?.name).not.toBe("Hijacked");
      // The regulator reads everything but changes nothing.
      expect((await call(app, "GET", `/v1/organisations/${other.id}`, { key: regulator })).status).toBe(200);
      expectProblem(await call(app, "PATCH", `/v1/organisations/${other.id}`, { key: regulator, body: { name: "X" } }), 403, "forbidden");
    });
  });

  describe("operator-only changes", () => {
    it("does not let an enterprise set lendsStaff on itself and then register workers, nor rename itself", async () => {
      const ent = app.demo.organisations.find((o) => o.kind === "enterprise" && !o.name.includes("lends staff"))!;
      const lend = await call(app, "PATCH", `/v1/organisations/${ent.id}`, { key: enterprise, body: { lendsStaff: true } });
      expectProblem(lend, 403, "forbidden", "/body/lendsStaff");
      const rename = await call(app, "PATCH", `/v1/organisations/${ent.id}`, { key: enterprise, body: { name: "Renamed Ltd" } });
      expectProblem(rename, 403, "forbidden", "/body/name");
      const stored = await app.database.db.prisma.organisation.findUniqueOrThrow({ where: { id: ent.id } });
      expect(stored).toMatchObject({ lendsStaff: false, name: ent.name });
      const before = await workerCount();
      expectProblem(await call(app, "POST", "/v1/workers", { key: enterprise, body: newWorkerBody() }), 403, "forbidden");
      expect(await workerCount()).toBe(before);
      // Its own district is still its own to change, and the change is recorded.
      const moved = await call(app, "PATCH", `/v1/organisations/${ent.id}`, { key: enterprise, body: { districtCode: "500107" } });
      expect(moved.status).toBe(200);
      const changes = await call(app, "GET", `/v1/organisations/${ent.id}/changes`, { key: enterprise });
      expect(changes.body.items.at(-1)).toMatchObject({ field: "districtCode", newValue: "500107", changedByRole: "enterprise", reason: null });
    });

    it("lets an operator rename an organisation or set lendsStaff only with a reason, and records it", async () => {
      const org = await call(app, "POST", "/v1/organisations", { key: operator, body: newOrgBody("enterprise") });
      const id = org.body.id as string;
      expectProblem(await call(app, "PATCH", `/v1/organisations/${id}`, { key: operator, body: { lendsStaff: true } }), 400, "validation_failed", "/body/reason");
      expectProblem(await call(app, "PATCH", `/v1/organisations/${id}`, { key: operator, body: { name: "New name", reason: "   " } }), 400, "validation_failed", "/body/reason");
      const reason = "shared-staffing agreement filed, ref. 2026-117";
      const r = await call(app, "PATCH", `/v1/organisations/${id}`, { key: operator, body: { lendsStaff: true, name: "  New name Ltd  ", reason } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ lendsStaff: true, name: "New name Ltd" });
      const changes = await call(app, "GET", `/v1/organisations/${id}/changes`, { key: regulator });
      expect(changes.status).toBe(200);
      expect(changes.body.next).toBeNull();
      const byField = Object.fromEntries(changes.body.items.map((c: { field: string }) => [c.field, c]));
      expect(byField["lendsStaff"]).toMatchObject({ oldValue: "false", newValue: "true", reason, changedByRole: "operator" });
      expect(byField["name"]).toMatchObject({ oldValue: org.body.name, newValue: "New name Ltd", reason });
      expect(byField["name"].changedBy).toMatch(/^key_/);
      // Another organisation's trail is not the caller's business.
      expectProblem(await call(app, "GET", `/v1/organisations/${id}/changes`, { key: agencyA }), 404, "not_found");
      // An agency never lends staff.
      const agency = app.demo.organisations.find((o) => o.kind === "agency")!;
      expectProblem(await call(app, "PATCH", `/v1/organisations/${agency.id}`, { key: operator, body: { lendsStaff: true, reason } }), 400, "validation_failed", "/body/lendsStaff");
    });
  });

  describe("paging", () => {
    it("pages workers and organisations with limit and an opaque next cursor", async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = cursor ? `?limit=4&cursor=${encodeURIComponent(cursor)}` : "?limit=4";
        const page = await call(app, "GET", `/v1/workers${q}`, { key: agencyA });
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(4);
        seen.push(...page.body.items.map((w: { id: string }) => w.id));
        cursor = page.body.next;
        pages++;
      } while (cursor !== null && pages < 50);
      const supplierId = app.demo.organisations.find((o) => o.name.includes("Yucai"))!.id; // demo agency 0004
      const mine = await app.database.db.prisma.worker.findMany({ where: { supplierId }, orderBy: { id: "asc" } });
      expect(seen).toEqual(mine.map((w) => w.id));
      expect(pages).toBe(Math.ceil(mine.length / 4));
      const orgs = await call(app, "GET", "/v1/organisations?limit=2&kind=agency", { key: operator });
      expect(orgs.body.items).toHaveLength(2);
      expect(typeof orgs.body.next).toBe("string");
      const more = await call(app, "GET", `/v1/organisations?limit=2&kind=agency&cursor=${encodeURIComponent(orgs.body.next)}`, { key: operator });
      expect(more.body.items[0].id > orgs.body.items[1].id).toBe(true);
      expectProblem(await call(app, "GET", "/v1/workers?cursor=not-a-cursor", { key: agencyA }), 400, "validation_failed", "/querystring/cursor");
      expectProblem(await call(app, "GET", "/v1/workers?after=wrk_0", { key: agencyA }), 400, "validation_failed", "/querystring/after");
    });
  });

  describe("licences", () => {
    it("takes an agency's licence as pending, lets the operator verify and suspend it", async () => {
      const org = await call(app, "POST", "/v1/organisations", { key: operator, body: newOrgBody("agency") });
      const key = (await call(app, "POST", `/v1/organisations/${org.body.id}/api-keys`, { key: operator, body: { label: "a" } })).body.apiKey;
      const lic = await call(app, "POST", `/v1/organisations/${org.body.id}/licences`, {
        key, body: { type: "labour_dispatch", number: `LD-T-${serial}`, validUntil: "2030-06-30" },
      });
      expect(lic.status).toBe(201);
      expect(lic.body.status).toBe("pending");
      // An agency cannot verify its own licence.
      expectProblem(await call(app, "POST", `/v1/licences/${lic.body.id}/verify`, { key }), 403, "forbidden");
      const ver = await call(app, "POST", `/v1/licences/${lic.body.id}/verify`, { key: operator });
      expect(ver.body.status).toBe("valid");
      const sus = await call(app, "POST", `/v1/licences/${lic.body.id}/suspend`, { key: operator, body: { reason: "complaint under review" } });
      expect(sus.body).toMatchObject({ status: "suspended", statusReason: "complaint under review" });
      expectProblem(await call(app, "POST", `/v1/licences/${lic.body.id}/verify`, { key: operator }), 409, "conflict");
      expect((await call(app, "POST", `/v1/licences/${lic.body.id}/reinstate`, { key: operator })).body.status).toBe("valid");
    });

    it("expires licences past their last day, on read and in the database", async () => {
      const org = await call(app, "POST", "/v1/organisations", { key: operator, body: newOrgBody("agency") });
      const lic = await call(app, "POST", `/v1/organisations/${org.body.id}/licences`, {
        key: operator, body: { type: "hr_service", number: `HR-T-${serial}`, validUntil: "2099-01-01", verified: true },
      });
      expect(lic.body.status).toBe("valid");
      // Move the validity into the past behind the API's back, as time passing would.
      await app.database.db.prisma.licence.update({ where: { id: lic.body.id }, data: { validUntil: new Date("2020-01-01T00:00:00Z") } });
      const read = await call(app, "GET", `/v1/organisations/${org.body.id}`, { key: operator });
      expect(read.body.licences[0].status).toBe("expired");
      expect(await app.built.services.parties.hasValidLicence(org.body.id)).toBe(false);
      expect(await app.built.services.parties.expireLicences()).toBeGreaterThanOrEqual(1);
      const stored = await app.database.db.prisma.licence.findUnique({ where: { id: lic.body.id } });
      expect(stored?.status).toBe("expired");
    });

    it("refuses a licence already out of date and one for an enterprise", async () => {
      const agency = app.demo.organisations.find((o) => o.kind === "agency")!;
      expectProblem(
        await call(app, "POST", `/v1/organisations/${agency.id}/licences`, { key: operator, body: { type: "hr_service", number: "HR-OLD-1", validUntil: "2001-01-01" } }),
        400, "validation_failed", "/body/validUntil",
      );
      const ent = app.demo.organisations.find((o) => o.kind === "enterprise")!;
      expectProblem(
        await call(app, "POST", `/v1/organisations/${ent.id}/licences`, { key: operator, body: { type: "hr_service", number: "HR-ENT-1", validUntil: "2030-01-01" } }),
        400, "validation_failed", "/params/id",
      );
    });
  });

  describe("workers", () => {
    it("registers a worker, storing only a keyed hash and mask of the ID number", async () => {
      const body = newWorkerBody();
      const r = await call(app, "POST", "/v1/workers", { key: agencyA, body });
      expect(r.status).toBe(201);
      expect(r.body.identityMasked).toBe(`${body.residentId.slice(0, 3)}***********${body.residentId.slice(-4)}`);
      expect(JSON.stringify(r.body)).not.toContain(body.residentId);
      const row = await app.database.db.prisma.worker.findUnique({ where: { id: r.body.id } });
      expect(row?.identityHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(body.residentId);
      expect(r.body.skills).toEqual([{ skillId: "welder", level: 2 }]);
    });

    it("refuses the same person registered by a second agency", async () => {
      const body = newWorkerBody();
      expect((await call(app, "POST", "/v1/workers", { key: agencyA, body })).status).toBe(201);
      const before = await workerCount();
      const dup = await call(app, "POST", "/v1/workers", { key: agencyB, body: { ...body, phone: "+8613999999001" } });
      expectProblem(dup, 409, "duplicate", "/body/residentId");
      // Lower-case x and spaces do not make a different person.
      expect(await workerCount()).toBe(before);
    });

    it("refuses ID numbers with a bad checksum or impossible birth date", async () => {
      const before = await workerCount();
      const body = newWorkerBody();
      const bad = body.residentId.slice(0, 17) + (body.residentId.endsWith("1") ? "2" : "1");
      const r = await call(app, "POST", "/v1/workers", { key: agencyA, body: { ...body, residentId: bad } });
      expectProblem(r, 400, "validation_failed", "/body/residentId");
      expect(r.body.reason).toBe("checksum");
      const feb30 = residentIdWithChecksum("500103" + "19900230" + "123");
      const r2 = await call(app, "POST", "/v1/workers", { key: agencyA, body: { ...body, residentId: feb30 } });
      expect(r2.body.reason).toBe("birthdate");
      expect(await workerCount()).toBe(before);
    });

    it("checks skills against the catalogue and the phone format", async () => {
      const body = newWorkerBody();
      expectProblem(await call(app, "POST", "/v1/workers", { key: agencyA, body: { ...body, skills: [{ skillId: "astronaut", level: 1 }] } }), 400, "validation_failed", "/body/skills/0/skillId");
      expectProblem(await call(app, "POST", "/v1/workers", { key: agencyA, body: { ...body, skills: [{ skillId: "general-labourer", level: 3 }] } }), 400, "validation_failed", "/body/skills/0/level");
      expectProblem(await call(app, "POST", "/v1/workers", { key: agencyA, body: { ...body, phone: "12345" } }), 400, "validation_failed", "/body/phone");
      expectProblem(await call(app, "POST", "/v1/workers", { key: agencyA, body: { ...body, keyGroups: ["astronauts"] } }), 400, "validation_failed", "/body/keyGroups/0");
    });

    it("lets a supplier see and change only its own workers", async () => {
      const mine = (await call(app, "POST", "/v1/workers", { key: agencyA, body: newWorkerBody() })).body;
      const list = await call(app, "GET", "/v1/workers?limit=500", { key: agencyB });
      expect(list.status).toBe(200);
      expect(list.body.items.map((w: { id: string }) => w.id)).not.toContain(mine.id);
      expect(list.body.items.every((w: { supplierId: string }) => w.supplierId === list.body.items[0].supplierId)).toBe(true);
      expectProblem(await call(app, "GET", `/v1/workers/${mine.id}`, { key: agencyB }), 404, "not_found");
      expectProblem(await call(app, "PATCH", `/v1/workers/${mine.id}`, { key: agencyB, body: { districtCode: "500104" } }), 404, "not_found");
      const patched = await call(app, "PATCH", `/v1/workers/${mine.id}`, { key: agencyA, body: { districtCode: "500104", skills: [{ skillId: "electrician", level: 1 }] } });
      expect(patched.body).toMatchObject({ districtCode: "500104", skills: [{ skillId: "electrician", level: 1 }] });
      expectProblem(await call(app, "GET", "/v1/workers?supplierId=org_other", { key: agencyA }), 403, "forbidden", "/querystring/supplierId");
    });

    it("lets a lending enterprise register its staff but not a plain enterprise", async () => {
      const lender = app.key("demo lending enterprise 0007");
      expect((await call(app, "POST", "/v1/workers", { key: lender, body: newWorkerBody() })).status).toBe(201);
      const before = await workerCount();
      expectProblem(await call(app, "POST", "/v1/workers", { key: enterprise, body: newWorkerBody() }), 403, "forbidden");
      expect(await workerCount()).toBe(before);
    });
  });

  describe("bad input and safety", () => {
    it("answers malformed JSON with 400 malformed_json", async () => {
      const before = await orgCount();
      const r = await call(app, "POST", "/v1/organisations", { key: operator, rawBody: '{"kind": "enterprise",' });
      expectProblem(r, 400, "malformed_json", "/body");
      expect(await orgCount()).toBe(before);
    });

    it("answers wrong types without coercing them", async () => {
      const r = await call(app, "POST", "/v1/workers", { key: agencyA, body: { ...newWorkerBody(), skills: [{ skillId: "welder", level: "2" }] } });
      expectProblem(r, 400, "validation_failed", "/body/skills/0/level");
      const r2 = await call(app, "POST", "/v1/organisations", { key: operator, body: { ...newOrgBody(), lendsStaff: "yes" } });
      expectProblem(r2, 400, "validation_failed", "/body/lendsStaff");
    });

    it("answers unknown and missing fields naming them", async () => {
      const before = await orgCount();
      expectProblem(await call(app, "POST", "/v1/organisations", { key: operator, body: { ...newOrgBody(), colour: "red" } }), 400, "validation_failed", "/body/colour");
      const { name: _drop, ...noName } = newOrgBody();
      expectProblem(await call(app, "POST", "/v1/organisations", { key: operator, body: noName }), 400, "validation_failed", "/body/name");
      expect(await orgCount()).toBe(before);
    });

    it("answers an oversized body with 413", async () => {
      const r = await call(app, "POST", "/v1/organisations", { key: operator, body: { ...newOrgBody(), name: "x".repeat(app.config.bodyLimitBytes + 10) } });
      expectProblem(r, 413, "payload_too_large");
    });

    it("answers a non-JSON content type with 415", async () => {
      const r = await call(app, "POST", "/v1/organisations", { key: operator, rawBody: "kind=enterprise", headers: { "content-type": "application/x-www-form-urlencoded" } });
      expectProblem(r, 415, "unsupported_media_type");
    });

    it("answers missing, malformed and wrong API keys with 401", async () => {
      expectProblem(await call(app, "GET", "/v1/workers"), 401, "unauthenticated", "/headers/authorization");
      expectProblem(await call(app, "GET", "/v1/workers", { headers: { authorization: "Token abc" } }), 401, "unauthenticated", "/headers/authorization");
      expectProblem(await call(app, "GET", "/v1/workers", { key: "sx_not-a-real-key" }), 401, "unauthenticated");
      const before = await orgCount();
      expectProblem(await call(app, "POST", "/v1/organisations", { key: "sx_wrong", body: newOrgBody() }), 401, "unauthenticated");
      expect(await orgCount()).toBe(before);
    });

    it("answers unknown routes with a 404 problem", async () => {
      expectProblem(await call(app, "GET", "/v1/nothing-here", { key: operator }), 404, "not_found");
    });
  });

  describe("idempotency", () => {
    it("replays the stored response for the same key and body, and refuses a different body", async () => {
      const body = newOrgBody();
      const headers = { "idempotency-key": `idem-${serial}` };
      const first = await call(app, "POST", "/v1/organisations", { key: operator, body, headers });
      expect(first.status).toBe(201);
      const before = await orgCount();
      const again = await call(app, "POST", "/v1/organisations", { key: operator, body, headers });
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(await orgCount()).toBe(before);
      const other = await call(app, "POST", "/v1/organisations", { key: operator, body: { ...body, name: "Changed" }, headers });
      expectProblem(other, 409, "idempotency_key_reused", "/headers/idempotency-key");
      expect(await orgCount()).toBe(before);
    });

    it("scopes keys to the caller and lets a failed request be retried with the same key", async () => {
      const headers = { "idempotency-key": "shared-key-1" };
      const w1 = await call(app, "POST", "/v1/workers", { key: agencyA, body: newWorkerBody(), headers });
      const w2 = await call(app, "POST", "/v1/workers", { key: agencyB, body: newWorkerBody(), headers });
      expect(w1.status).toBe(201);
      expect(w2.status).toBe(201);
      expect(w2.body.id).not.toBe(w1.body.id);
      const body = newWorkerBody();
      const failed = await call(app, "POST", "/v1/workers", { key: agencyA, body: { ...body, districtCode: "999999" }, headers: { "idempotency-key": "retry-1" } });
      expect(failed.status).toBe(400);
      const ok = await call(app, "POST", "/v1/workers", { key: agencyA, body: { ...body, districtCode: "999999" }, headers: { "idempotency-key": "retry-1" } });
      expect(ok.status).toBe(400);
      const fixed = await call(app, "POST", "/v1/workers", { key: agencyA, body, headers: { "idempotency-key": "retry-2" } });
      expect(fixed.status).toBe(201);
    });

    it("executes concurrent retries of one key exactly once", async () => {
      const body = newOrgBody();
      const headers = { "idempotency-key": `race-${serial}` };
      const before = await orgCount();
      const results = await Promise.all(Array.from({ length: 6 }, () => call(app, "POST", "/v1/organisations", { key: operator, body, headers })));
      expect(await orgCount()).toBe(before + 1);
      for (const r of results) expect([201, 409]).toContain(r.status);
      const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.body.id));
      expect(ids.size).toBe(1);
    });
  });

  describe("worker login", () => {
    it("sends a code, exchanges it for an httpOnly SameSite cookie, and knows the worker", async () => {
      const phone = app.demo.workerPhones[3]!;
      const sent = await call(app, "POST", "/v1/auth/otp", { body: { phone } });
      expect(sent.status).toBe(202);
      expect(sent.body.devCode).toMatch(/^\d{6}$/);
      expect(app.sentCodes.at(-1)).toEqual({ phone, code: sent.body.devCode });
      const wrong = await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode === "000000" ? "111111" : "000000" } });
      expectProblem(wrong, 401, "unauthenticated", "/body/code");
      const ok = await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode } });
      expect(ok.status).toBe(200);
      const cookie = ok.headers.get("set-cookie")!;
      expect(cookie).toMatch(/shiftex_session=/);
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Lax/i);
      const session = cookie.split(";")[0]!;
      const me = await call(app, "GET", "/v1/me", { cookie: session });
      expect(me.body).toMatchObject({ role: "worker", workerId: ok.body.workerId, worker: { phone } });
      // The code works once.
      expectProblem(await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode } }), 401, "unauthenticated");
      // A worker reads only itself.
      const other = (await call(app, "GET", "/v1/workers?limit=1", { key: operator })).body.items[0];
      if (other.id !== ok.body.workerId) expectProblem(await call(app, "GET", `/v1/workers/${other.id}`, { cookie: session }), 404, "not_found");
      expectProblem(await call(app, "GET", "/v1/workers", { cookie: session }), 403, "forbidden");
      expect((await call(app, "POST", "/v1/auth/logout", { cookie: session })).status).toBe(204);
      expectProblem(await call(app, "GET", "/v1/me", { cookie: session }), 401, "unauthenticated");
    });

    it("answers an unknown phone like a known one, without sending anything", async () => {
      const count = app.sentCodes.length;
      const r = await call(app, "POST", "/v1/auth/otp", { body: { phone: "+8613700000000" } });
      expect(r.status).toBe(202);
      expect(r.body.devCode).toBeUndefined();
      expect(app.sentCodes.length).toBe(count);
    });

    it("limits code requests per phone, however the phone is written, to five in ten minutes", async () => {
      const national = app.demo.workerPhones[20]!.replace("+86", "");
      const spellings = [
        `+86 ${national.slice(0, 3)} ${national.slice(3, 7)} ${national.slice(7)}`,
        `0086${national}`,
        `${national.slice(0, 3)} ${national.slice(3, 7)} ${national.slice(7)}`,
        `86${national}`,
        `+86${national}`,
        `${national.slice(0, 3)}-${national.slice(3, 7)}-${national.slice(7)}`,
      ];
      const statuses: number[] = [];
      for (const phone of spellings) statuses.push((await call(app, "POST", "/v1/auth/otp", { body: { phone } })).status);
      expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
      // Another phone from the same address is not held back.
      expect((await call(app, "POST", "/v1/auth/otp", { body: { phone: app.demo.workerPhones[21]! } })).status).toBe(202);
    });

    it("locks the phone after five wrong codes (see login-hardening.test.ts for the rest)", async () => {
      const phone = app.demo.workerPhones[5]!;
      const sent = await call(app, "POST", "/v1/auth/otp", { body: { phone } });
      const wrongCode = sent.body.devCode === "123456" ? "654321" : "123456";
      for (let i = 0; i < 5; i++) await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: wrongCode } });
      expectProblem(await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode } }), 429, "rate_limited", "/body/phone");
    });
  });

  describe("catalogue", () => {
    it("lists 38 districts with minimum wages and at least 20 skills", async () => {
      const r = await call(app, "GET", "/v1/catalogue");
      expect(r.body.districts).toHaveLength(38);
      expect(r.body.districts.every((d: { minimumHourlyWageFen: number }) => d.minimumHourlyWageFen > 0)).toBe(true);
      expect(r.body.skills.length).toBeGreaterThanOrEqual(20);
    });
  });

  describe("demo seed", () => {
    it("created the demo parties and changes nothing when run again", async () => {
      const orgs = await app.database.db.prisma.organisation.findMany({ where: { id: { in: app.demo.organisations.map((o) => o.id) } }, include: { licences: true } });
      expect(orgs.filter((o) => o.kind === "enterprise")).toHaveLength(4);
      expect(orgs.filter((o) => o.lendsStaff)).toHaveLength(1);
      const agencies = orgs.filter((o) => o.kind === "agency");
      expect(agencies).toHaveLength(3);
      for (const a of agencies) expect(await app.built.services.parties.hasValidLicence(a.id)).toBe(true);
      const seededWorkers = await app.database.db.prisma.worker.count({ where: { phone: { in: app.demo.workerPhones } } });
      expect(seededWorkers).toBe(40);
      const { seedDemo } = await import("../../src/parties");
      const counts = async () => [await orgCount(), await workerCount(), await app.database.db.prisma.apiKey.count(), await app.database.db.prisma.licence.count()];
      const before = await counts();
      const again = await seedDemo({ ...app.built.services, secret: app.config.sessionSecret });
      expect(again.created).toEqual({ organisations: 0, workers: 0, apiKeys: 0 });
      expect(again.keys.map((k) => k.apiKey)).toEqual(app.demo.keys.map((k) => k.apiKey));
      expect(await counts()).toEqual(before);
    });
  });
});
