import { describe, expect, it } from "vitest";
import { prng } from "../../test/helpers/prng";
import { CSV_CONTENT_TYPE, csvCell, csvDocument, csvField, csvLine, type CsvValue } from "./csv";

/** A strict RFC 4180 reader, written independently of the writer: records of fields, CRLF line ends. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let i = 0;
  let quoted = false;
  let atFieldStart = true;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
        if (i < text.length && text[i] !== "," && text[i] !== "\r") throw new Error(`text after closing quote at ${i}`);
      } else {
        field += c;
        i++;
      }
      continue;
    }
    if (c === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
      i++;
    } else if (c === '"') {
      throw new Error(`bare quote at ${i}`);
    } else if (c === ",") {
      record.push(field);
      field = "";
      atFieldStart = true;
      i++;
    } else if (c === "\r") {
      if (text[i + 1] !== "\n") throw new Error(`CR without LF at ${i}`);
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      atFieldStart = true;
      i += 2;
    } else if (c === "\n") {
      throw new Error(`bare LF at ${i}`);
    } else {
      field += c;
      atFieldStart = false;
      i++;
    }
  }
  if (quoted) throw new Error("unterminated quote");
  if (field !== "" || record.length > 0) throw new Error("last record not ended by CRLF");
  return records;
}

const ALPHABET = ['a', 'Z', '0', '9', ',', '"', "\r", "\n", " ", "=", "+", "-", "@", "\t", "重", "庆", "'", ";", "é", "😀"];

function randomText(rand: () => number): string {
  const n = Math.floor(rand() * 8);
  let s = "";
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return s;
}

describe("csvField", () => {
  it.each([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\r\nlines", '"two\r\nlines"'],
    ["lf\nonly", '"lf\nonly"'],
    ["=1+1", "'=1+1"],
    ["+86", "'+86"],
    ["-5", "'-5"],
    ["@cmd", "'@cmd"],
    ["\tx", "'\tx"],
    ["\rx", "\"'\rx\""],
    ['=HYPERLINK("x")', '"\'=HYPERLINK(""x"")"'],
    ["", ""],
    ["重庆", "重庆"],
  ])("%j → %j", (input, output) => {
    expect(csvField(input)).toBe(output);
  });
});

describe("csvCell", () => {
  it("writes numbers and bigints as they are, never neutralised", () => {
    expect(csvCell(-5)).toBe("-5");
    expect(csvCell(-12345678901234567890n)).toBe("-12345678901234567890");
    expect(csvCell(0.25)).toBe("0.25");
    expect(csvCell(null)).toBe("");
    expect(csvCell(true)).toBe("true");
  });

  it("refuses numbers a CSV cannot hold exactly", () => {
    expect(() => csvCell(Number.NaN)).toThrow(RangeError);
    expect(() => csvCell(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => csvCell(2 ** 60)).toThrow(/bigint/);
  });
});

describe("csvDocument", () => {
  it("starts with a byte order mark and ends every line, the last too, with CRLF", () => {
    const doc = csvDocument(["a", "b"], [[1, "x"], [2n, null]]);
    expect(doc).toBe("\uFEFFa,b\r\n1,x\r\n2,\r\n");
    expect(CSV_CONTENT_TYPE).toBe("text/csv; charset=utf-8");
  });

  it("refuses a row whose width differs from the header", () => {
    expect(() => csvDocument(["a", "b"], [["x"]])).toThrow(/row 1 has 1 cells, the header 2/);
  });

  it("round-trips random fields through an independent RFC 4180 reader (seeded)", () => {
    const rand = prng(4180);
    for (let round = 0; round < 300; round++) {
      const width = 1 + Math.floor(rand() * 5);
      const header = Array.from({ length: width }, (_, i) => `col${i}`);
      const rows: CsvValue[][] = Array.from({ length: Math.floor(rand() * 6) }, () =>
        Array.from({ length: width }, () => {
          const pick = rand();
          if (pick < 0.6) return randomText(rand);
          if (pick < 0.8) return Math.floor((rand() - 0.5) * 1e6);
          if (pick < 0.9) return BigInt(Math.floor((rand() - 0.5) * 1e9)) * 1_000_000_007n;
          return null;
        }),
      );
      const doc = csvDocument(header, rows);
      expect(doc.startsWith("\uFEFF")).toBe(true);
      const parsed = parseCsv(doc.slice(1));
      expect(parsed[0]).toEqual(header);
      const expected = rows.map((row) =>
        row.map((v) => (v === null ? "" : typeof v === "string" ? (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v) : String(v))),
      );
      expect(parsed.slice(1)).toEqual(expected);
      // No text cell can start a formula once written.
      parsed.slice(1).forEach((record, r) =>
        record.forEach((cell, c) => {
          if (typeof rows[r]?.[c] === "string") expect(cell).not.toMatch(/^[=+\-@\t\r]/);
        }),
      );
    }
  });

  it("csvLine joins cells without a line end", () => {
    expect(csvLine(["a,b", 1, null])).toBe('"a,b",1,');
  });
});
