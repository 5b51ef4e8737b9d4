import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ageOn,
  CREDIT_CODE_CHARSET,
  creditCodeWithChecksum,
  hashResidentId,
  maskResidentId,
  residentIdWithChecksum,
  validateChinaMobile,
  validateCreditCode,
  validateResidentId,
} from "./identity";

const TODAY = "2026-06-15";

// Independent, deliberately naive re-implementations of the two check
// characters, written from the standards' formulas rather than shared code,
// so a slip in identity.ts cannot agree with itself.
function referenceCreditCheck(first17: string): string {
  const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += chars.indexOf(first17[i]!) * (3 ** i % 31);
  const c = 31 - (sum % 31);
  return c === 31 ? "0" : chars[c]!;
}
function referenceResidentCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  return "10X98765432"[sum % 11]!;
}

const charsetChar = fc.constantFrom(...CREDIT_CODE_CHARSET);
const provincePrefix = fc.constantFrom(
  "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
  "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
);
const digits = (n: number) => fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: n, maxLength: n });
const registration = fc.constantFrom("11", "12", "13", "19", "51", "52", "53", "59", "91", "92", "93", "N1", "N2", "Y1", "31");
/** 17 characters a credit code may really start with: plausible authority/type and region, anything after. */
const creditPrefix = fc
  .tuple(registration, provincePrefix, digits(4), fc.string({ unit: charsetChar, minLength: 9, maxLength: 9 }))
  .map((parts) => parts.join(""));

/** Days since 1900-01-01 up to TODAY, formatted as YYYYMMDD. */
const birthDate = fc
  .integer({ min: Date.UTC(1900, 0, 1) / 86_400_000, max: Date.UTC(2026, 5, 15) / 86_400_000 })
  .map((d) => new Date(d * 86_400_000).toISOString().slice(0, 10).replaceAll("-", ""));
const residentPrefix = fc.tuple(provincePrefix, digits(4), birthDate, digits(3)).map((parts) => parts.join(""));

