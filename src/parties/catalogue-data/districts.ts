/**
 * Chongqing's 38 district-level divisions (GB/T 2260 codes, exactly as in
 * chongqing-districts.csv beside this file, a verbatim copy of
 * shared/reference/chongqing-districts.csv) and the seed minimum wage of each.
 *
 * Minimum wages are configuration: these are seed values and every figure
 * cites MINIMUM_WAGE_SOURCE. When Chongqing publishes a new standard, change
 * the tier table and the source together.
 */

/** Administrative kind of a division, as in the reference CSV. */
export type DistrictKind = "district" | "county" | "autonomous_county";

/** Minimum-wage tier (档) a division belongs to; 1 is the higher standard. */
export type MinimumWageTier = 1 | 2;

/**
 * Where the seed minimum wages come from.
 *
 * Chongqing Municipal People's Government notice adjusting the city's minimum
 * wage standard (重庆市人民政府关于调整全市最低工资标准的通知), effective
 * 2022-04-01: tier 1 (第一档) 2,100 yuan a month and 21 yuan an hour, tier 2
 * (第二档) 2,000 yuan a month and 20 yuan an hour. The hourly figures are the
 * standard for non-full-time employment (非全日制用工).
 *
 * Not verified against the official text while writing this file (no access
 * to cq.gov.cn / rlsbj.cq.gov.cn): the exact issuer and title, the document
 * number and the effective date. The document number is therefore left null
 * rather than guessed. No later Chongqing adjustment could be confirmed; check
 * rlsbj.cq.gov.cn before relying on these figures in production.
 */
export const MINIMUM_WAGE_SOURCE = {
  issuer_zh: "重庆市人民政府",
  issuer_en: "Chongqing Municipal People's Government",
  title_zh: "重庆市人民政府关于调整全市最低工资标准的通知",
  title_en: "Notice on adjusting Chongqing's minimum wage standards",
  documentNumber: null as string | null,
  effectiveDate: "2022-04-01",
  verified: false,
  tiers: {
    1: { monthlyFen: 210_000, hourlyFen: 2_100 },
    2: { monthlyFen: 200_000, hourlyFen: 2_000 },
  },
} as const;

/*
 * Tiering decision. Chongqing's notices list the divisions of each tier by
 * name; the 2022 list could not be read while writing this file, so the split
 * is inferred. The 2015 notice (重庆市人力资源和社会保障局关于发布重庆市最低
 * 工资标准的通知, 渝人社发〔2015〕250号) put exactly the 23 divisions that were
 * then districts (区) in the higher tier, with 北部新区 and 万盛经开区, and
 * exactly the 15 then counties and autonomous counties (县) in the lower one;
 * the 2012 notice had the same higher-tier list (four of its members, then
 * still counties, have since become districts). Kaizhou, Liangping and Wulong
 * became districts in 2016, and third-party summaries of the current standard
 * describe tier 1 as "26 districts plus Liangjiang New Area, Chongqing
 * High-tech Zone and Wansheng Economic Development Zone". So: tier 1 = the 26
 * divisions of kind "district", tier 2 = the 8 counties and 4 autonomous
 * counties. The functional zones are not GB/T 2260 divisions and do not
 * appear here; a market in one uses its host district's code.
 */
function tierOf(kind: DistrictKind): MinimumWageTier {
  return kind === "district" ? 1 : 2;
}

interface DistrictRow {
  code: string;
  name_zh: string;
  name_en: string;
  kind: DistrictKind;
}

