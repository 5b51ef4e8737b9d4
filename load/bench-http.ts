/**
 * bench:http — order entry over HTTP, durable in PostgreSQL, against a bare
 * Fastify route on the same machine, with the same load tool, in the same run.
 *
 * 1. bare: a process with one Fastify POST route echoing a 300-byte JSON body
 *    (load/bench-http.bare.ts);
 * 2. orders: Shiftex itself (src/main.ts) on a scratch PostgreSQL database,
 *    POST /v1/orders through the whole path: API key, validation, the
 *    sequencer's risk check and hold, matching, the durable commit of the
 *    batch holding the order, its fills, contracts and escrow transfers.
 *    Half demand orders from three enterprises, half crossing offers from
 *    three agencies, over four markets.
 *
 * 3. read: the same server's GET /v1/markets/:market/book with an API key:
 *    Shiftex's own request path (auth, access, validation, access log,
 *    serialisation) around an answer from memory, with no sequencing and no
 *    database; what is left between it and the orders is what an order costs.
 *
 * All with autocannon at CONNECTIONS (64) connections, alternating, RUNS
 * times (after a warm-up each); medians are reported. Afterwards every order
 * acknowledged with 201 is looked up: it must be in PostgreSQL exactly once.
 *
 * On a machine others share, rates move with their load; the CPU time each
 * side spent per request moves much less. So each run also reports the CPU
 * (user + system, from /proc) of the bare process per request, and of the
 * server and of its PostgreSQL backends per order (`cpu` in the JSON line).
 *
 * Env: BENCH_DATABASE_URL | DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) names the server;
 * BENCH_SECONDS (default 10) per run, BENCH_RUNS (default 3), BENCH_CONNECTIONS (default 64),
 * BENCH_CLIENT_ORDER_IDS=1 sends a client order id with every order (each then needs a look-up in PostgreSQL),
 * BENCH_PROFILE_DIR writes a CPU profile of the server.
 * Progress goes to stderr; the last line on stdout is one JSON object.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import pg from "pg";
import { shanghaiDate } from "../src/parties/catalogue";
import { createScratchPostgres } from "../test/helpers/database";

// The bench is a process entry of its own, like migrate.cli.ts: it reads its settings here.
const env = process.env;
const adminUrl = env["BENCH_DATABASE_URL"] ?? env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const SECONDS = Number(env["BENCH_SECONDS"] ?? 10);
const RUNS = Number(env["BENCH_RUNS"] ?? 3);
const CONNECTIONS = Number(env["BENCH_CONNECTIONS"] ?? 64);
const CLIENT_ORDER_IDS = /^(1|true|yes)$/i.test(env["BENCH_CLIENT_ORDER_IDS"] ?? "");
const WARMUP_SECONDS = 3;

const say = (msg: string) => process.stderr.write(`${msg}\n`);

interface Child {
  child: ChildProcess;
  output: () => string;
}

function spawnUntil(args: string[], childEnv: NodeJS.ProcessEnv, ready: RegExp): Promise<Child & { match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  // The last ~100 kB of output, joined only when read: the server logs a line per request, and copying the
  // whole tail on every chunk cost this process (the load generator's) CPU on the machine the server shares.
  const chunks: string[] = [];
  let kept = 0;
  const keep = (chunk: Buffer) => {
    chunks.push(chunk.toString());
    kept += chunk.length;
    while (kept - chunks[0]!.length >= 100_000) kept -= chunks.shift()!.length;
  };
  const output = () => chunks.join("").slice(-100_000);
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  return new Promise((resolve, reject) => {
    const onData = () => {
      const m = ready.exec(output());
      if (m === null) return;
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
      resolve({ child, output, match: m });
    };
    const onExit = (code: number | null) => reject(new Error(`${args.join(" ")} exited with ${code}:\n${output()}`));
    child.stdout!.on("data", onData);
    child.once("exit", onExit);
  });
}

function stop(c: Child, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  return new Promise((resolve) => {
    if (c.child.exitCode !== null || c.child.signalCode !== null) return resolve();
    c.child.once("exit", () => resolve());
    c.child.kill(signal);
  });
}

interface Run {
  requestsPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  total: number;
  /** CPU µs per request of the process serving it, and of its PostgreSQL backends (orders only). */
  cpuUs?: number;
  pgCpuUs?: number;
}