describe("validateCreditCode", () => {
  it("accepts codes printed on real business licences", () => {
    for (const code of [
      "91350100M000100Y43", // the example usually quoted with GB 32100
      "914403001922038216", // Huawei Technologies Co., Ltd. (Shenzhen)
      "91110108551385082Q", // Beijing Xiaomi Technology Co., Ltd.
      "9150000020286320X6", // a Chongqing-registered company (region 500000)
      "12100000400000624D", // a public institution (type 12) registered nationally (100000)
    ]) {
      expect(validateCreditCode(code)).toEqual({ ok: true, value: code });
    }
  });

  it("normalises case and surrounding whitespace", () => {
    expect(validateCreditCode("  91350100m000100y43 ")).toEqual({ ok: true, value: "91350100M000100Y43" });
  });

  it("names the failing rule", () => {
    expect(validateCreditCode("91350100M000100Y4")).toMatchObject({ ok: false, reason: "length" });
    expect(validateCreditCode("91350100M000100Y4300")).toMatchObject({ ok: false, reason: "length" });
    expect(validateCreditCode("")).toMatchObject({ ok: false, reason: "length" });
    // I, O, S, V and Z are not in the charset.
    for (const bad of ["I", "O", "S", "V", "Z", "-"]) {
      expect(validateCreditCode(`91350100M000100${bad}43`)).toMatchObject({ ok: false, reason: "charset" });
    }
    expect(validateCreditCode(creditCodeWithChecksum("94350100M000100Y4"))).toMatchObject({
      ok: false,
      reason: "registration",
    });
    expect(validateCreditCode(creditCodeWithChecksum("B1350100M000100Y4"))).toMatchObject({
      ok: false,
      reason: "registration",
    });
    expect(validateCreditCode(creditCodeWithChecksum("91990100M000100Y4"))).toMatchObject({
      ok: false,
      reason: "region",
    });
    expect(validateCreditCode(creditCodeWithChecksum("9135A100M000100Y4"))).toMatchObject({
      ok: false,
      reason: "region",
    });
    expect(validateCreditCode("91350100M000100Y44")).toMatchObject({ ok: false, reason: "checksum" });
  });

  it("gives a message for every refusal", () => {
    const result = validateCreditCode("91350100M000100Y44");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/check/);
  });

  it("creditCodeWithChecksum agrees with the reference formula and refuses bad prefixes", () => {
    fc.assert(
      fc.property(creditPrefix, (prefix) => {
        expect(creditCodeWithChecksum(prefix)).toBe(prefix + referenceCreditCheck(prefix));
      }),
    );
    expect(() => creditCodeWithChecksum("9135010")).toThrow(RangeError);
    expect(() => creditCodeWithChecksum("91350100M000100I4")).toThrow(RangeError);
  });

  it("property: a code completed by creditCodeWithChecksum validates", () => {
    fc.assert(
      fc.property(creditPrefix, (prefix) => {
        const code = creditCodeWithChecksum(prefix);
        expect(validateCreditCode(code)).toEqual({ ok: true, value: code });
      }),
    );
  });

  // Every weight 3^i mod 31 is non-zero modulo the prime 31 and the 31
  // characters have distinct values 0..30, so changing one of the first 17
  // characters shifts the sum by w·(b−a) ≢ 0 (mod 31); the check character is
  // a bijection of the sum, so changing it alone is caught too. Hence every
  // single substitution is detected, not just most; the property checks it.
  // (Substituting a letter by its lowercase form is not a change: input is
  // case-normalised.)
  it("property: any single-character substitution is detected", () => {
    fc.assert(
      fc.property(
        creditPrefix,
        fc.nat({ max: 17 }),
        fc.oneof(charsetChar, fc.constantFrom("I", "O", "S", "V", "Z", "-", " ", "é")),
        (prefix, position, replacement) => {
          const code = creditCodeWithChecksum(prefix);
          fc.pre(code[position] !== replacement);
          const changed = code.slice(0, position) + replacement + code.slice(position + 1);
          expect(validateCreditCode(changed).ok).toBe(false);
        },
      ),
    );
  });

  // Swapping neighbours a,b at i,i+1 (i < 16) shifts the sum by
  // (a−b)(3^i − 3^(i+1)) = −2·3^i·(a−b) ≢ 0 (mod 31) when a ≠ b. Swapping the
  // 17th character with the check character is NOT always detected, so it is
  // left out of this property on purpose.
  it("property: swapping two different neighbours among the first 17 is detected", () => {
    fc.assert(
      fc.property(creditPrefix, fc.nat({ max: 15 }), (prefix, i) => {
        const code = creditCodeWithChecksum(prefix);
        fc.pre(code[i] !== code[i + 1]);
        const swapped = code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2);
        expect(validateCreditCode(swapped).ok).toBe(false);
      }),
    );
  });
});

