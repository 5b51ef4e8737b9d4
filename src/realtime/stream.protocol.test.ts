import { describe, expect, it } from "vitest";
import type { Principal } from "../shared/principal";
import { mayWatch, parseChannel, parseClientMessage, routeKey } from "./stream.protocol";

const enterprise = (org: string): Principal => ({ role: "enterprise", organisationId: org, workerId: null, credentialId: `key_${org}`, callerId: org });
const worker: Principal = { role: "worker", organisationId: null, workerId: "wrk_1", credentialId: "ses_1", callerId: "wrk_1" };
const operator: Principal = { role: "operator", organisationId: null, workerId: null, credentialId: "key_op", callerId: "key_op" };

describe("stream protocol", () => {
  it("reads the four kinds of channel", () => {
    expect(parseChannel("book:welder.500107.2026-12-02.D1")).toEqual({ ok: true, value: { kind: "book", market: "welder.500107.2026-12-02.D1", name: "book:welder.500107.2026-12-02.D1" } });
    expect(parseChannel("trades:cleaner.500103.2026-12-02.N1")).toMatchObject({ ok: true, value: { kind: "trades" } });
    expect(parseChannel("executions")).toEqual({ ok: true, value: { kind: "executions", name: "executions" } });
    expect(parseChannel("shifts")).toEqual({ ok: true, value: { kind: "shifts", name: "shifts" } });
  });

  it.each([
    [undefined], [42], [""], ["book"], ["book:"], ["trades:welder"], ["executions:org_1"], ["book:welder.999999.2026-12-02.D1"],
    ["book:welder.500107.2026-13-01.D1"], ["book:welder.500107.2026-12-02.Z9"], ["x".repeat(200)],
  ])("refuses channel %j naming /channel", (name) => {
    const r = parseChannel(name);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ type: "error", code: "validation_failed", field: "/channel" });
  });

  it("reads subscribe, unsubscribe and ping; refuses anything else naming the field", () => {
    expect(parseClientMessage('{"op":"subscribe","channel":"executions"}')).toMatchObject({ ok: true, value: { op: "subscribe", channel: { kind: "executions" } } });
    expect(parseClientMessage('{"op":"unsubscribe","channel":"shifts"}')).toMatchObject({ ok: true, value: { op: "unsubscribe" } });
    expect(parseClientMessage('{"op":"ping"}')).toEqual({ ok: true, value: { op: "ping" } });
    expect(parseClientMessage("{")).toMatchObject({ ok: false, error: { code: "malformed_json" } });
    expect(parseClientMessage("null")).toMatchObject({ ok: false, error: { code: "validation_failed", field: "" } });
    expect(parseClientMessage('"subscribe"')).toMatchObject({ ok: false, error: { field: "" } });
    expect(parseClientMessage('{"op":"SUBSCRIBE","channel":"shifts"}')).toMatchObject({ ok: false, error: { field: "/op" } });
    expect(parseClientMessage('{"op":"subscribe","channel":"shifts","token":"x"}')).toMatchObject({ ok: false, error: { field: "/token" } });
  });

  it("keeps private channels to their owner: executions by organisation, shifts by worker", () => {
    expect(mayWatch(enterprise("org_a"), { kind: "executions", name: "executions" })).toBeNull();
    expect(mayWatch(operator, { kind: "executions", name: "executions" })).toMatchObject({ code: "forbidden" });
    expect(mayWatch(worker, { kind: "executions", name: "executions" })).toMatchObject({ code: "forbidden" });
    expect(mayWatch(worker, { kind: "shifts", name: "shifts" })).toBeNull();
    expect(mayWatch(enterprise("org_a"), { kind: "shifts", name: "shifts" })).toMatchObject({ code: "forbidden" });
    const ex = { kind: "executions", name: "executions" } as const;
    expect(routeKey(enterprise("org_a"), ex)).toBe("executions:org_a");
    expect(routeKey(enterprise("org_b"), ex)).not.toBe(routeKey(enterprise("org_a"), ex));
    expect(routeKey(worker, { kind: "shifts", name: "shifts" })).toBe("shifts:wrk_1");
  });
});
