/**
 * Credentials: API keys for organisation users and operators (stored as a
 * SHA-256 hash, shown once), worker login by phone + one-time code that
 * yields a session token (stored as a keyed hash, carried in a cookie), and
 * phone changes confirmed by a code sent to the new phone.
 *
 * Wrong codes are bounded twice, both in the database so every instance sees
 * the same state: each code may be checked at most `otpMaxAttempts` times
 * (counted atomically before the check), and a phone is locked for a growing
 * time after `otpMaxAttempts` failed checks.
 */
import { createHmac, randomInt, timingSafeEqual } from "node:crypto";
import type { Clock } from "../shared/clock";
import { DomainError, invalidField } from "../shared/errors";
import { newSecret, type NewId } from "../shared/ids";
import { sha256Hex } from "../shared/sha256";
import type { Principal, Role } from "../shared/principal";
import { validateChinaMobile } from "./identity";
import { maskPhone, type CodePurpose, type Notifier } from "./notifier";
import type { PartiesRepository, WorkerRow } from "./parties.repository";

// A resolved key is cached briefly: the hot path should not query the database on every request.
const KEY_CACHE_MS = 30_000;

export interface AuthDeps {
  repo: PartiesRepository;
  clock: Clock;
  newId: NewId;
  notifier: Notifier;
  sessionSecret: string;
  sessionTtlSeconds: number;
  otpTtlSeconds: number;
  /** Checks per code, and failed checks per phone before it is locked. */
  otpMaxAttempts: number;
  lockout: { baseSeconds: number; maxSeconds: number };
  devMode: boolean;
  /** Told when a code could not be delivered (a login code's request has already been answered); the phone comes masked. */
  onDeliveryError?: (err: unknown, about: { phone: string; purpose: CodePurpose }) => void;
}

export interface IssuedKey {
  id: string;
  apiKey: string;
  prefix: string;
  role: Role;
  organisationId: string | null;
  label: string;
}

const sha256 = sha256Hex;

/** A 429 whose Retry-After says when the phone may try again. */
function phoneLocked(until: Date, now: Date): DomainError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  const err = new DomainError("rate_limited", `too many wrong codes for this phone; try again in ${seconds} seconds`, {
    field: "/body/phone",
    retryAfterSeconds: seconds,
  });
  return Object.assign(err, { retryAfter: seconds });
}

function phoneOf(raw: string, field: string): string {
  const phone = validateChinaMobile(raw);
  if (!phone.ok) throw invalidField(field, phone.message, { reason: phone.reason });
  return phone.value;
}