describe("validateResidentId", () => {
  it("accepts the GB 11643-1999 example and reports what it encodes", () => {
    expect(validateResidentId("11010519491231002X", TODAY)).toEqual({
      ok: true,
      value: "11010519491231002X",
      birthDate: "1949-12-31",
      sex: "female",
    });
  });

  it("accepts lowercase x and normalises it to X", () => {
    expect(validateResidentId("11010519491231002x", TODAY)).toMatchObject({ ok: true, value: "11010519491231002X" });
    expect(validateResidentId(" 11010519491231002x\n", TODAY)).toMatchObject({ ok: true, value: "11010519491231002X" });
  });

  it("accepts a Chongqing-format number built with the reference check digit", () => {
    const prefix = "50010719900307123"; // 九龙坡区, born 1990-03-07, odd sequence → male
    const id = prefix + referenceResidentCheck(prefix);
    expect(validateResidentId(id, TODAY)).toEqual({ ok: true, value: id, birthDate: "1990-03-07", sex: "male" });
    expect(residentIdWithChecksum(prefix)).toBe(id);
  });

  it("refuses a wrong check digit", () => {
    expect(validateResidentId("110105194912310021", TODAY)).toMatchObject({ ok: false, reason: "checksum" });
    expect(validateResidentId("110105194912310020", TODAY)).toMatchObject({ ok: false, reason: "checksum" });
  });

  it("refuses bad lengths and formats", () => {
    expect(validateResidentId("110105491231002", TODAY)).toMatchObject({ ok: false, reason: "length" }); // 15-digit first generation
    expect(validateResidentId("11010519491231002XX", TODAY)).toMatchObject({ ok: false, reason: "length" });
    expect(validateResidentId("1101051949123100X2", TODAY)).toMatchObject({ ok: false, reason: "format" });
    expect(validateResidentId("11010519491231002Y", TODAY)).toMatchObject({ ok: false, reason: "format" });
    expect(validateResidentId("11010519491231 02X", TODAY)).toMatchObject({ ok: false, reason: "format" });
  });

  it("refuses birth dates that do not exist, are in the future, or before 1900", () => {
    const reason = (first17: string) => validateResidentId(residentIdWithChecksum(first17), TODAY);
    expect(reason("50010719900230123")).toMatchObject({ ok: false, reason: "birthdate" }); // Feb 30
    expect(reason("50010720230229123")).toMatchObject({ ok: false, reason: "birthdate" }); // 2023 not a leap year
    expect(reason("50010720240229123")).toMatchObject({ ok: true, birthDate: "2024-02-29" }); // 2024 is
    expect(reason("50010719001301123")).toMatchObject({ ok: false, reason: "birthdate" }); // month 13
    expect(reason("50010719000100123")).toMatchObject({ ok: false, reason: "birthdate" }); // day 0
    expect(reason("50010718991231123")).toMatchObject({ ok: false, reason: "birthdate" });
    expect(reason("50010719000101123")).toMatchObject({ ok: true });
    expect(reason("50010720260615123")).toMatchObject({ ok: true }); // born today
    expect(reason("50010720260616123")).toMatchObject({ ok: false, reason: "birthdate" }); // tomorrow
  });

  it("refuses region codes that cannot exist", () => {
    for (const prefix of ["00", "10", "16", "20", "39", "49", "55", "70", "80", "90", "99"]) {
      const id = residentIdWithChecksum(`${prefix}010519491231002`);
      expect(validateResidentId(id, TODAY)).toMatchObject({ ok: false, reason: "region" });
    }
  });

  it("never puts the number in its messages", () => {
    const id = residentIdWithChecksum("50010719900230123");
    const result = validateResidentId(id, TODAY);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).not.toContain("5001071990");
  });

  it("throws on a malformed today (a programming error, not bad input)", () => {
    expect(() => validateResidentId("11010519491231002X", "2026-02-30")).toThrow(TypeError);
    expect(() => validateResidentId("11010519491231002X", "20260101")).toThrow(TypeError);
  });

  it("residentIdWithChecksum refuses anything but 17 digits", () => {
    expect(() => residentIdWithChecksum("1101051949123100")).toThrow(RangeError);
    expect(() => residentIdWithChecksum("1101051949123100X")).toThrow(RangeError);
  });

  it("property: residentIdWithChecksum agrees with the reference and validates", () => {
    fc.assert(
      fc.property(residentPrefix, (prefix) => {
        const id = residentIdWithChecksum(prefix);
        expect(id).toBe(prefix + referenceResidentCheck(prefix));
        expect(validateResidentId(id, TODAY)).toMatchObject({ ok: true, value: id });
      }),
    );
  });

  // Weights 2^(17−i) mod 11 are non-zero modulo the prime 11 and a digit
  // change is at most ±9, so no single substitution can leave the sum
  // unchanged; the check character maps the 11 residues one to one.
  it("property: any single-character substitution is detected", () => {
    fc.assert(
      fc.property(residentPrefix, fc.nat({ max: 17 }), fc.constantFrom(..."0123456789X"), (prefix, position, c) => {
        const id = residentIdWithChecksum(prefix);
        fc.pre(id[position] !== c);
        const changed = id.slice(0, position) + c + id.slice(position + 1);
        expect(validateResidentId(changed, TODAY).ok).toBe(false);
      }),
    );
  });

  // Swapping digits a ≠ b at i, i+1 (i < 16) shifts the sum by (a−b)·w(i+1),
  // never 0 mod 11. A swap with the check character is not always caught.
  it("property: swapping two different neighbouring digits among the first 17 is detected", () => {
    fc.assert(
      fc.property(residentPrefix, fc.nat({ max: 15 }), (prefix, i) => {
        const id = residentIdWithChecksum(prefix);
        fc.pre(id[i] !== id[i + 1]);
        const swapped = id.slice(0, i) + id[i + 1] + id[i] + id.slice(i + 2);
        expect(validateResidentId(swapped, TODAY).ok).toBe(false);
      }),
    );
  });
});

