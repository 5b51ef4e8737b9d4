/**
 * The skill catalogue: trades that short-term labour markets in Chongqing
 * commonly buy by the shift, from factory line work (the action plan's
 * 汽摩/电子 manufacturing) to logistics, catering, cleaning and care.
 *
 * Ids are ASCII kebab-case with no dots because they are the first segment of
 * a market id ("welder.500107.2026-12-01.D1"); never rename one once markets
 * exist, add a new skill instead.
 *
 * `maxLevel` is the highest certificate level (0 none … 5 一级/高级技师) a buyer
 * may require for the trade. It follows the levels that the national
 * occupational skill standards (国家职业技能标准) define for the closest
 * occupation, as best known when this was written; 0 means there is no
 * customary skill certificate, so a requirement above "none" would only shut
 * every worker out. Treat the numbers as product configuration, not law.
 *
 * `licensedOperation` marks work that may legally be done only by holders of
 * a special-operation certificate (特种作业操作证, emergency management) or a
 * special-equipment operator certificate (特种设备作业人员证, market
 * regulation), whatever the skill level; matching must check the licence, not
 * the level.
 */

/** A licence that the law requires for a licensed operation. */
export interface SkillLicence {
  readonly name_zh: string;
  readonly name_en: string;
}

/** A tradeable skill. */
export interface Skill {
  readonly id: string;
  readonly name_zh: string;
  readonly name_en: string;
  readonly maxLevel: 0 | 1 | 2 | 3 | 4 | 5;
  readonly licensedOperation: boolean;
  readonly licence: SkillLicence | null;
}

const ELECTRICIAN_LICENCE: SkillLicence = {
  name_zh: "特种作业操作证（电工作业）",
  name_en: "special-operation certificate (electrical work)",
};
const WELDER_LICENCE: SkillLicence = {
  name_zh: "特种作业操作证（焊接与热切割作业）",
  name_en: "special-operation certificate (welding and thermal cutting)",
};
const FORKLIFT_LICENCE: SkillLicence = {
  name_zh: "特种设备作业人员证（N1 叉车司机）",
  name_en: "special-equipment operator certificate (N1 forklift)",
};
const SCAFFOLDER_LICENCE: SkillLicence = {
  name_zh: "建筑施工特种作业操作资格证（建筑架子工）",
  name_en: "construction special-operation certificate (scaffolder)",
};

function skill(
  id: string,
  name_zh: string,
  name_en: string,
  maxLevel: Skill["maxLevel"],
  licence: SkillLicence | null = null,
): Skill {
  return Object.freeze({ id, name_zh, name_en, maxLevel, licensedOperation: licence !== null, licence });
}

/** Every skill, in display order. */
export const SKILLS: readonly Skill[] = Object.freeze([
  // Manufacturing and warehousing
  skill("general-labourer", "普工", "general labourer", 0),
  skill("assembly-operator", "装配工/流水线操作工", "assembly-line operator", 5),
  skill("quality-inspector", "质检员", "quality inspector", 5),
  skill("warehouse-picker", "仓库拣货打包员", "warehouse picker/packer", 3),
  skill("logistics-sorter", "物流分拣员", "logistics sorter", 5),
  skill("forklift-operator", "叉车司机", "forklift operator", 3, FORKLIFT_LICENCE),
  skill("mover", "装卸搬运工", "mover / loader", 3),
  skill("delivery-rider", "配送骑手", "delivery rider", 5),
  // Construction and maintenance
  skill("construction-labourer", "建筑小工", "construction labourer", 0),
  skill("mason", "砌筑工", "mason / bricklayer", 5),
  skill("carpenter", "木工", "carpenter", 5),
  skill("painter", "油漆工", "painter / decorator", 5),
  skill("plumber", "水暖工", "plumber", 5),
  skill("electrician", "电工", "electrician", 5, ELECTRICIAN_LICENCE),
  skill("welder", "焊工", "welder", 5, WELDER_LICENCE),
  skill("scaffolder", "架子工", "scaffolder", 5, SCAFFOLDER_LICENCE),
  // Catering, retail and events
  skill("kitchen-helper", "厨房帮工", "kitchen helper", 0),
  skill("cook", "中式烹调师", "cook (Chinese cuisine)", 5),
  skill("waiter", "餐厅服务员", "waiter / waitress", 5),
  skill("cashier", "收银员", "cashier", 3),
  skill("promoter", "促销员/活动执行", "promoter / event staff", 5),
  // Property, hospitality and care
  skill("security-guard", "保安员", "security guard", 5),
  skill("cleaner", "保洁员", "cleaner", 3),
  skill("hotel-housekeeper", "客房服务员", "hotel housekeeper", 5),
  skill("domestic-helper", "家政服务员", "domestic helper", 5),
  skill("caregiver", "养老护理员", "elderly caregiver", 5),
]);
