// The ledger's HTTP API over real HTTP, on PGlite and PostgreSQL: owned accounts and paged statements, operator
// verification that names the first bad record, and the public, signed checkpoints anyone can keep.
import { createPublicKey, verify } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKPOINT_PAYLOAD_TAG, platformAccountId, platformAccounts, walletAccount, type LedgerWriter } from "../../src/ledger";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { behindTriggers } from "../helpers/ledger";
import { backends } from "../helpers/services";

describe.each(backends)("ledger API on $name", (backend) => {
  let app: TestApp;
  let ledger: LedgerWriter;
  let operator: string;
  let regulator: string;
  let enterprise: string;
  let otherEnterprise: string;
  let agency: string;
  let walletId: string;

  beforeAll(async () => {
    app = await startTestApp(backend);
    ledger = app.built.ledger;
    operator = app.key("demo operator");
    regulator = app.key("demo regulator");
    enterprise = app.key("demo enterprise 0001");
    otherEnterprise = app.key("demo enterprise 0002");
    agency = app.key("demo agency 0004");
    const orgId = app.demo.keys.find((k) => k.label === "demo enterprise 0001")!.organisationId!;
    const wallet = walletAccount(orgId);
    walletId = wallet.id;
    await ledger.createAccounts([...platformAccounts(), wallet]);
    for (let i = 1; i <= 5; i++) {
      const out = await ledger.createTransfers([
        { id: `api-fund-${i}`, debitAccountId: platformAccountId("clearing"), creditAccountId: walletId, amount: BigInt(i * 100), ledger: "CNY", code: "top_up" },
      ]);
      expect(out.results).toEqual(["ok"]);
      await ledger.checkpoint();
    }
  });
  afterAll(async () => app?.close());

  it("serves signed checkpoints without login, paged, and their signatures verify with the published key", async () => {
    const first = await call(app, "GET", "/v1/public/ledger/checkpoints?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.shard).toBe("main");
    expect(first.body.signingKey).toMatchObject({ algorithm: "Ed25519", keyId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(first.body.items).toHaveLength(2);
    expect(first.body.next).toEqual(expect.any(String));
    const items = [...first.body.items];
    for (let next = first.body.next; next !== null; ) {
      const page = await call(app, "GET", `/v1/public/ledger/checkpoints?limit=2&cursor=${encodeURIComponent(next)}`);
      expect(page.status).toBe(200);
      items.push(...page.body.items);
      next = page.body.next;
    }
    expect(items.length).toBeGreaterThanOrEqual(5);
    expect(items.map((c) => c.sequence)).toEqual([...items.map((c) => c.sequence)].sort((a, b) => a - b));
    expect(items.at(-1).sequence).toBe(ledger.tip.sequence);

    // an outsider's check: only the published key and the checkpoint's own fields
    const key = createPublicKey(first.body.signingKey.publicKeyPem);
    const raw = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(first.body.signingKey.publicKeyBase64, "base64").toString("base64url") }, format: "jwk" });
    for (const c of items) {
      const payload = JSON.stringify([CHECKPOINT_PAYLOAD_TAG, c.shard, String(c.sequence), c.chainHash, c.signedAt]);
      expect(c.payload).toBe(payload);
      expect(c.keyId).toBe(first.body.signingKey.keyId);
      expect(verify(null, Buffer.from(payload), key, Buffer.from(c.signature, "base64"))).toBe(true);
      expect(verify(null, Buffer.from(payload), raw, Buffer.from(c.signature, "base64"))).toBe(true);
      // and a copy with another hash does not verify
      const forged = JSON.stringify([CHECKPOINT_PAYLOAD_TAG, c.shard, String(c.sequence), "0".repeat(64), c.signedAt]);
      expect(verify(null, Buffer.from(forged), key, Buffer.from(c.signature, "base64"))).toBe(false);
    }
  });

  it("documents the checkpoints as public (no lock in /docs) and refuses a cursor it did not issue, naming it", async () => {
    const doc = await call(app, "GET", "/docs/json");
    expect(doc.body.paths["/v1/public/ledger/checkpoints"].get.security).toEqual([]);
    const bad = await call(app, "GET", "/v1/public/ledger/checkpoints?cursor=nonsense");
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe("/querystring/cursor");
  });

  it("pages an account's statement with limit and an opaque cursor, running totals intact", async () => {
    const all = await call(app, "GET", `/v1/accounts/${encodeURIComponent(walletId)}/statement`, { key: enterprise });
    expect(all.status).toBe(200);
    expect(all.body.next).toBeNull();
    expect(all.body.items.map((l: { transferId: string }) => l.transferId)).toEqual(["api-fund-1", "api-fund-2", "api-fund-3", "api-fund-4", "api-fund-5"]);
    expect(all.body.items.at(-1).creditsPostedFen).toBe(1_500);
    const lines = [];
    let pages = 0;
    for (let cursor: string | null = ""; cursor !== null; pages++) {
      const page = await call(app, "GET", `/v1/accounts/${encodeURIComponent(walletId)}/statement?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { key: enterprise });
      expect(page.status).toBe(200);
      lines.push(...page.body.items);
      cursor = page.body.next;
    }
    expect(pages).toBe(3);
    expect(lines).toEqual(all.body.items);
    // the old `after` parameter is gone: unknown query fields are refused
    expect((await call(app, "GET", `/v1/accounts/${encodeURIComponent(walletId)}/statement?after=1`, { key: enterprise })).status).toBe(400);
    // another organisation's account reads as absent
    expect((await call(app, "GET", `/v1/accounts/${encodeURIComponent(walletId)}/statement`, { key: otherEnterprise })).status).toBe(404);
  });

  it("lists the caller's own accounts as a page", async () => {
    const own = await call(app, "GET", "/v1/accounts", { key: enterprise });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ next: null, items: [{ id: walletId, code: "wallet", creditsPostedFen: 1_500, availableFen: 1_500 }] });
    expect((await call(app, "GET", "/v1/accounts", { key: otherEnterprise })).body).toEqual({ items: [], next: null });
    expect((await call(app, "GET", "/v1/accounts", { key: operator })).status).toBe(403);
  });

  it("lets operators verify (and the regulator read the trial balance), nobody else", async () => {
    expect((await call(app, "GET", "/v1/ledger/verify", { key: enterprise })).status).toBe(403);
    expect((await call(app, "GET", "/v1/ledger/trial-balance", { key: agency })).status).toBe(403);
    expect((await call(app, "GET", "/v1/ledger/trial-balance", { key: regulator })).status).toBe(200);
    expect((await call(app, "GET", "/v1/ledger/verify", { key: regulator })).status).toBe(403);
    const v = await call(app, "GET", "/v1/ledger/verify", { key: operator });
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ ok: true, chain: { ok: true, mode: "full", from: 1, through: ledger.tip.sequence }, tip: { sequence: ledger.tip.sequence } });
    expect(v.body.chain.checkpointsChecked).toBeGreaterThanOrEqual(5);
  });

  it("verification names the first record removed after a checkpoint (run last: it damages the shard)", async () => {
    const tip = ledger.tip.sequence;
    await behindTriggers(app.database.db.sql, (c) => c.query(`DELETE FROM ledger_transfers WHERE shard = 'main' AND id IN ('api-fund-4', 'api-fund-5')`));
    const v = await call(app, "GET", "/v1/ledger/verify", { key: operator });
    expect(v.status).toBe(200);
    expect(v.body.ok).toBe(false);
    expect(v.body.chain.firstBad).toMatchObject({ sequence: tip - 1, reason: expect.stringMatching(/missing/) });
  });
});
