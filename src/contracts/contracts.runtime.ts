/**
 * The contract runtime: the loop around the pure machines (machines/).
 *
 *   load {snapshot, version} → step(snapshot, event) → if accepted, in ONE transaction: store the snapshot
 *   (version + 1, optimistic check), append the event to the machine's log, put the effects into the
 *   outbox by id, replace the machine's durable timers → after COMMIT, run the outbox.
 *
 * Effects:
 * - messages between machines (`shift.send`, `contract.send`) are delivered by a step of the receiving
 *   machine whose transaction also marks the message done, so each is delivered exactly once;
 * - `shift.create` runs inside the contract step that named the worker, with the no-double-booking check
 *   (the worker's row locked, the person's booked shifts across every supplier looked up), so two
 *   assignments of one person cannot both pass;
 * - money (`ledger.*`) goes to the sequencer as linked transfers whose ids derive from the effect id
 *   (settlement.ts): run again after a crash or an unknown outcome, they answer `exists`;
 * - trust records and notifications are rows written with the effect's done mark; notices then go out
 *   through the notifier port and every change reaches the WebSocket through the bus;
 * - `contract.closed` closes the workflow only once the contract's money effects ran and its escrow is zero.
 *
 * Durable timers are rows claimed with FOR UPDATE SKIP LOCKED; the event a timer fires is the one stored
 * (its instant is its due time), so a timer that fires late, twice or after it became obsolete changes
 * nothing: the machine ignores an event it cannot take, and the timer row goes.
 */
import {
  startContract,
  startWorkerShift,
  stepContract,
  stepWorkerShift,
  contractMachine,
  workerShiftMachine,
  type ContractEvent,
  type ContractInput,
  type ContractSettings,
  type Effect,
  type PersistedContract,
  type PersistedWorkerShift,
  type SeatMoneyEffect,
  type Stepped,
  type WorkerShiftEvent,
  type WorkerShiftInput,
} from "../../machines";
import type { Bus } from "../infra/bus";
import type { SqlClient } from "../infra/db";
import {
  accountStands,
  platformAccountId,
  platformAccounts,
  supplierPayableAccount,
  supplierPayableAccountId,
  transferStands,
  walletAccount,
  walletAccountId,
  workerPayableAccount,
  workerPayableAccountId,
  type AccountInput,
  type AccountSnapshot,
  type CreateAccountsOutcome,
  type CreateTransfersOutcome,
  type TransferInput,
} from "../ledger";
import { parseMarketId, shanghaiIso, shiftSlotById, type Notifier } from "../parties";
import type { Clock } from "../shared/clock";
import type { ContractCreated } from "../shared/events";
import { DomainError } from "../shared/errors";
import type { ContractFacts, ContractsRepository, MachineKind, OutboxRow, ShiftRow, WorkflowRow } from "./contracts.repository";
import { seatAmounts, seatTransfers, type Payee, type SeatTerms } from "./settlement";
import { noticeText } from "./notices";

/** What the runtime needs of the ledger's single writer (the sequencer). */
export interface ContractsLedgerPort {
  createAccounts(inputs: AccountInput[]): Promise<CreateAccountsOutcome>;
  createTransfers(batch: TransferInput[]): Promise<CreateTransfersOutcome>;
  lookupAccount(id: string): AccountSnapshot | undefined;
}

/**
 * Pays a supplier's payable out through the supplier's payment gateway once a seat's money reached it
 * (Stripe: a transfer to its Connect account, transfer group = the contract). `key` is the outbox effect's
 * id, the same on every retry: the gateway derives its payment and its idempotency keys from it, so a
 * payable is paid out once however often this is called. Resolves once the payment is recorded (it may
 * finish later through the gateway's own sweeper); throws when it could not be recorded (retried by the
 * outbox). An organisation on the offline gateway is paid by the bank batch it asks for: nothing happens.
 */
export interface SettlementPayouts {
  pay(p: { key: string; supplierId: string; contractId: string; amountFen: bigint }): Promise<void>;
}

/** The outbox effect that pays a settled payable out (written by the runtime beside the seat's settlement, not by a machine). */
export const SUPPLIER_PAYOUT = "payments.supplierPayout";

