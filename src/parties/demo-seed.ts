/**
 * Demo data for the embedded default: an operator, three enterprises, three
 * licensed agencies, one enterprise that lends staff, forty workers. Running
 * it again changes nothing: records are found by their natural keys, and the
 * demo API keys are derived from the session secret, so the same keys print
 * every time while only their hashes are stored.
 */
import { createHmac } from "node:crypto";
import type { Principal, Role } from "../shared/principal";
import type { AuthService } from "./auth.service";
import { skillById } from "./catalogue";
import { creditCodeWithChecksum, residentIdWithChecksum } from "./identity";
import type { PartiesRepository } from "./parties.repository";
import type { PartiesService } from "./parties.service";

export interface DemoSeedResult {
  created: { organisations: number; workers: number; apiKeys: number };
  keys: { label: string; role: Role; organisationId: string | null; apiKey: string }[];
  organisations: { id: string; name: string; kind: string }[];
  workerPhones: string[];
}

interface DemoOrg {
  name: string;
  kind: "enterprise" | "agency";
  district: string;
  lendsStaff?: boolean;
  serial: string;
}

const ORGS: DemoOrg[] = [
  { name: "重庆两江精密制造有限公司 Liangjiang Precision Manufacturing", kind: "enterprise", district: "500112", serial: "0001" },
  { name: "重庆山城物流仓储有限公司 Shancheng Logistics", kind: "enterprise", district: "500106", serial: "0002" },
  { name: "重庆解放碑餐饮管理有限公司 Jiefangbei Catering", kind: "enterprise", district: "500103", serial: "0003" },
  { name: "重庆渝才人力资源服务有限公司 Yucai HR Services", kind: "agency", district: "500105", serial: "0004" },
  { name: "重庆巴渝劳务派遣有限公司 Bayu Labour Dispatch", kind: "agency", district: "500108", serial: "0005" },
  { name: "重庆江津众工人力资源有限公司 Jiangjin Zhonggong HR", kind: "agency", district: "500116", serial: "0006" },
  { name: "重庆长寿化工机械有限公司 Changshou Chemical Machinery (lends staff)", kind: "enterprise", district: "500115", serial: "0007", lendsStaff: true },
];

const SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴"];
const GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "军", "杰", "娟", "涛", "明", "超", "霞"];
const SKILL_SETS = [
  [{ skillId: "general-labourer", level: 0 }],
  [{ skillId: "warehouse-picker", level: 1 }, { skillId: "logistics-sorter", level: 1 }],
  [{ skillId: "forklift-operator", level: 2 }],
  [{ skillId: "welder", level: 3 }],
  [{ skillId: "electrician", level: 2 }],
  [{ skillId: "kitchen-helper", level: 1 }, { skillId: "waiter", level: 1 }],
  [{ skillId: "cleaner", level: 0 }],
  [{ skillId: "assembly-operator", level: 2 }, { skillId: "quality-inspector", level: 1 }],
];

export async function seedDemo(deps: { parties: PartiesService; auth: AuthService; repo: PartiesRepository; secret: string }): Promise<DemoSeedResult> {
  const { parties, auth, repo } = deps;
  const created = { organisations: 0, workers: 0, apiKeys: 0 };
  const keys: DemoSeedResult["keys"] = [];
  const operator: Principal = { role: "operator", organisationId: null, workerId: null, credentialId: "seed", callerId: "seed" };

  async function demoKey(label: string, role: Role, organisationId: string | null) {
    const apiKey = `sx_demo_${createHmac("sha256", deps.secret).update(`demo-key:${label}`).digest("base64url").slice(0, 32)}`;
    if ((await auth.apiKey(apiKey)) === null) {
      await auth.issueApiKeyWithSecret({ role, organisationId, label }, apiKey);
      created.apiKeys++;
    }
    keys.push({ label, role, organisationId, apiKey });
  }

  await demoKey("demo operator", "operator", null);
  await demoKey("demo regulator", "regulator", null);

  const orgs: DemoSeedResult["organisations"] = [];
  for (const o of ORGS) {
    const creditCode = creditCodeWithChecksum(`9150${o.district.slice(2)}MA${o.serial}DEM`.padEnd(17, "0").slice(0, 17));
    let org = await repo.findOrganisationByCreditCode(creditCode);
    if (!org) {
      await parties.createOrganisation({ kind: o.kind, name: o.name, creditCode, districtCode: o.district, lendsStaff: o.lendsStaff ?? false });
      org = await repo.findOrganisationByCreditCode(creditCode);
      created.organisations++;
    }
    if (!org) throw new Error(`seed could not create ${o.name}`);
    if (o.kind === "agency" && org.licences.length === 0) {
      for (const type of ["hr_service", "labour_dispatch"] as const) {
        await parties.addLicence(operator, org.id, {
          type,
          number: `${type === "hr_service" ? "HR" : "LD"}-500-${o.serial}`,
          validUntil: "2029-12-31",
          verified: true,
        });
      }
    }
    orgs.push({ id: org.id, name: org.name, kind: org.kind });
    await demoKey(`demo ${o.lendsStaff ? "lending " : ""}${o.kind} ${o.serial}`, o.kind, org.id);
  }

  const suppliers = orgs.filter((_, i) => ORGS[i]!.kind === "agency" || ORGS[i]!.lendsStaff);
  const workerPhones: string[] = [];
  for (let i = 0; i < 40; i++) {
    const phone = `+86139${String(23000000 + i).padStart(8, "0")}`;
    workerPhones.push(phone);
    if (await repo.findWorkerByPhone(phone)) continue;
    const supplier = suppliers[i % suppliers.length]!;
    const district = ORGS[orgs.indexOf(supplier)]!.district;
    const birth = `${1975 + (i % 25)}${String(1 + (i % 12)).padStart(2, "0")}${String(1 + (i % 28)).padStart(2, "0")}`;
    await parties.registerWorker(operator, {
      supplierId: supplier.id,
      realName: `${SURNAMES[i % SURNAMES.length]}${GIVEN[(i * 7) % GIVEN.length]}${i % 3 === 0 ? GIVEN[(i * 3) % GIVEN.length] : ""}`,
      residentId: residentIdWithChecksum(`${district}${birth}${String(100 + i).slice(-3)}`),
      phone,
      districtCode: district,
      skills: SKILL_SETS[i % SKILL_SETS.length]!.map((s) => ({ ...s, level: Math.min(s.level, skillById(s.skillId)?.maxLevel ?? 0) })),
      keyGroups: i % 4 === 0 ? ["migrant_worker"] : i % 5 === 0 ? ["college_graduate"] : [],
    });
    created.workers++;
  }
  return { created, keys, organisations: orgs, workerPhones };
}
