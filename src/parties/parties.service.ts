/**
 * Parties: organisations, their licences, and the real-name worker registry.
 * Roles are checked by the routes; ownership and who may change which field
 * are checked here, because only the service knows who owns a record.
 */
import type { Clock } from "../shared/clock";
import { decodeCursor, pageOf, type Page } from "../shared/cursor";
import { DomainError, invalidField, notFound } from "../shared/errors";
import type { NewId } from "../shared/ids";
import { canReadAll, type Principal } from "../shared/principal";
import { districtByCode, keyGroups, shanghaiDate, skillById } from "./catalogue";
import { ADULT_AGE, ageOn, hashResidentId, maskResidentId, MINIMUM_WORKING_AGE, validateChinaMobile, validateCreditCode, validateResidentId } from "./identity";
import type { LicenceRow, OrganisationChangeRow, OrganisationRow, PartiesRepository, PurgeCounts, WorkerRow } from "./parties.repository";

export type OrganisationKind = "enterprise" | "agency";
export type LicenceType = "hr_service" | "labour_dispatch";
export type LicenceStatus = "pending" | "valid" | "suspended" | "expired";

export interface NewOrganisation {
  kind: OrganisationKind;
  name: string;
  creditCode: string;
  districtCode: string;
  lendsStaff?: boolean;
}

export interface NewLicence {
  type: LicenceType;
  number: string;
  validUntil: string; // YYYY-MM-DD, last valid day
}

export interface SkillClaim {
  skillId: string;
  level: number;
}

export interface NewWorker {
  realName: string;
  residentId: string;
  phone: string;
  districtCode: string;
  skills?: SkillClaim[];
  keyGroups?: string[];
  /** Operators register independent workers (no supplier) or on behalf of a supplier. */
  supplierId?: string | null;
}

export interface OrganisationPatch {
  name?: string;
  districtCode?: string;
  lendsStaff?: boolean;
  /** Why the operator makes the change; required for the operator-only fields (name, lendsStaff). */
  reason?: string;
}

export interface WorkerPatch {
  /** Starts a phone change: it takes effect when the worker confirms the code sent to this phone. */
  phone?: string;
  districtCode?: string;
  skills?: SkillClaim[];
  keyGroups?: string[];
}

export interface LicenceView {
  id: string;
  organisationId: string;
  type: LicenceType;
  number: string;
  validUntil: string;
  status: LicenceStatus;
  statusReason: string | null;
  verifiedAt: string | null;
  createdAt: string;
}

export interface OrganisationView {
  id: string;
  kind: OrganisationKind;
  name: string;
  creditCode: string;
  districtCode: string;
  lendsStaff: boolean;
  colour: "red" | "blue" | "black";
  integrityPoints: number;
  licences: LicenceView[];
  createdAt: string;
}

export interface WorkerView {
  id: string;
  supplierId: string | null;
  realName: string;
  identityMasked: string;
  phone: string;
  /** The phone a pending change would move the worker to, until the worker confirms it; null when none. */
  pendingPhone: string | null;
  /** Aged 16 or 17 today: no night shifts, no hazardous skills. */
  juvenile: boolean;
  districtCode: string;
  skills: SkillClaim[];
  keyGroups: string[];
  createdAt: string;
}

export interface OrganisationChangeView {
  id: string;
  organisationId: string;
  field: "name" | "districtCode" | "lendsStaff";
  oldValue: string;
  newValue: string;
  reason: string | null;
  changedBy: string;
  changedByRole: string;
  changedAt: string;
}

export interface PageRequest {
  limit?: number;
  cursor?: string;
}

/** The phone-change steps, owned by the auth service (codes and sessions). */
export interface PhoneChanges {
  start(input: { workerId: string; phone: string; requestedBy: string }): Promise<{ expiresAt: Date }>;
  confirm(principal: Principal, code: string): Promise<{ worker: WorkerRow; sessionsEnded: number }>;
}