function cannon(opts: autocannon.Options): Promise<Run> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, r) => {
      if (err) return reject(err);
      resolve({
        requestsPerSec: Math.round(r.requests.total / r.duration),
        p50: r.latency.p50,
        p99: r.latency.p99,
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        total: r.requests.total,
      });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** CPU time (user + system) a process has used, in µs, from /proc (Linux); undefined when it cannot be read. */
function cpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[11], fields[12]: utime and stime in clock ticks (100 per second on Linux)
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/** CPU µs used by a set of processes since `before` (processes seen only now count from their start). */
function cpuSince(pids: readonly number[], before: Map<number, number>): number {
  let sum = 0;
  for (const pid of pids) sum += Math.max(0, (cpuMicros(pid) ?? 0) - (before.get(pid) ?? 0));
  return sum;
}

function cpuNow(pids: readonly number[]): Map<number, number> {
  return new Map(pids.map((p) => [p, cpuMicros(p) ?? 0]));
}

async function main(): Promise<void> {
  const scratch = await createScratchPostgres(adminUrl);
  say(`bench:http: scratch database ${new URL(scratch.url).pathname.slice(1)}; ${CONNECTIONS} connections, ${SECONDS} s per run, ${RUNS} runs${CLIENT_ORDER_IDS ? ", client order ids" : ""}`);
  const db = new pg.Pool({ connectionString: scratch.url, max: 2 });
  let server: Child | undefined;
  let bare: Child | undefined;
  try {
    const serverEnv: NodeJS.ProcessEnv = {
      ...env,
      DATABASE_URL: scratch.url,
      HOST: "127.0.0.1",
      PORT: "0",
      NODE_ENV: "development",
      DEV_MODE: "true",
      SEED_DEMO: "true",
      // LOG_LEVEL as in production (its default, info: one access line per request)
      RATE_LIMIT_MAX: "10000000",
    };
    delete serverEnv["REDIS_URL"];
    delete serverEnv["DATABASE_OWNER_URL"];
    // BENCH_PROFILE_DIR: write a CPU profile of the server there (on its graceful stop)
    const profile = env["BENCH_PROFILE_DIR"] !== undefined ? ["--cpu-prof", `--cpu-prof-dir=${env["BENCH_PROFILE_DIR"]}`] : [];
    const started = await spawnUntil([...profile, "--import", "tsx", "src/main.ts"], serverEnv, /API docs\s+(http:\/\/\S+)\/docs[\s\S]*workers: 40/);
    server = started;
    const base = started.match[1]!;
    const keys = new Map<string, string>();
    for (const k of started.output().matchAll(/^ {2}(demo [^\n]*?)\s+Authorization: Bearer (\S+)$/gm)) keys.set(k[1]!.trim(), k[2]!);
    const operator = keys.get("demo operator")!;
    const enterprises = ["demo enterprise 0001", "demo enterprise 0002", "demo enterprise 0003"].map((l) => keys.get(l)!);
    const agencies = ["demo agency 0004", "demo agency 0005", "demo agency 0006"].map((l) => keys.get(l)!);
    const post = async (path: string, key: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      const json = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    for (const [i, key] of enterprises.entries()) {
      const t = await post("/v1/top-ups", key, { amountFen: 9_000_000_000 });
      await post(`/v1/top-ups/${t["reference"] as string}/confirm`, operator, { amountFen: 9_000_000_000, bankTransactionId: `BENCH-${i}` });
    }

    const bareStarted = await spawnUntil(["--import", "tsx", "load/bench-http.bare.ts"], { ...env }, /bare echo on (http:\/\/\S+)/);
    bare = bareStarted;
    const bareUrl = `${bareStarted.match[1]!}/echo`;
    const echoBody = JSON.stringify({ side: "demand", market: "welder.500107.2026-12-02.D1", quantity: 3, rateFen: 3000, clientOrderId: "x".repeat(32), note: "y".repeat(150) });
    if (Buffer.byteLength(echoBody) < 290 || Buffer.byteLength(echoBody) > 310) throw new Error(`the echo body is ${Buffer.byteLength(echoBody)} bytes`);

    const date = shanghaiDate(Date.now() + 2 * 86_400_000);
    const markets = [`welder.500107.${date}.D1`, `welder.500108.${date}.D1`, `cleaner.500103.${date}.D1`, `cleaner.500105.${date}.D1`];
    const acknowledged: string[] = [];
    let serial = 0;
    const orderRequest = (): autocannon.Request => ({
      method: "POST",
      path: "/v1/orders",
      setupRequest: (req) => {
        const n = ++serial;
        const demand = n % 2 === 0;
        const key = demand ? enterprises[(n >> 1) % 3]! : agencies[(n >> 1) % 3]!;
        const market = markets[(n >> 3) % markets.length]!;
        const body: Record<string, unknown> = { side: demand ? "demand" : "supply", market, quantity: 1 + (n % 3), rateFen: demand ? 3000 : 2900 };
        if (CLIENT_ORDER_IDS) body["clientOrderId"] = `b-${n}`;
        return { ...req, headers: { ...req.headers, authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) };
      },
      onResponse: (status, body) => {
        if (status === 201) acknowledged.push((JSON.parse(body) as { id: string }).id);
      },
    });

    const bookUrl = `${base}/v1/markets/${encodeURIComponent(markets[0]!)}/book`;
    const readRequest = { url: bookUrl, connections: CONNECTIONS, headers: { authorization: `Bearer ${enterprises[0]!}` } };

    const bareRuns: Run[] = [];
    const orderRuns: Run[] = [];
    const readRuns: Run[] = [];
    say("warm-up");
    await cannon({ url: bareUrl, connections: CONNECTIONS, duration: WARMUP_SECONDS, method: "POST", headers: { "content-type": "application/json" }, body: echoBody });
    await cannon({ url: base, connections: CONNECTIONS, duration: WARMUP_SECONDS, requests: [orderRequest()] });
    await cannon({ ...readRequest, duration: WARMUP_SECONDS });
    const backends = async (): Promise<number[]> =>
      (await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)).rows.map((r) => r.pid);
    const perRequest = (us: number, r: Run) => (r.total > 0 ? Math.round(us / r.total) : 0);
    for (let run = 0; run < RUNS; run++) {
      const bareCpu = cpuMicros(bare.child.pid);
      const b = await cannon({ url: bareUrl, connections: CONNECTIONS, duration: SECONDS, method: "POST", headers: { "content-type": "application/json" }, body: echoBody });
      if (bareCpu !== undefined) b.cpuUs = perRequest((cpuMicros(bare.child.pid) ?? bareCpu) - bareCpu, b);
      say(`  bare   run ${run + 1}/${RUNS}: ${b.requestsPerSec} req/s, p50 ${b.p50} ms, p99 ${b.p99} ms, non2xx ${b.non2xx}, errors ${b.errors}; cpu ${b.cpuUs ?? "?"} µs/req`);
      bareRuns.push(b);
      const serverCpu = cpuMicros(server.child.pid);
      const pgBefore = cpuNow(await backends());
      const o = await cannon({ url: base, connections: CONNECTIONS, duration: SECONDS, requests: [orderRequest()] });
      if (serverCpu !== undefined) {
        o.cpuUs = perRequest((cpuMicros(server.child.pid) ?? serverCpu) - serverCpu, o);
        o.pgCpuUs = perRequest(cpuSince(await backends(), pgBefore), o);
      }
      say(`  orders run ${run + 1}/${RUNS}: ${o.requestsPerSec} orders/s, p50 ${o.p50} ms, p99 ${o.p99} ms, non2xx ${o.non2xx}, errors ${o.errors}, timeouts ${o.timeouts}; cpu ${o.cpuUs ?? "?"} µs/order in the server, ${o.pgCpuUs ?? "?"} in PostgreSQL`);
      orderRuns.push(o);
      const readCpu = cpuMicros(server.child.pid);
      const r = await cannon({ ...readRequest, duration: SECONDS });
      if (readCpu !== undefined) r.cpuUs = perRequest((cpuMicros(server.child.pid) ?? readCpu) - readCpu, r);
      say(`  read   run ${run + 1}/${RUNS}: ${r.requestsPerSec} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non2xx ${r.non2xx}, errors ${r.errors}; cpu ${r.cpuUs ?? "?"} µs/req in the server`);
      readRuns.push(r);
    }
    await stop(bare);
    bare = undefined;

    // every acknowledged order is stored exactly once
    const unique = new Set(acknowledged);
    const { rows } = await db.query<{ n: string; distinct_ids: string }>(`SELECT count(*)::text AS n, count(DISTINCT id)::text AS distinct_ids FROM orders WHERE id = ANY($1::text[])`, [[...unique]]);
    const stored = Number(rows[0]!.n);
    const { rows: all } = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM orders`);
    const { rows: fills } = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM contracts`);
    const exactlyOnce = unique.size === acknowledged.length && stored === unique.size;
    say(`  ${acknowledged.length} orders acknowledged, ${stored} of them stored (${all[0]!.n} rows in all), ${fills[0]!.n} fills; exactly once: ${exactlyOnce}`);

    const ordersPerSec = median(orderRuns.map((r) => r.requestsPerSec));
    const bareRequestsPerSec = median(bareRuns.map((r) => r.requestsPerSec));
    const readRequestsPerSec = median(readRuns.map((r) => r.requestsPerSec));
    const result = {
      bench: "http",
      connections: CONNECTIONS,
      secondsPerRun: SECONDS,
      runs: RUNS,
      clientOrderIds: CLIENT_ORDER_IDS,
      ordersPerSec,
      p50Ms: median(orderRuns.map((r) => r.p50)),
      p99Ms: median(orderRuns.map((r) => r.p99)),
      non2xx: orderRuns.reduce((s, r) => s + r.non2xx + r.errors + r.timeouts, 0),
      fills: Number(fills[0]!.n),
      acknowledged: acknowledged.length,
      storedExactlyOnce: exactlyOnce,
      bareRequestsPerSec,
      bareP99Ms: median(bareRuns.map((r) => r.p99)),
      ratio: Math.round((ordersPerSec / bareRequestsPerSec) * 100) / 100,
      // Shiftex's own path around an answer from memory (no sequencer, no database), against the same bare route
      readRequestsPerSec,
      readNon2xx: readRuns.reduce((s, r) => s + r.non2xx + r.errors + r.timeouts, 0),
      readRatio: Math.round((readRequestsPerSec / bareRequestsPerSec) * 100) / 100,
      runsDetail: { orders: orderRuns.map((r) => r.requestsPerSec), bare: bareRuns.map((r) => r.requestsPerSec), read: readRuns.map((r) => r.requestsPerSec) },
      // CPU µs per request (medians): the bare process; the server and its PostgreSQL backends per order
      cpu: {
        bareUsPerRequest: median(bareRuns.map((r) => r.cpuUs ?? 0)),
        serverUsPerOrder: median(orderRuns.map((r) => r.cpuUs ?? 0)),
        postgresUsPerOrder: median(orderRuns.map((r) => r.pgCpuUs ?? 0)),
        serverUsPerRead: median(readRuns.map((r) => r.cpuUs ?? 0)),
      },
      target: { ratio: 0.5, p99Ms: 25 },
    };
    const met = result.ratio >= 0.5 && result.p99Ms <= 25 && result.non2xx === 0 && exactlyOnce;
    console.log(JSON.stringify({ ...result, met }));
  } finally {
    if (bare) await stop(bare);
    if (server) await stop(server);
    if (server && env["BENCH_DEBUG"]) say(server.output().slice(-3000));
    await db.end();
    await scratch.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