export interface RuntimeLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RuntimeDeps {
  repo: ContractsRepository;
  ledger: ContractsLedgerPort;
  clock: Clock;
  bus: Bus;
  notifier: Notifier;
  /** The terms every new contract runs under (it keeps its own copy). */
  settings: ContractSettings;
  /** Income tax withheld from an independent worker's pay, decimal fraction. */
  taxRate: string;
  log: RuntimeLog;
  /** Pays settled payables out through the supplier's gateway (present when Stripe is configured). */
  payouts?: SettlementPayouts | undefined;
}

/** A worker-shift holds its worker's time in these states (the no-double-booking check counts them). */
const BOOKED = new Set(["assigned", "confirmed", "checkedIn", "checkedOut", "disputed", "approved", "resolved"]);

type AnySnapshot = PersistedContract | PersistedWorkerShift;
type AnyStepped = Stepped<AnySnapshot, { id: string; dueAt: number; event: unknown }>;

/** A loaded machine: its row (workflow or shift) and snapshot. */
export type Loaded =
  | { readonly kind: "contract"; readonly row: WorkflowRow; readonly snapshot: PersistedContract }
  | { readonly kind: "shift"; readonly row: ShiftRow; readonly snapshot: PersistedWorkerShift };

/** What applying an event did. */
export interface Applied {
  readonly accepted: boolean;
  /** The machine as it stands after the attempt (the new snapshot when accepted). */
  readonly snapshot: AnySnapshot;
  readonly version: number;
}

/** A step lost the optimistic race: load again and retry. */
class Stale extends Error {}
/** A message was already delivered by another runner. */
class AlreadyDelivered extends Error {}

const MAX_ATTEMPTS = 10;
/** Machines started in a row before a round of new contracts lets other work run. */
const YIELD_EVERY = 8;

function step(kind: MachineKind, snapshot: unknown, event: unknown): AnyStepped {
  return (kind === "contract"
    ? stepContract(snapshot as PersistedContract, event as ContractEvent)
    : stepWorkerShift(snapshot as PersistedWorkerShift, event as WorkerShiftEvent)) as unknown as AnyStepped;
}

/** Outbox ids: notifications may legitimately repeat (a seat declined twice), so theirs carry the step's version. */
function outboxId(effect: Effect, version: number): string {
  return effect.type === "notify" ? `${effect.id}#${version}` : effect.id;
}

function machineVersion(kind: MachineKind): string {
  return String((kind === "contract" ? contractMachine : workerShiftMachine).version ?? "1");
}

