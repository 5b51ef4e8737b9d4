/**
 * Port for messages to workers (one-time codes now; shift offers later), with
 * two adapters: a webhook that a deployment points at its SMS gateway, and the
 * embedded default that delivers nothing. No adapter writes a code or a full
 * phone number to the log: logs are read by more people than phones are.
 */
import { createHmac, randomUUID } from "node:crypto";

/** Why a code is sent: to log in, or to confirm a new phone number. */
export type CodePurpose = "login" | "phone_change";

export interface Notifier {
  sendOneTimeCode(phone: string, code: string, purpose?: CodePurpose): Promise<void>;
  /** A notice about the worker's shifts (offered, approved, …); adapters without it deliver none. */
  sendNotice?(phone: string, text: string): Promise<void>;
}

/** "+8613923000007" → "+86139****0007": enough to tell phones apart in a log, not enough to call one. */
export function maskPhone(phone: string): string {
  const m = /^(\+86)?(\d{3})\d{4}(\d{4})$/.exec(phone);
  if (!m) return "***";
  return `${m[1] ?? ""}${m[2]}****${m[3]}`;
}

/** The SMS text of a one-time code (Chinese first: the workers' language). */
export function oneTimeCodeText(code: string, purpose: CodePurpose, ttlSeconds: number): string {
  const minutes = Math.max(1, Math.round(ttlSeconds / 60));
  return purpose === "phone_change"
    ? `【Shiftex】验证码 ${code}：用于把您的 Shiftex 账号改用本手机号，${minutes} 分钟内有效。不是您本人操作请忽略。Code ${code} confirms this phone for your Shiftex account.`
    : `【Shiftex】登录验证码 ${code}，${minutes} 分钟内有效，请勿告诉他人。Your Shiftex login code is ${code}.`;
}

/** Embedded default: no SMS provider. Nothing is delivered (dev mode shows the code on the login page). */
export function createLogNotifier(log: (msg: string, fields: Record<string, unknown>) => void): Notifier {
  return {
    async sendOneTimeCode(phone, _code, purpose = "login") {
      log("one-time code not delivered: no NOTIFIER_URL is configured", { phone: maskPhone(phone), purpose });
    },
    async sendNotice(phone) {
      log("notice not delivered: no NOTIFIER_URL is configured (the worker's page shows it)", { phone: maskPhone(phone) });
    },
  };
}

/** A delivery that failed for good; the message names neither the phone nor the code. */
export class NotifierError extends Error {
  override name = "NotifierError";
}

export interface WebhookNotifierOptions {
  url: string;
  /** Key of the HMAC-SHA256 signature in the `x-shiftex-signature` header. */
  secret: string;
  timeoutMs: number;
  /** Further attempts after the first, for timeouts, network errors, 429 and 5xx answers. */
  retries: number;
  /** Validity of the codes, for the message text. */
  otpTtlSeconds: number;
  /** First back-off; doubled before each further retry. */
  backoffMs?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

/** The signature header value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * POSTs `{ phone, text }` as JSON to NOTIFIER_URL, signed with
 * NOTIFIER_SECRET (the timestamp inside the signature lets the receiver
 * refuse replays). Every attempt of one message carries the same
 * `x-shiftex-delivery` id, so the receiver can drop a duplicate when an
 * attempt timed out after it was delivered.
 */
export function createWebhookNotifier(options: WebhookNotifierOptions): Notifier {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const doFetch = options.fetch ?? fetch;
  const backoffMs = options.backoffMs ?? 250;

  async function attempt(body: string, delivery: string): Promise<"ok" | "retry" | "fail"> {
    const t = Math.floor(now().getTime() / 1000);
    try {
      const res = await doFetch(options.url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-shiftex-signature": webhookSignature(options.secret, t, body), "x-shiftex-delivery": delivery },
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return "ok";
      return res.status === 429 || res.status >= 500 ? "retry" : "fail";
    } catch {
      return "retry"; // timeout or network error
    }
  }

  async function deliver(phone: string, text: string): Promise<void> {
    const body = JSON.stringify({ phone, text });
    const delivery = randomUUID();
    for (let i = 0; ; i++) {
      const outcome = await attempt(body, delivery);
      if (outcome === "ok") return;
      if (outcome === "fail") throw new NotifierError(`the notifier webhook refused the message (delivery ${delivery})`);
      if (i >= options.retries) throw new NotifierError(`the notifier webhook did not take the message after ${i + 1} attempts (delivery ${delivery})`);
      await sleep(backoffMs * 2 ** i);
    }
  }

  return {
    sendNotice: deliver,
    async sendOneTimeCode(phone, code, purpose = "login") {
      const body = JSON.stringify({ phone, text: oneTimeCodeText(code, purpose, options.otpTtlSeconds) });
      const delivery = randomUUID();
      for (let i = 0; ; i++) {
        const outcome = await attempt(body, delivery);
        if (outcome === "ok") return;
        if (outcome === "fail") throw new NotifierError(`the notifier webhook refused the message (delivery ${delivery})`);
        if (i >= options.retries) throw new NotifierError(`the notifier webhook did not take the message after ${i + 1} attempts (delivery ${delivery})`);
        await sleep(backoffMs * 2 ** i);
      }
    },
  };
}