export function createAuthService(deps: AuthDeps) {
  const { repo, clock } = deps;
  const keyCache = new Map<string, { principal: Principal; until: number }>();
  const keyed = (s: string) => createHmac("sha256", deps.sessionSecret).update(s).digest("hex");
  const inflight = new Set<Promise<void>>();
  const lockout = { threshold: deps.otpMaxAttempts, baseSeconds: deps.lockout.baseSeconds, maxSeconds: deps.lockout.maxSeconds };

  const newCode = () => String(randomInt(0, 1_000_000)).padStart(6, "0");
  const codeMatches = (challenge: { id: string; codeHash: string }, code: string) =>
    timingSafeEqual(Buffer.from(challenge.codeHash, "hex"), Buffer.from(keyed(`${challenge.id}:${code}`), "hex"));

  function cachedPrincipal(hash: string): Principal | undefined {
    const cached = keyCache.get(hash);
    return cached && cached.until > clock.now().getTime() ? cached.principal : undefined;
  }

  return {
    /** Creates an API key; the plaintext is returned once and never stored. */
    issueApiKey(input: { role: Role; organisationId: string | null; label: string }): Promise<IssuedKey> {
      return this.issueApiKeyWithSecret(input, newSecret("sx"));
    },

    /** Stores a key whose plaintext the caller chose (the demo seed's derived keys). */
    async issueApiKeyWithSecret(input: { role: Role; organisationId: string | null; label: string }, apiKey: string): Promise<IssuedKey> {
      if ((input.role === "enterprise" || input.role === "agency") !== (input.organisationId !== null)) {
        throw invalidField("/body/role", "enterprise and agency keys belong to an organisation; operator and regulator keys do not");
      }
      if (input.role === "worker") throw invalidField("/body/role", "workers log in with their phone, not an API key");
      const row = await repo.insertApiKey({
        id: deps.newId("key"), keyHash: sha256(apiKey), prefix: apiKey.slice(0, 8), role: input.role, organisationId: input.organisationId, label: input.label, createdAt: clock.now(),
      });
      return { id: row.id, apiKey, prefix: row.prefix, role: row.role, organisationId: row.organisationId, label: row.label };
    },

    /** The principal of a key resolved recently, without touching the database; undefined when not cached. */
    cachedApiKey(token: string): Principal | undefined {
      return cachedPrincipal(sha256(token));
    },

    async apiKey(token: string): Promise<Principal | null> {
      const hash = sha256(token);
      const cached = cachedPrincipal(hash);
      if (cached) return cached;
      const row = await repo.findApiKeyByHash(hash);
      const principal: Principal | null =
        row && !row.revokedAt
          ? { role: row.role, organisationId: row.organisationId, workerId: null, credentialId: row.id, callerId: row.id }
          : null;
      // Only valid keys are cached: an unknown key may be issued a moment later.
      if (principal) {
        if (keyCache.size > 10_000) keyCache.clear();
        keyCache.set(hash, { principal, until: clock.now().getTime() + KEY_CACHE_MS });
      }
      return principal;
    },

    async session(token: string): Promise<Principal | null> {
      const s = await repo.findSessionByHash(keyed(token));
      if (!s || s.expiresAt <= clock.now()) return null;
      return { role: "worker", organisationId: null, workerId: s.workerId, credentialId: s.id, callerId: s.workerId };
    },

    /**
     * Sends a one-time code when the phone belongs to a worker. The answer is
     * the same either way, and the code is delivered after the answer, so
     * neither the body nor the timing reveals who is registered; in dev mode
     * the code is returned for the login page to show. A locked phone gets
     * no new code (a new code would bring fresh attempts).
     */
    async requestCode(rawPhone: string): Promise<{ expiresAt: string; devCode?: string }> {
      const phone = phoneOf(rawPhone, "/body/phone");
      const now = clock.now();
      const locked = await repo.lockedUntil(phone, now);
      if (locked) throw phoneLocked(locked, now);
      const expiresAt = new Date(now.getTime() + deps.otpTtlSeconds * 1000);
      const worker = await repo.findWorkerByPhone(phone);
      if (!worker) return { expiresAt: expiresAt.toISOString() };
      const code = newCode();
      const id = deps.newId("otp");
      await repo.insertOtpChallenge({ id, phone, purpose: "login", codeHash: keyed(`${id}:${code}`), expiresAt, createdAt: now });
      const sending = deps.notifier
        .sendOneTimeCode(phone, code, "login")
        .catch((err: unknown) => deps.onDeliveryError?.(err, { phone: maskPhone(phone), purpose: "login" }))
        .finally(() => inflight.delete(sending));
      inflight.add(sending);
      return { expiresAt: expiresAt.toISOString(), ...(deps.devMode ? { devCode: code } : {}) };
    },

    /** Exchanges phone + code for a session token. */
    async verifyCode(rawPhone: string, code: string): Promise<{ token: string; workerId: string; expiresAt: Date }> {
      const phone = phoneOf(rawPhone, "/body/phone");
      const now = clock.now();
      const wrong = () => new DomainError("unauthenticated", "the code is wrong or has expired; ask for a new one", { field: "/body/code" });
      const locked = await repo.lockedUntil(phone, now);
      if (locked) throw phoneLocked(locked, now);
      // The attempt is counted before the code is looked at; past the cap nothing is checked.
      const challenge = await repo.claimLoginAttempt(phone, now, deps.otpMaxAttempts);
      if (challenge && codeMatches(challenge, code)) {
        if (!(await repo.consumeChallenge(challenge.id, now))) throw wrong();
        const worker = await repo.findWorkerByPhone(phone);
        if (!worker) throw wrong();
        const token = newSecret("ses", 32);
        const expiresAt = new Date(now.getTime() + deps.sessionTtlSeconds * 1000);
        const opened = await repo.insertSessionForPhone({ id: deps.newId("ses"), tokenHash: keyed(token), workerId: worker.id, phone, expiresAt, createdAt: now });
        if (!opened) throw wrong(); // the phone moved to a new number meanwhile
        await repo.clearLoginFailures(phone);
        return { token, workerId: worker.id, expiresAt };
      }
      // Failures count for unregistered phones too, so a lock reveals nothing about who is registered.
      const state = await repo.recordLoginFailure(phone, now, lockout);
      if (state.lockedUntil && state.lockedUntil > now) throw phoneLocked(state.lockedUntil, now);
      throw wrong();
    },

    async logout(token: string): Promise<void> {
      await repo.deleteSessionByHash(keyed(token));
    },

    /**
     * Starts a phone change: records it as pending and sends a code to the NEW
     * phone. The worker's phone stays as it is until the worker confirms.
     */
    async startPhoneChange(input: { workerId: string; phone: string; requestedBy: string }): Promise<{ expiresAt: Date }> {
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + deps.otpTtlSeconds * 1000);
      const code = newCode();
      const id = deps.newId("otp");
      await repo.insertPhoneChange({
        id, phone: input.phone, workerId: input.workerId, requestedBy: input.requestedBy, codeHash: keyed(`${id}:${code}`), expiresAt, createdAt: now,
      });
      try {
        await deps.notifier.sendOneTimeCode(input.phone, code, "phone_change");
      } catch (err) {
        deps.onDeliveryError?.(err, { phone: maskPhone(input.phone), purpose: "phone_change" });
        await repo.deleteChallenge(id);
        throw new DomainError("not_ready", "the confirmation code could not be sent to the new phone; try again later");
      }
      return { expiresAt };
    },

    /**
     * The worker confirms the pending phone change with the code sent to the
     * new phone: the phone changes and every session of the worker ends.
     */
    async confirmPhoneChange(principal: Principal, code: string): Promise<{ worker: WorkerRow; sessionsEnded: number }> {
      if (principal.role !== "worker" || principal.workerId === null) {
        throw new DomainError("forbidden", "only the worker confirms a change of their phone");
      }
      const now = clock.now();
      const challenge = await repo.claimPhoneChangeAttempt(principal.workerId, now, deps.otpMaxAttempts);
      if (!challenge) {
        throw new DomainError("conflict", "there is no pending phone change to confirm (none was requested, it expired, or it had too many wrong codes)");
      }
      if (!codeMatches(challenge, code)) {
        throw new DomainError("unauthenticated", "the code is wrong; use the code sent to the new phone", { field: "/body/code" });
      }
      const done = await repo.confirmPhoneChange({ challengeId: challenge.id, workerId: principal.workerId, phone: challenge.phone, now });
      if (!done.ok && done.conflict === "phone") {
        throw new DomainError("duplicate", "the new phone number now belongs to another worker", { field: "/body/code" });
      }
      if (!done.ok) throw new DomainError("conflict", "this phone change was already confirmed");
      return { worker: done.row, sessionsEnded: done.sessionsEnded };
    },

    /** Waits for login codes still being delivered (on shutdown). */
    async drain(): Promise<void> {
      await Promise.allSettled([...inflight]);
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;