export function createContractsRuntime(deps: RuntimeDeps) {
  const { repo, ledger, clock, bus, log } = deps;
  const now = () => clock.now().getTime();

  async function load(kind: MachineKind, id: string, client?: SqlClient): Promise<Loaded | undefined> {
    if (kind === "contract") {
      const row = await repo.workflow(id, client);
      return row === undefined ? undefined : { kind, row, snapshot: row.snapshot as PersistedContract };
    }
    const row = await repo.shift(id, client);
    return row === undefined ? undefined : { kind, row, snapshot: row.snapshot as PersistedWorkerShift };
  }

  /** Publishes a machine's change to the bus (pages refresh; the worker's `shifts` channel, both organisations' `executions`). */
  function publish(kind: MachineKind, snapshot: AnySnapshot, version: number, at: number): void {
    const c = snapshot.context as unknown as Record<string, unknown>;
    bus.publish({
      type: "workflow.changed",
      seq: version,
      at: shanghaiIso(at),
      machine: kind,
      contractId: String(c["contractId"]),
      shiftId: kind === "shift" ? String(c["shiftId"]) : null,
      seat: kind === "shift" ? Number(c["seat"]) : null,
      workerId: kind === "shift" ? String(c["workerId"]) : null,
      enterpriseId: String(c["enterpriseId"]),
      supplierId: String(c["supplierId"]),
      state: String(snapshot.value),
    });
  }

  /**
   * Starts a worker-shift inside the contract step that named its worker: locks the worker, refuses a person
   * already booked for an overlapping shift anywhere on the exchange, stores the shift's first snapshot,
   * its effects and timers. Throws DomainError (and so rolls the whole step back) on a double booking.
   */
  async function createShift(tx: SqlClient, input: WorkerShiftInput, at: number, published: (() => void)[]): Promise<void> {
    if (await repo.shift(input.shiftId, tx)) return;
    const worker = await repo.lockWorker(tx, input.workerId);
    if (worker === undefined) throw new DomainError("validation_failed", `worker ${input.workerId} does not exist`, { field: "/body/workerId" });
    const clash = await repo.overlappingShift(tx, worker.identityHash, input.shiftStart, input.shiftEnd);
    if (clash !== undefined) {
      throw new DomainError("conflict", "this person is already booked for an overlapping shift on the exchange (through this or another supplier)", {
        field: "/body/workerId",
        reason: "double_booking",
      });
    }
    const r = startWorkerShift(input);
    await repo.insertShift(tx, {
      shiftId: input.shiftId,
      contractId: input.contractId,
      seat: input.seat,
      workerId: input.workerId,
      identityHash: worker.identityHash,
      enterpriseId: input.enterpriseId,
      supplierId: input.supplierId,
      independent: worker.supplierId === null,
      shiftStart: input.shiftStart,
      shiftEnd: input.shiftEnd,
      input,
      snapshot: r.snapshot,
      machineVersion: machineVersion("shift"),
      state: String(r.snapshot.value),
      booked: BOOKED.has(String(r.snapshot.value)),
      at,
    });
    await repo.insertEffects(tx, input.shiftId, r.effects.map((e) => ({ effectId: outboxId(e, 1), type: e.type, effect: e })), at);
    await repo.replaceTimers(tx, "shift", input.shiftId, r.timers);
    published.push(() => publish("shift", r.snapshot, 1, at));
  }

  /** Stores an accepted step (see the header): throws Stale when the row moved on. */
  async function commit(tx: SqlClient, m: Loaded, r: AnyStepped, event: { at: number }, deliver: string | undefined, published: (() => void)[]): Promise<number> {
    const at = now();
    const version = m.row.version;
    const state = String(r.snapshot.value);
    const stored = await repo.storeStep(tx, {
      kind: m.kind,
      machineId: m.kind === "contract" ? m.row.contractId : m.row.shiftId,
      fromVersion: version,
      snapshot: r.snapshot,
      state,
      booked: BOOKED.has(state),
      event,
      at,
    });
    if (stored === "stale") throw new Stale();
    if (deliver !== undefined && !(await repo.markDone(tx, deliver, at))) throw new AlreadyDelivered();
    const machineId = m.kind === "contract" ? m.row.contractId : m.row.shiftId;
    await repo.insertEffects(tx, machineId, r.effects.map((e) => ({ effectId: outboxId(e, version + 1), type: e.type, effect: e })), at);
    for (const e of r.effects) {
      if (e.type !== "shift.create") continue;
      await createShift(tx, e.input, at, published);
      await repo.markDone(tx, e.id, at);
    }
    await repo.replaceTimers(tx, m.kind, machineId, r.timers);
    published.push(() => publish(m.kind, r.snapshot, version + 1, at));
    return version + 1;
  }

  /**
   * Applies an event to a stored machine (retrying when another step got there first). `check` runs on the
   * freshly loaded machine before each attempt (ownership, "already done"); `deliver` names the outbox
   * message this step delivers. Never runs the outbox itself: callers drain().
   */
  async function apply(
    kind: MachineKind,
    id: string,
    event: { type: string; at: number },
    options: { check?: (m: Loaded) => void; deliver?: string } = {},
  ): Promise<Applied> {
    for (let attempt = 1; ; attempt++) {
      const m = await load(kind, id);
      if (m === undefined) throw new DomainError("not_found", `${kind === "contract" ? "contract" : "shift"} ${id} was not found`, { id });
      options.check?.(m);
      const r = step(kind, m.snapshot, event);
      if (!r.accepted) {
        if (options.deliver !== undefined) await repo.transaction((tx) => repo.markDone(tx, options.deliver!, now()));
        return { accepted: false, snapshot: m.snapshot, version: m.row.version };
      }
      const published: (() => void)[] = [];
      try {
        const version = await repo.transaction((tx) => commit(tx, m, r, event, options.deliver, published));
        for (const p of published) p();
        return { accepted: true, snapshot: r.snapshot, version };
      } catch (err) {
        if (err instanceof AlreadyDelivered) return { accepted: false, snapshot: m.snapshot, version: m.row.version };
        if (err instanceof Stale && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  // ------------------------------------------------------------ starting contracts

  /** Starts the workflow of a contract the sequencer wrote; false when there is no such contract. Idempotent. */
  async function start(contractId: string): Promise<boolean> {
    return (await startMany([contractId])).has(contractId);
  }

  /**
   * Starts the workflows of contracts the sequencer wrote, in one look-up and one transaction for all of them
   * (fills come in bursts: a round of new contracts costs one commit, not one each). Returns the ids that have a
   * workflow now (started here or before); ids with no contract row are left out. Idempotent.
   */
  async function startMany(contractIds: readonly string[]): Promise<Set<string>> {
    return (await startFrom(await repo.contractFacts([...new Set(contractIds)]))).existing;
  }

  /**
   * Starts the workflows of contracts announced on the bus, from the facts their events carry: the event comes
   * after the sequencer's commit, so the row is there, and the workflow's insert leaves one started already (by
   * the sweep, another node) as it is, and one whose contract row is not there is not started. The same input
   * as from the row: whichever path starts it stores the same. Returns the ids it started.
   */
  async function startCreated(events: readonly ContractCreated[]): Promise<Set<string>> {
    const { inserted } = await startFrom(
      events.map((e) => ({
        contractId: e.contractId,
        enterpriseId: e.enterpriseId,
        supplierId: e.supplierId,
        market: e.market,
        headcount: e.headcount,
        rateFen: e.rateFen,
        shared: e.shared,
        shiftStart: Date.parse(e.shiftStart),
        shiftEnd: Date.parse(e.shiftEnd),
        escrowAccountId: e.escrowAccountId,
        escrowFen: BigInt(e.escrowFen),
        minCertificate: e.minCertificate,
        createdAt: Date.parse(e.at),
        started: false,
      })),
    );
    return inserted;
  }

  /** Starts these contracts' workflows; `existing`: the ids of the facts given, `inserted`: those started here. */
  async function startFrom(facts: ReadonlyArray<ContractFacts & { readonly started: boolean }>): Promise<{ existing: Set<string>; inserted: Set<string> }> {
    const existing = new Set<string>();
    const rows: Parameters<ContractsRepository["insertWorkflows"]>[0][number][] = [];
    const started: Array<{ contractId: string; r: ReturnType<typeof startContract> }> = [];
    const refused: Error[] = [];
    let sinceYield = 0;
    for (const f of facts) {
      existing.add(f.contractId);
      if (f.started) continue;
      // Starting a machine costs a fraction of a millisecond: a round of many would hold the event loop (and the
      // sequencer's commits and the requests waiting on them) for tens of milliseconds. Let them in between.
      if (++sinceYield > YIELD_EVERY) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
      const contractId = f.contractId;
      const market = parseMarketId(f.market);
      const slot = market.ok ? shiftSlotById(market.value.slot) : undefined;
      // A contract that cannot start fails alone: the others of its round start, and the error is thrown after them.
      if (!market.ok || slot === undefined) {
        refused.push(new Error(`contract ${contractId}: market ${f.market} is not in the catalogue`));
        continue;
      }
      if (f.escrowFen % BigInt(f.headcount) !== 0n) {
        refused.push(new Error(`contract ${contractId}: escrow ${f.escrowFen} does not split into ${f.headcount} equal seats`));
        continue;
      }
      // The contract's own instant, not the clock's: whichever node starts it (or catches up later) stores the same input.
      const input: ContractInput = {
        contractId,
        enterpriseId: f.enterpriseId,
        supplierId: f.supplierId,
        headcount: f.headcount,
        shiftStart: f.shiftStart,
        shiftEnd: f.shiftEnd,
        paidMinutes: slot.paidMinutes,
        settings: deps.settings,
        at: f.createdAt,
      };
      const r = startContract(input);
      started.push({ contractId, r });
      rows.push({
        contractId,
        enterpriseId: f.enterpriseId,
        supplierId: f.supplierId,
        market: f.market,
        skillId: market.value.skill,
        headcount: f.headcount,
        rateFen: f.rateFen,
        shared: f.shared,
        paidMinutes: slot.paidMinutes,
        minCertificate: f.minCertificate,
        shiftStart: f.shiftStart,
        shiftEnd: f.shiftEnd,
        escrowAccountId: f.escrowAccountId,
        seatFen: f.escrowFen / BigInt(f.headcount),
        input,
        snapshot: r.snapshot,
        machineVersion: machineVersion("contract"),
        state: String(r.snapshot.value),
        createdAt: f.createdAt,
      });
    }
    if (rows.length === 0) {
      if (refused.length > 0) throw refused[0]!;
      return { existing, inserted: new Set() };
    }
    const at = now();
    const timers = started.flatMap(({ contractId, r }) => r.timers.map((t) => ({ ...t, machineId: contractId })));
    // A started contract describes no effects today: its workflows and timers then go in one statement. Effects,
    // if a machine version ever has them at start, go into the outbox in the same transaction as their workflow.
    let inserted: typeof started;
    if (started.every((s) => s.r.effects.length === 0)) {
      const ok = await repo.insertWorkflows(rows, timers);
      inserted = started.filter((s) => ok.has(s.contractId));
    } else {
      inserted = await repo.transaction(async (tx) => {
        const ok = await repo.insertWorkflows(rows, timers, tx);
        const mine = started.filter((s) => ok.has(s.contractId));
        for (const { contractId, r } of mine) {
          if (r.effects.length > 0) await repo.insertEffects(tx, contractId, r.effects.map((e) => ({ effectId: outboxId(e, 1), type: e.type, effect: e })), at);
        }
        return mine;
      });
    }
    for (const { r } of inserted) publish("contract", r.snapshot, 1, at);
    if (refused.length > 0) throw refused[0]!;
    return { existing, inserted: new Set(inserted.map((s) => s.contractId)) };
  }

  /**
   * Every contract of this shard with a sequence up to this one has a workflow: a sweep looks only after it
   * (contracts are written in sequence order), so it costs what is new, not the whole history.
   */
  let startedThrough = 0;

  /**
   * Starts every contract written while nobody listened (a restart, a lost bus message); returns how many.
   * With `settledMs`, contracts younger than that are left to the bus (which is starting them right now;
   * a sweep racing it would only start them twice over).
   */
  async function catchUp(options: { settledMs?: number } = {}): Promise<number> {
    const createdBefore = options.settledMs === undefined ? undefined : now() - options.settledMs;
    const upTo = await repo.sweepBound(startedThrough, createdBefore);
    let after = startedThrough;
    let started = 0;
    for (;;) {
      const page = await repo.unstartedContracts(100, after, upTo, createdBefore);
      if (page.length === 0) break;
      // startMany throws when one of them cannot start: the mark then stays where it was, and the next sweep tries again.
      started += (await startMany(page.map((c) => c.id))).size;
      after = page[page.length - 1]!.seq;
    }
    startedThrough = Math.max(startedThrough, upTo);
    return started;
  }

  // ------------------------------------------------------------ the outbox

  async function perform(row: OutboxRow): Promise<void> {
    if (row.type === SUPPLIER_PAYOUT) return payOut(row);
    const e = row.effect as Effect;
    const at = now();
    switch (e.type) {
      case "shift.create": {
        const published: (() => void)[] = [];
        await repo.transaction(async (tx) => {
          await createShift(tx, e.input, at, published);
          await repo.markDone(tx, row.effectId, at);
        });
        for (const p of published) p();
        return;
      }
      case "shift.send":
        await apply("shift", e.shiftId, e.event, { deliver: row.effectId });
        return;
      case "contract.send":
        await apply("contract", e.contractId, e.event, { deliver: row.effectId });
        return;
      case "ledger.refundSeat":
      case "ledger.lateCancelSeat":
      case "ledger.settleSeat":
        await moveSeatMoney(row.effectId, e);
        return;
      case "trust.record":
        await repo.transaction(async (tx) => {
          await repo.insertTrust(tx, { id: e.id, contractId: e.contractId, party: e.party, partyId: e.partyId, event: e.event, seat: e.seat, seats: e.seats, minutes: e.minutes, at });
          await repo.markDone(tx, row.effectId, at);
        });
        return;
      case "notify": {
        const fresh = await repo.transaction(async (tx) => {
          const inserted = await repo.insertNotification(tx, {
            id: row.effectId, recipient: e.to, recipientId: e.recipientId, contractId: e.contractId, shiftId: e.shiftId, seat: e.seat, kind: e.kind, createdAt: at,
          });
          await repo.markDone(tx, row.effectId, at);
          return inserted;
        });
        if (fresh) await sendNotice(e);
        return;
      }
      case "contract.closed":
        await close(row, e.contractId, e.outcome);
        return;
    }
  }

  /**
   * Pays a settled payable out. The effect was written in the transaction that recorded the seat's
   * settlement, so a crash anywhere after it leaves this pending until a pass runs it; no transaction
   * is open while the gateway (Stripe) is called; the gateway's payment is keyed by this effect's id.
   */
  async function payOut(row: OutboxRow): Promise<void> {
    const p = row.effect as { supplierId: string; contractId: string; amountFen: string };
    if (deps.payouts === undefined) throw new Error("no payment gateway pays settled payables out in this process (Stripe not configured)");
    await deps.payouts.pay({ key: row.effectId, supplierId: p.supplierId, contractId: p.contractId, amountFen: BigInt(p.amountFen) });
    const at = now();
    await repo.transaction((tx) => repo.markDone(tx, row.effectId, at));
  }

  /** Tells a worker on the phone (SMS through the notifier port), and pushes a shift offer to the `shifts` channel. */
  async function sendNotice(e: Extract<Effect, { type: "notify" }>): Promise<void> {
    if (e.to !== "worker" || e.recipientId === null) return;
    if (e.kind === "shift_offered" && e.shiftId !== null) {
      const w = await repo.workflow(e.contractId);
      bus.publish({ type: "shift.offered", seq: 1, at: shanghaiIso(now()), workerId: e.recipientId, shiftId: e.shiftId, market: w?.market ?? "" });
    }
    const text = noticeText(e.kind);
    if (text === null || deps.notifier.sendNotice === undefined) return;
    const worker = await repo.worker(e.recipientId);
    if (worker === undefined) return;
    // Best effort: the notice is also in the worker's inbox and on the page; a failed SMS must not hold the workflow.
    await deps.notifier.sendNotice(worker.phone, text).catch((err: unknown) => log.warn({ err, kind: e.kind }, "contracts: a notice could not be delivered"));
  }

  /** The accounts a seat's transfers credit, created when missing (a supplier's first pay, an independent worker's). */
  async function ensureAccounts(accounts: AccountInput[]): Promise<void> {
    const missing = accounts.filter((a) => ledger.lookupAccount(a.id) === undefined);
    if (missing.length === 0) return;
    const out = await ledger.createAccounts(missing);
    out.results.forEach((r, i) => {
      if (!accountStands(r)) throw new Error(`ledger account ${missing[i]!.id}: ${r}`);
    });
  }

  /** Runs a seat's money effect through the sequencer and records how the seat's escrow left. */
  async function moveSeatMoney(outboxEffectId: string, e: SeatMoneyEffect): Promise<void> {
    const w = await repo.workflow(e.contractId);
    if (w === undefined) throw new Error(`contract ${e.contractId} has no workflow`);
    const terms: SeatTerms = {
      contractId: w.contractId,
      rateFen: w.rateFen,
      paidMinutes: w.paidMinutes,
      seatFen: w.seatFen,
      escrowAccountId: w.escrowAccountId,
      walletAccountId: walletAccountId(w.enterpriseId),
      supplierPayableAccountId: supplierPayableAccountId(w.supplierId),
    };
    let payee: Payee | null = null;
    const accounts: AccountInput[] = [...platformAccounts(), walletAccount(w.enterpriseId), supplierPayableAccount(w.supplierId)];
    let shift: ShiftRow | undefined;
    if (e.type === "ledger.settleSeat") {
      shift = await repo.shift(e.shiftId);
      if (shift === undefined) throw new Error(`shift ${e.shiftId} of contract ${e.contractId} does not exist`);
      // A shared-staffing contract pays the lending enterprise (the employer), an agency's its payable; only a
      // worker with no supplier at all is paid directly, net of withholding.
      if (shift.independent) {
        payee = { accountId: workerPayableAccountId(shift.workerId), withholds: true };
        accounts.push(workerPayableAccount(shift.workerId));
      } else {
        payee = { accountId: supplierPayableAccountId(w.supplierId), withholds: false };
      }
    }
    const amounts = seatAmounts(terms, e, payee, deps.taxRate);
    const transfers = seatTransfers(terms, e, amounts, payee, { platformFee: platformAccountId("platform_fee"), taxWithheld: platformAccountId("tax_withheld") });
    await ensureAccounts(accounts);
    const out = await ledger.createTransfers(transfers);
    if (!out.results.every(transferStands)) {
      const results = out.results.map((r, i) => `${transfers[i]!.id}: ${r}`).join(", ");
      if (out.results[0] === "exists_with_different_fields") {
        // Another decision already moved this seat's money: the machines should never allow it, so an operator must look.
        log.error({ effect: e.id, results }, "contracts: a second, different money decision about one seat was refused by the ledger");
      }
      throw new Error(`the ledger refused the seat's transfers: ${results}`);
    }
    const at = now();
    await repo.transaction(async (tx) => {
      await repo.insertSettlement(tx, {
        id: e.id,
        contractId: e.contractId,
        seat: e.seat,
        kind: e.type === "ledger.settleSeat" ? "settled" : e.type === "ledger.refundSeat" ? "refunded" : "late_cancelled",
        shiftId: e.type === "ledger.settleSeat" ? e.shiftId : null,
        workerId: e.type === "ledger.settleSeat" ? e.workerId : null,
        minutes: e.type === "ledger.settleSeat" ? e.minutes : e.type === "ledger.lateCancelSeat" ? e.feeMinutes : null,
        basis: e.type === "ledger.settleSeat" ? e.basis : e.type === "ledger.refundSeat" ? e.reason : null,
        reason: e.type === "ledger.settleSeat" ? e.reason : null,
        operatorId: e.type === "ledger.settleSeat" ? e.operatorId : null,
        wageFen: amounts.wageFen,
        taxFen: amounts.taxFen,
        feeFen: amounts.feeFen,
        refundFen: amounts.refundFen,
        payeeAccountId: e.type === "ledger.settleSeat" ? payee!.accountId : e.type === "ledger.lateCancelSeat" ? terms.supplierPayableAccountId : null,
        transferIds: transfers.map((t) => t.id),
        settledAt: at,
      });
      // What reached the supplier's payable leaves through its gateway: recorded here, with the settlement, so it is never forgotten.
      const payableFen = e.type === "ledger.settleSeat" && !shift!.independent ? amounts.wageFen - amounts.taxFen : e.type === "ledger.lateCancelSeat" ? amounts.wageFen : 0n;
      if (deps.payouts !== undefined && payableFen > 0n) {
        await repo.insertEffects(tx, w.contractId, [{
          effectId: `${e.id}:payout`, type: SUPPLIER_PAYOUT,
          effect: { type: SUPPLIER_PAYOUT, supplierId: w.supplierId, contractId: w.contractId, amountFen: payableFen.toString() },
        }], at);
      }
      await repo.markDone(tx, outboxEffectId, at);
    });
    // The step that decided this published its state before the money moved: tell the pages again, now with the money.
    bus.publish({
      type: "workflow.changed", seq: w.version, at: shanghaiIso(at), machine: shift ? "shift" : "contract", contractId: w.contractId,
      shiftId: shift?.shiftId ?? null, seat: e.seat, workerId: shift?.workerId ?? null, enterpriseId: w.enterpriseId, supplierId: w.supplierId,
      state: shift?.state ?? w.state,
    });
  }

  /** Closes a contract once its money effects ran and its escrow stands at zero. */
  async function close(row: OutboxRow, contractId: string, outcome: string): Promise<void> {
    if ((await repo.pendingMoney(contractId)) > 0) throw new Error("waiting for the contract's money effects");
    const w = await repo.workflow(contractId);
    if (w === undefined) throw new Error(`contract ${contractId} has no workflow`);
    const escrow = ledger.lookupAccount(w.escrowAccountId);
    const balance = escrow === undefined ? 0n : escrow.creditsPosted - escrow.debitsPosted;
    if (balance !== 0n || (escrow !== undefined && escrow.debitsPending !== 0n)) {
      log.error({ contractId, balance: balance.toString() }, "contracts: a contract reached its end with money left in escrow; it stays open");
      throw new Error(`escrow ${w.escrowAccountId} holds ${balance} fen`);
    }
    const at = now();
    await repo.transaction(async (tx) => {
      await repo.closeWorkflow(tx, contractId, outcome, at);
      await repo.markDone(tx, row.effectId, at);
    });
  }

  let queue: Promise<void> = Promise.resolve();

  /** One pass over the outbox: every pending effect in order, each attempted once (failures stay for the next pass). */
  async function runOutbox(): Promise<void> {
    let after = 0n;
    for (;;) {
      const rows = await repo.pendingEffects(after, 200);
      if (rows.length === 0) return;
      for (const row of rows) {
        after = row.seq;
        try {
          await perform(row);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          await repo.markFailed(row.effectId, message).catch(() => undefined);
          const level = row.type === "contract.closed" && message.startsWith("waiting") ? "info" : "warn";
          log[level]({ err, effect: row.effectId, attempts: row.attempts + 1 }, "contracts: an effect did not complete; it stays in the outbox");
        }
      }
    }
  }

  /** A pass queued behind the running one and not started yet: callers meanwhile join it. */
  let nextPass: Promise<void> | undefined;

  /**
   * Runs the outbox: resolves after a pass that started after the call (passes are serialised in this process;
   * callers while one waits to start share it; other processes' are harmless: every effect is idempotent).
   */
  function drain(): Promise<void> {
    if (nextPass !== undefined) return nextPass;
    const pass = () => {
      nextPass = undefined;
      return runOutbox();
    };
    const run = queue.then(pass, pass);
    nextPass = run;
    queue = run.catch((err: unknown) => log.error({ err }, "contracts: the outbox pass failed"));
    return run;
  }

  // ------------------------------------------------------------ timers

  /** Fires every timer due by the clock, in due order, then runs the outbox; returns how many fired. */
  async function fireDueTimers(): Promise<number> {
    let fired = 0;
    for (let spins = 0; spins < 10_000; spins++) {
      const published: (() => void)[] = [];
      let outcome: "none" | "fired" | "stale";
      try {
        outcome = await repo.transaction(async (tx) => {
          const t = await repo.claimDueTimer(tx, now());
          if (t === undefined) return "none" as const;
          const m = await load(t.kind, t.machineId, tx);
          const r = m === undefined ? undefined : step(t.kind, m.snapshot, t.event);
          if (m === undefined || r === undefined || !r.accepted) {
            // Obsolete (the machine moved on) or fired before: nothing to do but forget it.
            await repo.deleteTimer(tx, t.timerId);
            return "fired" as const;
          }
          await commit(tx, m, r, t.event, undefined, published);
          return "fired" as const;
        });
      } catch (err) {
        if (!(err instanceof Stale)) throw err;
        outcome = "stale";
      }
      if (outcome === "none") break;
      for (const p of published) p();
      if (outcome === "fired") fired++;
    }
    await drain();
    return fired;
  }

  return {
    load,
    apply,
    start,
    startMany,
    startCreated,
    catchUp,
    drain,
    fireDueTimers,
    /** Replays a machine from its input and log (tests, audits): equals its stored snapshot. */
    async replay(kind: MachineKind, id: string): Promise<unknown> {
      const m = await load(kind, id);
      if (m === undefined) return undefined;
      const events = await repo.events(id);
      const input = await repo.input(kind, id);
      let s: AnySnapshot = kind === "contract" ? startContract(input as ContractInput).snapshot : startWorkerShift(input as WorkerShiftInput).snapshot;
      for (const e of events) s = step(kind, s, e).snapshot;
      return s;
    },
  };
}
export type ContractsRuntime = ReturnType<typeof createContractsRuntime>;