describe("maskResidentId", () => {
  it("keeps the first 3 and last 4 characters", () => {
    expect(maskResidentId("50010719900307123X")).toBe("500***********123X");
    expect(maskResidentId("50010719900307123x")).toBe("500***********123X");
    expect(maskResidentId("50010719900307123X")).toHaveLength(18);
  });

  it("masks everything when the input is not 18 characters", () => {
    expect(maskResidentId("110105491231002")).toBe("******************");
  });
});

describe("hashResidentId", () => {
  const key = "test-only-secret";

  it("is HMAC-SHA256 of the normalised id, as lowercase hex", () => {
    const expected = createHmac("sha256", key).update("11010519491231002X").digest("hex");
    expect(hashResidentId("11010519491231002X", key)).toBe(expected);
    expect(hashResidentId(" 11010519491231002x ", key)).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it("depends on the key and accepts a Buffer key", () => {
    const a = hashResidentId("11010519491231002X", key);
    expect(hashResidentId("11010519491231002X", "another-secret")).not.toBe(a);
    expect(hashResidentId("11010519491231002X", Buffer.from(key))).toBe(a);
  });

  it("refuses an empty key", () => {
    expect(() => hashResidentId("11010519491231002X", "")).toThrow(RangeError);
    expect(() => hashResidentId("11010519491231002X", Buffer.alloc(0))).toThrow(RangeError);
  });
});

describe("validateChinaMobile", () => {
  it("normalises to E.164", () => {
    for (const input of ["13800138000", "+8613800138000", "008613800138000", "8613800138000", "138 0013 8000", "+86 138-0013-8000"]) {
      expect(validateChinaMobile(input)).toEqual({ ok: true, value: "+8613800138000" });
    }
    expect(validateChinaMobile("19912345678")).toEqual({ ok: true, value: "+8619912345678" });
  });

  it("refuses wrong lengths, non-digits and other country codes", () => {
    for (const input of ["1380013800", "138001380000", "+85213800138000", "+1 415 555 0100", "1380013800a", ""]) {
      expect(validateChinaMobile(input)).toMatchObject({ ok: false, reason: "format" });
    }
  });

  it("refuses numbers that do not start with 13-19", () => {
    for (const input of ["12800138000", "10800138000", "+8623800138000", "02388888888"]) {
      expect(validateChinaMobile(input)).toMatchObject({ ok: false, reason: "prefix" });
    }
  });
});

describe("ageOn", () => {
  it("counts whole years, the birthday included", () => {
    expect(ageOn("2010-06-15", "2026-06-15")).toBe(16);
    expect(ageOn("2010-06-16", "2026-06-15")).toBe(15);
    expect(ageOn("2008-06-15", "2026-06-15")).toBe(18);
    expect(ageOn("2008-12-31", "2026-01-01")).toBe(17);
  });

  it("counts a 29 February birthday from 1 March in other years", () => {
    expect(ageOn("2008-02-29", "2026-02-28")).toBe(17);
    expect(ageOn("2008-02-29", "2026-03-01")).toBe(18);
    expect(ageOn("2008-02-29", "2024-02-29")).toBe(16);
  });

  it("agrees with a calendar count on generated dates", () => {
    fc.assert(fc.property(birthDate, birthDate, (a, b) => {
      const [birth, today] = a <= b ? [a, b] : [b, a];
      const iso = (d: string) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}`;
      const age = ageOn(iso(birth), iso(today));
      // The age is the largest n whose n-th birthday (29 Feb → 1 Mar) is not after today.
      const birthday = (n: number) => {
        const y = Number(birth.slice(0, 4)) + n;
        const md = birth.slice(4);
        const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
        return md === "0229" && !leap ? `${y}0301` : `${y}${md}`;
      };
      expect(birthday(age) <= today).toBe(true);
      expect(birthday(age + 1) > today).toBe(true);
    }));
  });
});
