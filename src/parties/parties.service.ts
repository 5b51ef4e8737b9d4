/**
 * Parties: organisations, their licences, and the real-name worker registry.
 * Roles are checked by the routes; ownership is checked here, because only
 * the service knows who owns a record.
 */
import type { Clock } from "../shared/clock";
import { DomainError, invalidField, notFound } from "../shared/errors";
import type { NewId } from "../shared/ids";
import { canReadAll, type Principal } from "../shared/principal";
import { districtByCode, keyGroups, shanghaiDate, skillById } from "./catalogue";
import { hashResidentId, maskResidentId, validateChinaMobile, validateCreditCode, validateResidentId } from "./identity";
import type { LicenceRow, OrganisationRow, PartiesRepository, WorkerRow } from "./parties.repository";

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

export interface WorkerPatch {
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
  districtCode: string;
  skills: SkillClaim[];
  keyGroups: string[];
  createdAt: string;
}

export interface PartiesDeps {
  repo: PartiesRepository;
  clock: Clock;
  newId: NewId;
  identityHashKey: string;
}

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
      districtCode: w.districtCode,
      skills: w.skills.map((s) => ({ skillId: s.skillId, level: s.level })),
      keyGroups: w.keyGroups,
      createdAt: w.createdAt.toISOString(),
    };
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
    const w = await repo.findWorker(id);
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
      const now = clock.now();
      const org = await repo.insertOrganisation({
        id: newId("org"),
        kind: input.kind,
        name: input.name.trim(),
        creditCode: code.value,
        districtCode: input.districtCode,
        lendsStaff: input.lendsStaff ?? false,
        createdAt: now,
        updatedAt: now,
      });
      return organisationView(org);
    },

    async getOrganisation(principal: Principal, id: string): Promise<OrganisationView> {
      return organisationView(await ownedOrganisation(principal, id));
    },

    async listOrganisations(query: { kind?: OrganisationKind; after?: string; limit?: number }): Promise<OrganisationView[]> {
      const rows = await repo.listOrganisations({ limit: query.limit ?? 100, ...(query.kind ? { kind: query.kind } : {}), ...(query.after ? { after: query.after } : {}) });
      return rows.map(organisationView);
    },

    async updateOrganisation(principal: Principal, id: string, patch: { name?: string; districtCode?: string; lendsStaff?: boolean }): Promise<OrganisationView> {
      const org = await ownedOrganisation(principal, id);
      if (principal.role === "regulator") throw new DomainError("forbidden", "the regulator reads; it does not change records");
      if (patch.districtCode !== undefined) checkDistrict(patch.districtCode, "/body/districtCode");
      if (patch.lendsStaff && org.kind !== "enterprise") {
        throw invalidField("/body/lendsStaff", "only an enterprise lends its own staff (shared staffing)");
      }
      const updated = await repo.updateOrganisation(id, {
        ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
        ...(patch.districtCode !== undefined ? { districtCode: patch.districtCode } : {}),
        ...(patch.lendsStaff !== undefined ? { lendsStaff: patch.lendsStaff } : {}),
        updatedAt: clock.now(),
      });
      return organisationView(updated);
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
      const licence = await repo.insertLicence({
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
      return licenceView(licence);
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
      return repo.expireLicences(new Date(`${today()}T00:00:00Z`));
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
      const realName = input.realName.trim();
      if (realName.length < 2) throw invalidField("/body/realName", "the real name must have at least two characters");
      const phone = phoneOf(input.phone, "/body/phone");
      checkDistrict(input.districtCode, "/body/districtCode");
      const skills = input.skills ?? [];
      checkSkills(skills, "/body/skills");
      const groups = [...new Set(input.keyGroups ?? [])];
      checkKeyGroups(groups, "/body/keyGroups");
      const now = clock.now();
      const worker = await repo.insertWorker(
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
          createdAt: now,
          updatedAt: now,
        },
        skills,
      );
      return workerView(worker);
    },

    async getWorker(principal: Principal, id: string): Promise<WorkerView> {
      return workerView(await ownedWorker(principal, id));
    },

    async listWorkers(principal: Principal, query: { after?: string; limit?: number; supplierId?: string }): Promise<WorkerView[]> {
      let supplierId: string | null | undefined;
      if (canReadAll(principal)) supplierId = query.supplierId;
      else if (query.supplierId !== undefined && query.supplierId !== principal.organisationId) {
        throw new DomainError("forbidden", "a supplier lists only its own workers", { field: "/querystring/supplierId" });
      } else supplierId = principal.organisationId;
      const rows = await repo.listWorkers({
        limit: query.limit ?? 100,
        ...(query.after ? { after: query.after } : {}),
        ...(supplierId !== undefined ? { supplierId } : {}),
      });
      return rows.map(workerView);
    },

    async updateWorker(principal: Principal, id: string, patch: WorkerPatch): Promise<WorkerView> {
      await ownedWorker(principal, id);
      if (principal.role === "regulator") throw new DomainError("forbidden", "the regulator reads; it does not change records");
      if (patch.districtCode !== undefined) checkDistrict(patch.districtCode, "/body/districtCode");
      if (patch.skills) checkSkills(patch.skills, "/body/skills");
      if (patch.keyGroups) checkKeyGroups(patch.keyGroups, "/body/keyGroups");
      const phone = patch.phone !== undefined ? phoneOf(patch.phone, "/body/phone") : undefined;
      const updated = await repo.updateWorker(
        id,
        {
          ...(phone !== undefined ? { phone } : {}),
          ...(patch.districtCode !== undefined ? { districtCode: patch.districtCode } : {}),
          ...(patch.keyGroups !== undefined ? { keyGroups: [...new Set(patch.keyGroups)] } : {}),
          updatedAt: clock.now(),
        },
        patch.skills,
      );
      return workerView(updated);
    },
  };
}
export type PartiesService = ReturnType<typeof createPartiesService>;
