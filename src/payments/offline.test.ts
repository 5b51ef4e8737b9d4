import { describe, expect, it } from "vitest";
import { createOfflineGateway } from "./offline";

describe("offline gateway payout file", () => {
  it("keeps the exact bytes the bank upload has received since issue 7 (written before its CSV moved to src/shared/csv.ts)", () => {
    const gateway = createOfflineGateway({ bankName: "b", accountName: "a", accountNumber: "1" });
    const file = gateway.payoutFile("pb_1", new Date("2026-12-01T08:00:00.000Z"), [
      { withdrawalId: "wd_1", payeeId: "org_1", amountFen: 123456n, bankAccountName: "重庆山城物流仓储有限公司", bankName: "中国建设银行重庆分行", bankAccountNumber: "6217000000000000001" },
      { withdrawalId: "wd_2", payeeId: "org_2", amountFen: 5n, bankAccountName: 'Acme, "Ltd"\r\nline', bankName: '=HYPERLINK("x")', bankAccountNumber: "-12" },
      { withdrawalId: "wd_3", payeeId: "org_3", amountFen: 100n, bankAccountName: "@sum", bankName: "+1", bankAccountNumber: "\t9" },
    ]);
    expect(file.filename).toBe("payout-pb_1.csv");
    expect(file.contentType).toBe("text/csv; charset=utf-8");
    // The output of the code before the move, captured verbatim.
    expect(file.body).toBe(
      "\uFEFFbatch_id,withdrawal_id,organisation_id,payee_name,bank_name,account_number,amount_yuan,amount_fen,created_at\r\n" +
        "pb_1,wd_1,org_1,重庆山城物流仓储有限公司,中国建设银行重庆分行,6217000000000000001,1234.56,123456,2026-12-01T08:00:00.000Z\r\n" +
        'pb_1,wd_2,org_2,"Acme, ""Ltd""\r\nline","\'=HYPERLINK(""x"")",\'-12,0.05,5,2026-12-01T08:00:00.000Z\r\n' +
        "pb_1,wd_3,org_3,'@sum,'+1,'\t9,1.00,100,2026-12-01T08:00:00.000Z\r\n",
    );
  });

  it("writes only the header for an empty batch", () => {
    const file = createOfflineGateway({ bankName: "b", accountName: "a", accountNumber: "1" }).payoutFile("pb_2", new Date(0), []);
    expect(file.body).toBe("\uFEFFbatch_id,withdrawal_id,organisation_id,payee_name,bank_name,account_number,amount_yuan,amount_fen,created_at\r\n");
  });
});