export interface PartiesDeps {
  repo: PartiesRepository;
  clock: Clock;
  newId: NewId;
  identityHashKey: string;
  phoneChanges: PhoneChanges;
  /** Seconds expired records are kept before purgeExpired deletes them. */
  retention: { otpSeconds: number; sessionSeconds: number; lockoutResetSeconds: number };
}

const DEFAULT_PAGE = 100;

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The status a licence has today: a valid licence past its last day reads as expired even before the sweeper runs. */
function effectiveStatus(l: LicenceRow, today: string): LicenceStatus {
  if ((l.status === "valid" || l.status === "pending") && isoDate(l.validUntil) < today) return "expired";
  return l.status;
}

export function createPartiesService(deps: PartiesDeps) {
  const { repo, clock, newId } = deps;
  const today = () => shanghaiDate(clock.now().getTime());

  function licenceView(l: LicenceRow): LicenceView {
    return {
      id: l.id,
      organisationId: l.organisationId,
      type: l.type,
      number: l.number,
      validUntil: isoDate(l.validUntil),
      status: effectiveStatus(l, today()),
      statusReason: l.statusReason,
      verifiedAt: l.verifiedAt?.toISOString() ?? null,
      createdAt: l.createdAt.toISOString(),
    };
  }

  function organisationView(o: OrganisationRow): OrganisationView {
    return {
      id: o.id,
      kind: o.kind,
      name: o.name,
      creditCode: o.creditCode,
      districtCode: o.districtCode,
      lendsStaff: o.lendsStaff,
      colour: o.colour,
      integrityPoints: o.integrityPoints,
      licences: o.licences.map(licenceView),
      createdAt: o.createdAt.toISOString(),
    };
  }

  function workerView(w: WorkerRow): WorkerView {
    return {
      id: w.id,
      supplierId: w.supplierId,
      realName: w.realName,
      identityMasked: w.identityMask,
      phone: w.phone,
      pendingPhone: w.challenges[0]?.phone ?? null,
      // Age is as of today (a 17-year-old becomes an adult without any write); unknown birth dates predate the rule.
      juvenile: w.birthDate !== null && ageOn(isoDate(w.birthDate), today()) < ADULT_AGE,
      districtCode: w.districtCode,
      skills: w.skills.map((s) => ({ skillId: s.skillId, level: s.level })),
      keyGroups: w.keyGroups,
      createdAt: w.createdAt.toISOString(),
    };
  }

  function changeView(c: OrganisationChangeRow): OrganisationChangeView {
    return {
      id: c.id,
      organisationId: c.organisationId,
      field: c.field,
      oldValue: c.oldValue,
      newValue: c.newValue,
      reason: c.reason,
      changedBy: c.changedBy,
      changedByRole: c.changedByRole,
      changedAt: c.changedAt.toISOString(),
    };
  }

  /** The id after which a page starts, from the client's cursor. */
  function afterId(page: PageRequest): { afterId?: string } {
    return page.cursor === undefined ? {} : { afterId: decodeCursor(page.cursor, ["id"]).id };
  }

  function trimmedName(raw: string, field: string, what: string): string {
    const name = raw.trim();
    if (name.length < 2) throw invalidField(field, `${what} must have at least two characters besides spaces`);
    return name;
  }

  function checkDistrict(code: string, field: string): void {
    if (!districtByCode(code)) throw invalidField(field, `${code} is not one of Chongqing's 38 district or county codes`);
  }

  function checkSkills(skills: readonly SkillClaim[], field: string): void {
    const seen = new Set<string>();
    skills.forEach((s, i) => {
      const skill = skillById(s.skillId);
      if (!skill) throw invalidField(`${field}/${i}/skillId`, `${s.skillId} is not a skill in the catalogue`);
      if (s.level > skill.maxLevel) {
        throw invalidField(`${field}/${i}/level`, `${s.skillId} has certificate levels up to ${skill.maxLevel}, got ${s.level}`);
      }
      if (seen.has(s.skillId)) throw invalidField(`${field}/${i}/skillId`, `${s.skillId} is listed twice`);
      seen.add(s.skillId);
    });
  }

  function checkKeyGroups(groups: readonly string[], field: string): void {
    groups.forEach((g, i) => {
      if (!keyGroups.some((k) => k.id === g)) {
        throw invalidField(`${field}/${i}`, `${g} is not a key group (${keyGroups.map((k) => k.id).join(", ")})`);
      }
    });
  }

  function phoneOf(raw: string, field: string): string {
    const r = validateChinaMobile(raw);
    if (!r.ok) throw invalidField(field, r.message, { reason: r.reason });
    return r.value;
  }

  async function ownedOrganisation(principal: Principal, id: string): Promise<OrganisationRow> {
    const org = await repo.findOrganisation(id);
    // Another organisation's record is reported as absent: its existence is not the caller's business.
    if (!org || (!canReadAll(principal) && principal.organisationId !== id)) throw notFound("organisation", id);
    return org;
  }

  async function ownedWorker(principal: Principal, id: string): Promise<WorkerRow> {
    const w = await repo.findWorker(id, clock.now());
    const mine =
      w !== null &&
      (canReadAll(principal) ||
        (principal.role === "worker" && principal.workerId === id) ||
        (principal.organisationId !== null && w.supplierId === principal.organisationId));
    if (!w || !mine) throw notFound("worker", id);
    return w;
  }

  return {
    organisationView,
    workerView,

    async createOrganisation(input: NewOrganisation): Promise<OrganisationView> {
      const code = validateCreditCode(input.creditCode);
      if (!code.ok) throw invalidField("/body/creditCode", code.message, { reason: code.reason });
      checkDistrict(input.districtCode, "/body/districtCode");
      if (input.lendsStaff && input.kind !== "enterprise") {
        throw invalidField("/body/lendsStaff", "only an enterprise lends its own staff (shared staffing); agencies supply crews");
      }
      const name = trimmedName(input.name, "/body/name", "the organisation's name");
      const now = clock.now();
      const org = await repo.insertOrganisation({
        id: newId("org"),
        kind: input.kind,
        name,
        creditCode: code.value,
        districtCode: input.districtCode,
        lendsStaff: input.lendsStaff ?? false,
        createdAt: now,
        updatedAt: now,
      });
      if (!org.ok) throw new DomainError("duplicate", "an organisation with this unified social credit code is already registered", { field: "/body/creditCode" });
      return organisationView(org.row);
    },

    async getOrganisation(principal: Principal, id: string): Promise<OrganisationView> {
      return organisationView(await ownedOrganisation(principal, id));
    },

    async listOrganisations(query: PageRequest & { kind?: OrganisationKind }): Promise<Page<OrganisationView>> {
      const limit = query.limit ?? DEFAULT_PAGE;
      const rows = await repo.listOrganisations({ limit, ...(query.kind ? { kind: query.kind } : {}), ...afterId(query) });
      return pageOf(rows, limit, organisationView, (o) => ({ id: o.id }));
    },

    /**
     * Changes an organisation. Its own users may move its district; its name
     * and whether it lends staff (which lets it register workers) are changed
     * by an operator only, who must say why. Every change is recorded.
     */
    async updateOrganisation(principal: Principal, id: string, patch: OrganisationPatch): Promise<OrganisationView> {
      const org = await ownedOrganisation(principal, id);
      if (principal.role === "regulator") throw new DomainError("forbidden", "the regulator reads; it does not change records");
      const operator = principal.role === "operator";
      if (!operator && patch.name !== undefined) {
        throw new DomainError("forbidden", "an organisation is renamed by an operator only (ask the operator, who records why)", { field: "/body/name" });
      }
      if (!operator && patch.lendsStaff !== undefined) {
        throw new DomainError("forbidden", "whether an organisation lends staff is set by an operator only (ask the operator, who records why)", { field: "/body/lendsStaff" });
      }
      const reason = patch.reason?.trim();
      if ((patch.name !== undefined || patch.lendsStaff !== undefined) && !reason) {
        throw invalidField("/body/reason", "the operator's reason is required to rename an organisation or change whether it lends staff");
      }
      if (patch.districtCode !== undefined) checkDistrict(patch.districtCode, "/body/districtCode");
      if (patch.lendsStaff && org.kind !== "enterprise") {
        throw invalidField("/body/lendsStaff", "only an enterprise lends its own staff (shared staffing)");
      }
      const name = patch.name !== undefined ? trimmedName(patch.name, "/body/name", "the organisation's name") : undefined;
      const now = clock.now();
      const changes: { id: string; field: OrganisationChangeView["field"]; oldValue: string; newValue: string; reason: string | null; changedBy: string; changedByRole: Principal["role"]; changedAt: Date }[] = [];
      const record = (field: OrganisationChangeView["field"], oldValue: string, newValue: string) => {
        if (oldValue !== newValue) changes.push({ id: newId("occ"), field, oldValue, newValue, reason: reason || null, changedBy: principal.callerId, changedByRole: principal.role, changedAt: now });
      };
      if (name !== undefined) record("name", org.name, name);
      if (patch.districtCode !== undefined) record("districtCode", org.districtCode, patch.districtCode);
      if (patch.lendsStaff !== undefined) record("lendsStaff", String(org.lendsStaff), String(patch.lendsStaff));
      if (changes.length === 0) return organisationView(org);
      const updated = await repo.updateOrganisation(
        id,
        {
          ...(name !== undefined ? { name } : {}),
          ...(patch.districtCode !== undefined ? { districtCode: patch.districtCode } : {}),
          ...(patch.lendsStaff !== undefined ? { lendsStaff: patch.lendsStaff } : {}),
          updatedAt: now,
        },
        changes,
      );
      return organisationView(updated);
    },

    /** The recorded changes of an organisation, oldest first (operator, regulator, or its own users). */
    async listOrganisationChanges(principal: Principal, id: string, page: PageRequest): Promise<Page<OrganisationChangeView>> {
      await ownedOrganisation(principal, id);
      const limit = page.limit ?? DEFAULT_PAGE;
      const rows = await repo.listOrganisationChanges(id, { limit, ...afterId(page) });
      return pageOf(rows, limit, changeView, (c) => ({ id: c.id }));
    },

    /** An agency submits its licence (pending until an operator verifies); an operator may record it as verified at once. */
    async addLicence(principal: Principal, organisationId: string, input: NewLicence & { verified?: boolean }): Promise<LicenceView> {
      const org = await ownedOrganisation(principal, organisationId);
      if (org.kind !== "agency") throw invalidField("/params/id", "licences belong to agencies; this organisation is an enterprise");
      if (principal.role !== "operator" && input.verified) {
        throw new DomainError("forbidden", "only an operator verifies a licence", { field: "/body/verified" });
      }
      if (input.validUntil < today()) throw invalidField("/body/validUntil", `the licence ran out on ${input.validUntil}`);
      const now = clock.now();
      const written = await repo.insertLicence({
        id: newId("lic"),
        organisationId,
        type: input.type,
        number: input.number.trim(),
        validUntil: new Date(`${input.validUntil}T00:00:00Z`),
        status: input.verified ? "valid" : "pending",
        verifiedAt: input.verified ? now : null,
        createdAt: now,
        updatedAt: now,
      });
      if (!written.ok) throw new DomainError("duplicate", "a licence with this number is already registered", { field: "/body/number" });
      return licenceView(written.row);
    },

    async setLicenceStatus(licenceId: string, action: "verify" | "suspend" | "reinstate", reason?: string): Promise<LicenceView> {
      const l = await repo.findLicence(licenceId);
      if (!l) throw notFound("licence", licenceId);
      const status = effectiveStatus(l, today());
      if (status === "expired") throw new DomainError("conflict", "the licence has expired; the agency must submit a renewed one");
      const allowed: Record<typeof action, LicenceStatus[]> = { verify: ["pending"], suspend: ["valid", "pending"], reinstate: ["suspended"] };
      if (!allowed[action].includes(status)) throw new DomainError("conflict", `a ${status} licence cannot be ${action === "verify" ? "verified" : action === "suspend" ? "suspended" : "reinstated"}`);
      const now = clock.now();
      const updated = await repo.updateLicence(licenceId, {
        status: action === "suspend" ? "suspended" : "valid",
        statusReason: reason ?? null,
        ...(action === "verify" ? { verifiedAt: now } : {}),
        updatedAt: now,
      });
      return licenceView(updated);
    },

    /** Persists expiry of licences past their last day; runs at start-up and on a timer. */
    expireLicences(): Promise<number> {
      return repo.expireLicences(new Date(`${today()}T00:00:00Z`), clock.now());
    },

    /** True when the agency holds a licence of the type that is valid today. */
    async hasValidLicence(organisationId: string, type?: LicenceType): Promise<boolean> {
      const org = await repo.findOrganisation(organisationId);
      if (!org) return false;
      const t = today();
      return org.licences.some((l) => (type === undefined || l.type === type) && effectiveStatus(l, t) === "valid");
    },

    async registerWorker(principal: Principal, input: NewWorker): Promise<WorkerView> {
      let supplierId: string | null;
      if (principal.role === "operator") {
        supplierId = input.supplierId ?? null;
      } else {
        if (input.supplierId !== undefined && input.supplierId !== principal.organisationId) {
          throw new DomainError("forbidden", "a supplier registers only its own workers", { field: "/body/supplierId" });
        }
        supplierId = principal.organisationId;
      }
      if (supplierId !== null) {
        const supplier = await repo.findOrganisation(supplierId);
        if (!supplier) throw invalidField("/body/supplierId", `organisation ${supplierId} does not exist`);
        if (supplier.kind === "enterprise" && !supplier.lendsStaff) {
          throw new DomainError("forbidden", "an enterprise registers workers only when it lends its own staff (shared staffing)");
        }
      }
      const id = validateResidentId(input.residentId, today());
      if (!id.ok) throw invalidField("/body/residentId", id.message, { reason: id.reason });
      if (ageOn(id.birthDate, today()) < MINIMUM_WORKING_AGE) {
        throw invalidField("/body/residentId", `the person is under ${MINIMUM_WORKING_AGE}, the legal minimum working age, and cannot be registered as a worker`, { reason: "under_age" });
      }
      const realName = input.realName.trim();
      if (realName.length < 2) throw invalidField("/body/realName", "the real name must have at least two characters");
      const phone = phoneOf(input.phone, "/body/phone");
      checkDistrict(input.districtCode, "/body/districtCode");
      const skills = input.skills ?? [];
      checkSkills(skills, "/body/skills");
      const groups = [...new Set(input.keyGroups ?? [])];
      checkKeyGroups(groups, "/body/keyGroups");
      const now = clock.now();
      const written = await repo.insertWorker(
        {
          id: newId("wrk"),
          supplierId,
          realName,
          // The raw number is never stored: a keyed hash finds duplicates, the mask is for display.
          identityHash: hashResidentId(id.value, deps.identityHashKey),
          identityMask: maskResidentId(id.value),
          phone,
          districtCode: input.districtCode,
          keyGroups: groups,
          // Kept for the age rules of matching (juvenile workers now; retirement age later).
          birthDate: new Date(`${id.birthDate}T00:00:00Z`),
          createdAt: now,
          updatedAt: now,
        },
        skills,
        now,
      );
      if (!written.ok && written.conflict === "identity") {
        throw new DomainError("duplicate", "this person is already registered as a worker on Shiftex", { field: "/body/residentId" });
      }
      if (!written.ok) throw new DomainError("duplicate", "this phone number already belongs to a worker", { field: "/body/phone" });
      return workerView(written.row);
    },

    async getWorker(principal: Principal, id: string): Promise<WorkerView> {
      return workerView(await ownedWorker(principal, id));
    },

    async listWorkers(principal: Principal, query: PageRequest & { supplierId?: string }): Promise<Page<WorkerView>> {
      let supplierId: string | null | undefined;
      if (canReadAll(principal)) supplierId = query.supplierId;
      else if (query.supplierId !== undefined && query.supplierId !== principal.organisationId) {
        throw new DomainError("forbidden", "a supplier lists only its own workers", { field: "/querystring/supplierId" });
      } else supplierId = principal.organisationId;
      const limit = query.limit ?? DEFAULT_PAGE;
      const rows = await repo.listWorkers({ limit, ...afterId(query), ...(supplierId !== undefined ? { supplierId } : {}) }, clock.now());
      return pageOf(rows, limit, workerView, (w) => ({ id: w.id }));
    },

    /**
     * Changes a worker's district, skills or key groups at once. A new phone
     * only becomes pending: a code goes to the new phone, and the phone
     * changes when the worker confirms it (which ends the worker's sessions),
     * so a supplier cannot move a worker's login to a phone it holds.
     */
    async updateWorker(principal: Principal, id: string, patch: WorkerPatch): Promise<WorkerView> {
      const worker = await ownedWorker(principal, id);
      if (principal.role === "regulator" || principal.role === "worker") {
        throw new DomainError("forbidden", "only the worker's supplier or an operator changes a worker's record");
      }
      if (patch.districtCode !== undefined) checkDistrict(patch.districtCode, "/body/districtCode");
      if (patch.skills) checkSkills(patch.skills, "/body/skills");
      if (patch.keyGroups) checkKeyGroups(patch.keyGroups, "/body/keyGroups");
      const phone = patch.phone !== undefined ? phoneOf(patch.phone, "/body/phone") : undefined;
      if (phone !== undefined && phone !== worker.phone) {
        const holder = await repo.findWorkerByPhone(phone);
        if (holder) throw new DomainError("duplicate", "this phone number already belongs to a worker", { field: "/body/phone" });
      }
      // The phone change goes first: when its code cannot be sent, nothing else has changed either.
      if (phone !== undefined && phone !== worker.phone) {
        await deps.phoneChanges.start({ workerId: id, phone, requestedBy: principal.callerId });
      }
      const now = clock.now();
      if (patch.districtCode !== undefined || patch.skills !== undefined || patch.keyGroups !== undefined) {
        return workerView(await repo.updateWorker(
          id,
          {
            ...(patch.districtCode !== undefined ? { districtCode: patch.districtCode } : {}),
            ...(patch.keyGroups !== undefined ? { keyGroups: [...new Set(patch.keyGroups)] } : {}),
            updatedAt: now,
          },
          patch.skills,
          now,
        ));
      }
      // Read again: the view shows the pending phone.
      return workerView((await repo.findWorker(id, now)) ?? worker);
    },

    /** The worker confirms a pending phone change with the code sent to the new phone; every session of the worker ends. */
    async confirmPhoneChange(principal: Principal, code: string): Promise<{ worker: WorkerView; sessionsEnded: number }> {
      const done = await deps.phoneChanges.confirm(principal, code);
      return { worker: workerView(done.worker), sessionsEnded: done.sessionsEnded };
    },

    /**
     * Deletes what retention no longer keeps: one-time-code challenges and
     * worker sessions some time after they expired, and phone lock records
     * once a lock has run out and no failure came for a while. Runs on a
     * schedule started by the process.
     */
    purgeExpired(): Promise<PurgeCounts> {
      const now = clock.now();
      const before = (seconds: number) => new Date(now.getTime() - seconds * 1000);
      return repo.purgeExpired({
        now,
        challengesBefore: before(deps.retention.otpSeconds),
        sessionsBefore: before(deps.retention.sessionSeconds),
        lockoutsBefore: before(deps.retention.lockoutResetSeconds),
      });
    },
  };
}
export type PartiesService = ReturnType<typeof createPartiesService>;
