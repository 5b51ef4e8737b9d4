import { describe, expect, it } from "vitest";
import { prng } from "../../test/helpers/prng";
import { enterpriseReliability, type EnterpriseContractRecord, type EnterpriseShiftRecord } from "./reliability";

const H = 3_600_000;
const T0 = Date.UTC(2026, 11, 1);
const window = { from: T0, to: T0 + 30 * 24 * H };

const contract = (id: string, enterpriseId: string, cancellation: EnterpriseContractRecord["cancellation"] = null, createdAt = T0 + H): EnterpriseContractRecord => ({ enterpriseId, contractId: id, createdAt, cancellation });
const shift = (id: string, enterpriseId: string, decision: EnterpriseShiftRecord["decision"], shiftEnd = T0 + 10 * H): EnterpriseShiftRecord => ({ enterpriseId, shiftId: id, shiftEnd, decision });

describe("enterprise reliability", () => {
  it("counts late cancellations, disputes and approval speed per enterprise", () => {
    const end = T0 + 10 * H;
    const [a, b] = enterpriseReliability(
      [
        contract("c1", "ent_a", { by: "enterprise", late: true }),
        contract("c2", "ent_a", { by: "enterprise", late: false }),
        contract("c3", "ent_a", { by: "supplier", late: false }),
        contract("c4", "ent_a"),
        contract("c5", "ent_b"),
      ],
      [
        shift("s1", "ent_a", { kind: "approved", at: end + 2 * H }),
        shift("s2", "ent_a", { kind: "approved", at: end + 5 * H }),
        shift("s3", "ent_a", { kind: "disputed", at: end + 1 * H }),
        shift("s4", "ent_a", { kind: "auto_approved", at: end + 24 * H }),
        shift("s5", "ent_a", null),
      ],
      window,
    );
    expect(a).toEqual({
      enterpriseId: "ent_a",
      lateCancellation: { numerator: 1, denominator: 4, percent: "25.0" },
      dispute: { numerator: 1, denominator: 4, percent: "25.0" },
      // waits 1, 2, 5, 24 h: the nearest-rank median is the lower middle, 2 h
      approval: { medianMs: 2 * H, medianHours: "2.0", autoApproved: { numerator: 1, denominator: 4, percent: "25.0" } },
    });
    expect(b).toEqual({
      enterpriseId: "ent_b",
      lateCancellation: { numerator: 0, denominator: 1, percent: "0.0" },
      dispute: { numerator: 0, denominator: 0, percent: null },
      approval: { medianMs: null, medianHours: null, autoApproved: { numerator: 0, denominator: 0, percent: null } },
    });
  });

  it("counts only the window (contracts by creation, shifts by their end) and each record once", () => {
    const r = enterpriseReliability(
      [contract("c1", "e", { by: "enterprise", late: true }, T0 - 1), contract("c2", "e"), contract("c2", "e"), contract("c3", "e", null, window.to)],
      [shift("s1", "e", { kind: "disputed", at: T0 + 11 * H }, T0 - H), shift("s2", "e", { kind: "approved", at: T0 + 11 * H }), shift("s2", "e", { kind: "approved", at: T0 + 11 * H })],
      window,
    );
    expect(r).toHaveLength(1);
    expect(r[0]?.lateCancellation).toEqual({ numerator: 0, denominator: 1, percent: "0.0" });
    expect(r[0]?.dispute).toEqual({ numerator: 0, denominator: 1, percent: "0.0" });
  });

  it("property (seeded): rates equal an independent count", () => {
    const rand = prng(77);
    for (let round = 0; round < 100; round++) {
      const ents = ["e1", "e2", "e3"];
      const cs = Array.from({ length: Math.floor(rand() * 30) }, (_, i) => {
        const p = rand();
        return contract(`c${i}`, ents[Math.floor(rand() * 3)]!, p < 0.2 ? { by: "enterprise", late: true } : p < 0.4 ? { by: "enterprise", late: false } : p < 0.5 ? { by: "supplier", late: false } : null);
      });
      const ss = Array.from({ length: Math.floor(rand() * 30) }, (_, i) => {
        const p = rand();
        const at = T0 + 10 * H + Math.floor(rand() * 48) * H;
        return shift(`s${i}`, ents[Math.floor(rand() * 3)]!, p < 0.5 ? { kind: "approved", at } : p < 0.7 ? { kind: "auto_approved", at } : p < 0.85 ? { kind: "disputed", at } : null);
      });
      for (const r of enterpriseReliability(cs, ss, window)) {
        const mine = cs.filter((c) => c.enterpriseId === r.enterpriseId);
        expect(r.lateCancellation.numerator).toBe(mine.filter((c) => c.cancellation?.by === "enterprise" && c.cancellation.late).length);
        expect(r.lateCancellation.denominator).toBe(mine.length);
        const decided = ss.filter((s) => s.enterpriseId === r.enterpriseId && s.decision !== null);
        expect(r.dispute.numerator).toBe(decided.filter((s) => s.decision?.kind === "disputed").length);
        expect(r.dispute.denominator).toBe(decided.length);
        const waits = decided.map((s) => s.decision!.at - s.shiftEnd).sort((x, y) => x - y);
        expect(r.approval.medianMs).toBe(waits.length === 0 ? null : waits[Math.ceil(waits.length / 2) - 1]);
      }
    }
  });
});
