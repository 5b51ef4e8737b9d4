// The schemas state the limits the server enforces: each text pattern accepts exactly what the
// service's own validator accepts (at the level a pattern can express), checked on generated input.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validatorCompiler } from "../http/validation";
import { validateChinaMobile, validateCreditCode, validateResidentId } from "./identity";
import * as S from "./parties.schemas";

const bodyValidator = (schema: unknown) => validatorCompiler({ schema, httpPart: "body", method: "POST", url: "/" } as never) as (input: unknown) => { error?: unknown };
const accepts = (schema: unknown) => {
  const v = bodyValidator(schema);
  return (input: unknown) => v(input).error === undefined;
};

const phoneChars = fc.constantFrom(..."+0123456789 -", "1", "3", "8", "6", "\t");
const phoneish = fc.oneof(
  fc.string({ unit: phoneChars, maxLength: 20 }),
  fc.tuple(fc.constantFrom("", "+86", "0086", "86", "+86 ", " 0086-"), fc.constantFrom("13", "15", "19", "12", "10"), fc.string({ unit: fc.constantFrom(..."0123456789 -"), minLength: 7, maxLength: 12 }))
    .map(([p, a, b]) => `${p}${a}${b}`),
);

describe("parties schemas agree with the service's validators", () => {
  it("phone: the schema pattern accepts exactly what validateChinaMobile accepts (up to 20 characters)", () => {
    const ok = accepts(S.OtpRequestBody);
    fc.assert(fc.property(phoneish, (phone) => {
      expect(ok({ phone })).toBe(phone.length <= 20 && validateChinaMobile(phone).ok);
    }), { numRuns: 3000 });
    for (const phone of ["+86 139 2300 0000", "0086139 2300 0000", "139 2300 0000", "86-139-2300-0000", "+8613923000000"]) expect(ok({ phone })).toBe(true);
    for (const phone of ["12923000000", "+85213923000000", "1392300000", ""]) expect(ok({ phone })).toBe(false);
  });

  it("resident ID: everything the validator accepts passes the schema, and the schema refuses what is not 17 digits and a check character", () => {
    const ok = (residentId: string) => accepts(S.CreateWorkerBody)({ realName: "张伟", residentId, phone: "+8613800138000", districtCode: "500107" });
    const idish = fc.string({ unit: fc.constantFrom(..."0123456789Xx "), minLength: 16, maxLength: 21 });
    fc.assert(fc.property(idish, (id) => {
      if (validateResidentId(id, "2026-06-15").ok) expect(ok(id)).toBe(true);
      const shape = /^\d{17}[\dX]$/.test(id.trim().toUpperCase());
      if (!shape) expect(ok(id)).toBe(false);
    }), { numRuns: 2000 });
    expect(ok(S.EXAMPLES.residentId)).toBe(true);
  });

  it("credit code: the schema passes exactly the codes of the right length and charset", () => {
    const ok = (creditCode: string) => accepts(S.CreateOrganisationBody)({ kind: "agency", name: "测试公司", creditCode, districtCode: "500107" });
    const codeish = fc.string({ unit: fc.constantFrom(..."0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz "), minLength: 17, maxLength: 20 });
    fc.assert(fc.property(codeish, (code) => {
      const v = validateCreditCode(code);
      const shapeOk = v.ok || (v.reason !== "length" && v.reason !== "charset");
      expect(ok(code)).toBe(shapeOk);
    }), { numRuns: 2000 });
  });

  it("the examples are valid identity numbers in a real Chongqing district", () => {
    expect(validateCreditCode(S.EXAMPLES.creditCode).ok).toBe(true);
    expect(validateResidentId(S.EXAMPLES.residentId, "2026-06-15")).toMatchObject({ ok: true, birthDate: "1990-03-07" });
    expect(validateChinaMobile(S.EXAMPLES.phone).ok).toBe(true);
    expect(accepts(S.CreateWorkerBody)((S.CreateWorkerBody as unknown as { examples: unknown[] }).examples[0])).toBe(true);
    expect(accepts(S.CreateOrganisationBody)((S.CreateOrganisationBody as unknown as { examples: unknown[] }).examples[0])).toBe(true);
  });
});
