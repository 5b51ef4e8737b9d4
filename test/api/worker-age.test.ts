// Minimum working age and juvenile workers, computed from the injected clock (not the machine's date).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { residentIdWithChecksum } from "../../src/parties";
import { fixedClock } from "../../src/shared/clock";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";

// A date far from the machine's own, so a rule that read Date.now() would answer differently.
const TODAY = "2029-06-15";

describe("worker age rules (clock set to 2029-06-15)", () => {
  let app: TestApp;
  let agency: string;
  const clock = fixedClock(new Date(`${TODAY}T04:00:00Z`)); // noon in Chongqing
  beforeAll(async () => {
    app = await startTestApp(backends[0]!, { clock });
    agency = app.key("demo agency 0004");
  });
  afterAll(async () => app?.close());

  let serial = 0;
  const body = (birth: string) => {
    serial++;
    return {
      realName: "测试工人",
      residentId: residentIdWithChecksum(`500107${birth.replaceAll("-", "")}${String(100 + serial)}`),
      phone: `+8613700${String(500000 + serial)}`,
      districtCode: "500107",
    };
  };
  const register = (birth: string) => call(app, "POST", "/v1/workers", { key: agency, body: body(birth) });

  it("refuses people under 16 with a message naming /body/residentId, and writes nothing", async () => {
    const before = await app.database.db.prisma.worker.count();
    for (const birth of ["2014-01-01", "2018-01-01", "2013-12-31", "2027-02-01"]) {
      const r = await register(birth);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: "validation_failed", field: "/body/residentId", reason: "under_age" });
      expect(r.body.detail).toMatch(/under 16/);
    }
    // The day before the 16th birthday is still too young.
    const r = await register("2013-06-16");
    expect(r.body.reason).toBe("under_age");
    expect(await app.database.db.prisma.worker.count()).toBe(before);
  });

  it("registers a worker on the 16th birthday as a juvenile, and an 18-year-old as an adult", async () => {
    const sixteen = await register("2013-06-15");
    expect(sixteen.status).toBe(201);
    expect(sixteen.body.juvenile).toBe(true);
    const adult = await register("2011-06-15");
    expect(adult.body.juvenile).toBe(false);
    const stored = await app.database.db.prisma.worker.findUniqueOrThrow({ where: { id: sixteen.body.id } });
    expect(stored.birthDate?.toISOString().slice(0, 10)).toBe("2013-06-15");
  });

  it("stops counting a worker as juvenile on the 18th birthday, by the clock", async () => {
    const almost = await register("2011-06-16");
    expect(almost.body.juvenile).toBe(true);
    clock.advance(24 * 3600 * 1000);
    const read = await call(app, "GET", `/v1/workers/${almost.body.id}`, { key: agency });
    expect(read.body.juvenile).toBe(false);
    const list = await call(app, "GET", "/v1/workers?limit=500", { key: agency });
    expect(list.body.items.find((w: { id: string }) => w.id === almost.body.id).juvenile).toBe(false);
  });
});
