/** Who is calling: resolved from an API key or a worker session. */
export const ROLES = ["enterprise", "agency", "worker", "operator", "regulator"] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  readonly role: Role;
  /** The organisation an enterprise or agency key belongs to. */
  readonly organisationId: string | null;
  /** The worker a worker session belongs to. */
  readonly workerId: string | null;
  /** Stable id of the credential (API key id or session id): idempotency keys are scoped by it. */
  readonly credentialId: string;
  /** Idempotency and rate limits are scoped to the caller: the organisation, worker or operator key. */
  readonly callerId: string;
}

/** Operator and regulator read everything (the regulator only reads). */
export function canReadAll(p: Principal): boolean {
  return p.role === "operator" || p.role === "regulator";
}
