/**
 * Credentials: API keys for organisation users and operators (stored as a
 * SHA-256 hash, shown once), and worker login by phone + one-time code that
 * yields a session token (stored as a keyed hash, carried in a cookie).
 */
import { createHash, createHmac, randomInt, timingSafeEqual } from "node:crypto";
import type { Clock } from "../shared/clock";
import { DomainError, invalidField } from "../shared/errors";
import { newSecret, type NewId } from "../shared/ids";
import type { Principal, Role } from "../shared/principal";
import { validateChinaMobile } from "./identity";
import type { Notifier } from "./notifier";
import type { PartiesRepository } from "./parties.repository";

const MAX_CODE_ATTEMPTS = 5;
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
  devMode: boolean;
}

export interface IssuedKey {
  id: string;
  apiKey: string;
  prefix: string;
  role: Role;
  organisationId: string | null;
  label: string;
}

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

export function createAuthService(deps: AuthDeps) {
  const { repo, clock } = deps;
  const keyCache = new Map<string, { principal: Principal; until: number }>();
  const keyed = (s: string) => createHmac("sha256", deps.sessionSecret).update(s).digest("hex");

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

    async apiKey(token: string): Promise<Principal | null> {
      const hash = sha256(token);
      const now = clock.now().getTime();
      const cached = keyCache.get(hash);
      if (cached && cached.until > now) return cached.principal;
      const row = await repo.findApiKeyByHash(hash);
      const principal: Principal | null =
        row && !row.revokedAt
          ? { role: row.role, organisationId: row.organisationId, workerId: null, credentialId: row.id, callerId: row.id }
          : null;
      // Only valid keys are cached: an unknown key may be issued a moment later.
      if (principal) {
        if (keyCache.size > 10_000) keyCache.clear();
        keyCache.set(hash, { principal, until: now + KEY_CACHE_MS });
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
     * the same either way, so the endpoint does not reveal who is registered;
     * in dev mode the code is returned for the login page to show.
     */
    async requestCode(rawPhone: string): Promise<{ expiresAt: string; devCode?: string }> {
      const phone = validateChinaMobile(rawPhone);
      if (!phone.ok) throw invalidField("/body/phone", phone.message, { reason: phone.reason });
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + deps.otpTtlSeconds * 1000);
      const worker = await repo.findWorkerByPhone(phone.value);
      if (!worker) return { expiresAt: expiresAt.toISOString() };
      const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
      const id = deps.newId("otp");
      await repo.insertOtpChallenge({ id, phone: phone.value, codeHash: keyed(`${id}:${code}`), expiresAt, createdAt: now });
      await deps.notifier.sendOneTimeCode(phone.value, code);
      return { expiresAt: expiresAt.toISOString(), ...(deps.devMode ? { devCode: code } : {}) };
    },

    /** Exchanges phone + code for a session token. */
    async verifyCode(rawPhone: string, code: string): Promise<{ token: string; workerId: string; expiresAt: Date }> {
      const phone = validateChinaMobile(rawPhone);
      if (!phone.ok) throw invalidField("/body/phone", phone.message, { reason: phone.reason });
      const now = clock.now();
      const challenge = await repo.latestOpenChallenge(phone.value, now);
      const wrong = () => new DomainError("unauthenticated", "the code is wrong or has expired; ask for a new one", { field: "/body/code" });
      if (!challenge || challenge.attempts >= MAX_CODE_ATTEMPTS) throw wrong();
      const expected = Buffer.from(challenge.codeHash, "hex");
      const given = Buffer.from(keyed(`${challenge.id}:${code}`), "hex");
      if (!timingSafeEqual(expected, given)) {
        await repo.countAttempt(challenge.id);
        throw wrong();
      }
      if (!(await repo.consumeChallenge(challenge.id, now))) throw wrong();
      const worker = await repo.findWorkerByPhone(phone.value);
      if (!worker) throw wrong();
      const token = newSecret("ses", 32);
      const expiresAt = new Date(now.getTime() + deps.sessionTtlSeconds * 1000);
      await repo.insertSession({ id: deps.newId("ses"), tokenHash: keyed(token), workerId: worker.id, expiresAt, createdAt: now });
      return { token, workerId: worker.id, expiresAt };
    },

    async logout(token: string): Promise<void> {
      await repo.deleteSessionByHash(keyed(token));
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;
