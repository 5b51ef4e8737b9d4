import { describe, expect, it } from "vitest";
import { normaliseReference } from "../payments";
import { decodeStatement, parseStatement, referencesIn } from "./statement-csv";

const ok = (text: string) => {
  const r = parseStatement(text);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.lines;
};
const problems = (text: string) => {
  const r = parseStatement(text);
  if (r.ok) throw new Error("parsed");
  return r.problems;
};

describe("bank statement CSV", () => {
  it("reads the English columns, signed yuan amounts to fen, quoted fields and CRLF", () => {
    const lines = ok(
      'transaction_id,date,amount,currency,counterparty,reference\r\n' +
        'B-1,2026-12-01,1250.50,CNY,"重庆山城物流, 有限公司",货款 SX-7K3Q-9MZD\r\n' +
        'B-2,2026/12/01,"-1,000.05",RMB,"He said ""hi""",wdr_0123456789abcdef\r\n' +
        "\r\n" +
        "B-3,20261202,0.01,人民币,,\r\n",
    );
    expect(lines).toEqual([
      { line: 2, transactionId: "B-1", date: "2026-12-01", amountFen: 125_050n, currency: "CNY", counterparty: "重庆山城物流, 有限公司", counterpartyAccount: null, reference: "货款 SX-7K3Q-9MZD" },
      { line: 3, transactionId: "B-2", date: "2026-12-01", amountFen: -100_005n, currency: "CNY", counterparty: 'He said "hi"', counterpartyAccount: null, reference: "wdr_0123456789abcdef" },
      { line: 5, transactionId: "B-3", date: "2026-12-02", amountFen: 1n, currency: "CNY", counterparty: null, counterpartyAccount: null, reference: null },
    ]);
  });

  it("reads the Chinese columns with credit and debit, in any order", () => {
    const lines = ok("附言,借方金额,贷方金额,交易日期,交易流水号\n首付,,300.00,2026-12-01,T1\n代发工资 pay_0123456789ab,88,,2026-12-01,T2\n");
    expect(lines.map((l) => [l.transactionId, l.amountFen, l.reference])).toEqual([
      ["T1", 30_000n, "首付"],
      ["T2", -8_800n, "代发工资 pay_0123456789ab"],
    ]);
  });

  it("names the line and column of every bad value", () => {
    const p = problems(
      "transaction_id,date,amount\n" +
        "A,2026-12-01,12.345\n" +
        "B,2026-02-30,1\n" +
        ",2026-12-01,1\n" +
        "C,2026-12-01,1e3\n" +
        "D,2026-12-01,0\n" +
        "A,2026-12-01,5\n" +
        "E,2026-12-01\n" +
        'F,2026-12-01,"1,23"\n',
    );
    expect(p.map((x) => [x.line, x.column])).toEqual([
      [2, "amount"],
      [3, "date"],
      [4, "transaction_id"],
      [5, "amount"],
      [6, "amount"],
      [7, "transaction_id"],
      [8, null],
      [9, "amount"],
    ]);
    expect(p[0]!.message).toContain("more than 2 decimal places");
    expect(p[5]!.message).toContain("first on line 2");
  });

  it("counts physical lines across a quoted field that spans lines", () => {
    const p = problems('transaction_id,date,amount,reference\nA,2026-12-01,1,"two\nlines"\nB,nope,1,x\n');
    expect(p).toEqual([{ line: 4, column: "date", message: '"nope" is not a date like 2026-12-01' }]);
  });

  it("refuses a header without the required columns, and credit and debit both filled", () => {
    expect(problems("id,when,how much\n1,2,3\n").map((x) => x.column)).toEqual(["transaction_id", "date", "amount"]);
    expect(problems("transaction_id,date,credit,debit\nA,2026-12-01,1,2\n")).toMatchObject([{ line: 2, column: "debit" }]);
    expect(problems("transaction_id,date,amount\n")).toMatchObject([{ line: 2 }]);
    expect(problems("")).toMatchObject([{ line: 1 }]);
    expect(problems('transaction_id,date,amount\nA,2026-12-01,"1\n')).toMatchObject([{ line: 2, column: null }]);
  });

  it("decodes UTF-8 with and without a byte order mark, and GB18030 when chosen; names the bad byte otherwise", () => {
    const text = "transaction_id,date,amount,counterparty\nA,2026-12-01,1.00,重庆山城\n";
    const plain = decodeStatement(Buffer.from(text, "utf8"), "utf-8");
    const bom = decodeStatement(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]), "utf-8");
    expect(plain).toEqual({ ok: true, text });
    expect(bom).toEqual({ ok: true, text });
    // "重庆山城" in GB18030
    const gb = Buffer.concat([Buffer.from("transaction_id,date,amount,counterparty\nA,2026-12-01,1.00,", "ascii"), Buffer.from([0xd6, 0xd8, 0xc7, 0xec, 0xc9, 0xbd, 0xb3, 0xc7]), Buffer.from("\n")]);
    expect(decodeStatement(gb, "gb18030")).toEqual({ ok: true, text });
    const wrong = decodeStatement(gb, "utf-8");
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) {
      expect(wrong.problem.line).toBe(2);
      expect(wrong.problem.message).toContain("gb18030");
    }
    const lines = ok((decodeStatement(gb, "gb18030") as { text: string }).text);
    expect(lines[0]!.counterparty).toBe("重庆山城");
  });

  it("finds references however they are typed, withdrawal ids and the payout batch", () => {
    expect(referencesIn("货款sx 7k3q 9mzd 谢谢 wdr_0123456789abcdef", normaliseReference)).toEqual({ identifiers: ["SX-7K3Q-9MZD", "wdr_0123456789abcdef"], transferGroup: null });
    expect(referencesIn("batch pay_0123456789abcdef", normaliseReference)).toEqual({ identifiers: [], transferGroup: "pay_0123456789abcdef" });
    expect(referencesIn(null, normaliseReference)).toEqual({ identifiers: [], transferGroup: null });
  });
});