const rows: readonly DistrictRow[] = [
  { code: "500101", name_zh: "万州区", name_en: "Wanzhou District", kind: "district" },
  { code: "500102", name_zh: "涪陵区", name_en: "Fuling District", kind: "district" },
  { code: "500103", name_zh: "渝中区", name_en: "Yuzhong District", kind: "district" },
  { code: "500104", name_zh: "大渡口区", name_en: "Dadukou District", kind: "district" },
  { code: "500105", name_zh: "江北区", name_en: "Jiangbei District", kind: "district" },
  { code: "500106", name_zh: "沙坪坝区", name_en: "Shapingba District", kind: "district" },
  { code: "500107", name_zh: "九龙坡区", name_en: "Jiulongpo District", kind: "district" },
  { code: "500108", name_zh: "南岸区", name_en: "Nan'an District", kind: "district" },
  { code: "500109", name_zh: "北碚区", name_en: "Beibei District", kind: "district" },
  { code: "500110", name_zh: "綦江区", name_en: "Qijiang District", kind: "district" },
  { code: "500111", name_zh: "大足区", name_en: "Dazu District", kind: "district" },
  { code: "500112", name_zh: "渝北区", name_en: "Yubei District", kind: "district" },
  { code: "500113", name_zh: "巴南区", name_en: "Banan District", kind: "district" },
  { code: "500114", name_zh: "黔江区", name_en: "Qianjiang District", kind: "district" },
  { code: "500115", name_zh: "长寿区", name_en: "Changshou District", kind: "district" },
  { code: "500116", name_zh: "江津区", name_en: "Jiangjin District", kind: "district" },
  { code: "500117", name_zh: "合川区", name_en: "Hechuan District", kind: "district" },
  { code: "500118", name_zh: "永川区", name_en: "Yongchuan District", kind: "district" },
  { code: "500119", name_zh: "南川区", name_en: "Nanchuan District", kind: "district" },
  { code: "500120", name_zh: "璧山区", name_en: "Bishan District", kind: "district" },
  { code: "500151", name_zh: "铜梁区", name_en: "Tongliang District", kind: "district" },
  { code: "500152", name_zh: "潼南区", name_en: "Tongnan District", kind: "district" },
  { code: "500153", name_zh: "荣昌区", name_en: "Rongchang District", kind: "district" },
  { code: "500154", name_zh: "开州区", name_en: "Kaizhou District", kind: "district" },
  { code: "500155", name_zh: "梁平区", name_en: "Liangping District", kind: "district" },
  { code: "500156", name_zh: "武隆区", name_en: "Wulong District", kind: "district" },
  { code: "500229", name_zh: "城口县", name_en: "Chengkou County", kind: "county" },
  { code: "500230", name_zh: "丰都县", name_en: "Fengdu County", kind: "county" },
  { code: "500231", name_zh: "垫江县", name_en: "Dianjiang County", kind: "county" },
  { code: "500233", name_zh: "忠县", name_en: "Zhong County", kind: "county" },
  { code: "500235", name_zh: "云阳县", name_en: "Yunyang County", kind: "county" },
  { code: "500236", name_zh: "奉节县", name_en: "Fengjie County", kind: "county" },
  { code: "500237", name_zh: "巫山县", name_en: "Wushan County", kind: "county" },
  { code: "500238", name_zh: "巫溪县", name_en: "Wuxi County", kind: "county" },
  { code: "500240", name_zh: "石柱土家族自治县", name_en: "Shizhu Tujia Autonomous County", kind: "autonomous_county" },
  { code: "500241", name_zh: "秀山土家族苗族自治县", name_en: "Xiushan Tujia and Miao Autonomous County", kind: "autonomous_county" },
  { code: "500242", name_zh: "酉阳土家族苗族自治县", name_en: "Youyang Tujia and Miao Autonomous County", kind: "autonomous_county" },
  { code: "500243", name_zh: "彭水苗族土家族自治县", name_en: "Pengshui Miao and Tujia Autonomous County", kind: "autonomous_county" },
];

/** A district-level division with its seed minimum wages. */
export interface District {
  readonly code: string;
  readonly name_zh: string;
  readonly name_en: string;
  readonly kind: DistrictKind;
  readonly minimumWageTier: MinimumWageTier;
  readonly minimumMonthlyWageFen: number;
  readonly minimumHourlyWageFen: number;
}

/** The 38 divisions in GB/T 2260 code order. */
export const DISTRICTS: readonly District[] = Object.freeze(
  rows.map((row): District => {
    const tier = tierOf(row.kind);
    const wage = MINIMUM_WAGE_SOURCE.tiers[tier];
    return Object.freeze({
      ...row,
      minimumWageTier: tier,
      minimumMonthlyWageFen: wage.monthlyFen,
      minimumHourlyWageFen: wage.hourlyFen,
    });
  }),
);
