import { describe, expect, it } from "vitest";
import { prng } from "../../test/helpers/prng";
import { decodeForSearch, findSensitive } from "./privacy";

const PHONE = "13800138000";
const ID = "11010519491231002X";
const NAME = "张三丰";
const all = { phones: [PHONE], residentIds: [ID], names: [NAME] };

const entities = (s: string) => [...s].map((c) => `&#${c.codePointAt(0)};`).join("");
const hexEntities = (s: string) => [...s].map((c) => `&#x${c.codePointAt(0)!.toString(16)};`).join("");
const jsEscapes = (s: string) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
const percent = (s: string) => [...Buffer.from(s, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
const fullWidth = (s: string) => s.replace(/[0-9X]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

describe("findSensitive in text", () => {
  it.each([
    ["as stored", `call ${PHONE} now`],
    ["with +86", "+8613800138000"],
    ["with 0086 and dots", "0086.138.0013.8000"],
    ["spaced", "138 0013 8000"],
    ["hyphenated", "138-0013-8000"],
    ["bracketed", "(138) 0013-8000"],
    ["inside Chinese text", "联系电话13800138000，谢谢"],
    ["full-width digits", `电话：${fullWidth(PHONE)}`],
    ["Chinese numerals", "一三八〇〇一三八〇〇〇"],
    ["HTML decimal entities", entities(PHONE)],
    ["JSON escapes", jsEscapes(PHONE)],
    ["percent-encoded", `/search?q=${percent(PHONE)}`],
    ["inside a longer number", `ref 99${PHONE}7`],
  ])("finds a phone %s", (_, text) => {
    expect(findSensitive(text, { phones: [PHONE] })).toEqual([{ kind: "phone", value: "138****8000", path: "$", encoded: expect.any(Boolean) }]);
  });

  it.each([
    ["masked", "138****8000"],
    ["another number", "13800138001"],
    ["too short", "1380013800"],
    ["split by a comma", "1380013,8000"],
    ["split by a letter", "1380013a8000"],
  ])("does not find a phone %s", (_, text) => {
    expect(findSensitive(text, { phones: [PHONE] })).toEqual([]);
  });

  it("accepts the phone to look for in any spelling too", () => {
    expect(findSensitive(PHONE, { phones: ["+86 138-0013-8000"] })).toHaveLength(1);
    expect(() => findSensitive("", { phones: ["12345"] })).toThrow(RangeError);
  });

  it.each([
    ["as written", `身份证 ${ID}`],
    ["lower-case x", ID.toLowerCase()],
    ["grouped", "110105 19491231 002X"],
    ["full-width", fullWidth(ID)],
    ["hex entities", hexEntities(ID)],
  ])("finds a resident ID %s", (_, text) => {
    expect(findSensitive(text, { residentIds: [ID] })).toEqual([{ kind: "resident_id", value: "110***********002X", path: "$", encoded: expect.any(Boolean) }]);
  });

  it("does not find a resident ID by its masked form or a neighbour", () => {
    expect(findSensitive("110***********002X", { residentIds: [ID] })).toEqual([]);
    expect(findSensitive("110105194912310021", { residentIds: [ID] })).toEqual([]);
    expect(() => findSensitive("", { residentIds: ["1101"] })).toThrow(RangeError);
  });

  it.each([
    ["as written", `工人${NAME}未到岗`],
    ["spaced", "张 三 丰"],
    ["with zero-width characters", "张\u200b三\u200d丰"],
    ["hyphenated", "张-三-丰"],
    ["with a middle dot", "张·三丰"],
    ["as HTML entities", entities(NAME)],
    ["as JSON escapes", jsEscapes(NAME)],
    ["percent-encoded in a URL", `/v1/workers?name=${percent(NAME)}`],
    ["doubly encoded", percent(entities(NAME))],
  ])("finds a name %s", (_, text) => {
    expect(findSensitive(text, { names: [NAME] })).toEqual([{ kind: "name", value: "张**", path: "$", encoded: expect.any(Boolean) }]);
  });

  it("folds case for names in Latin letters, matches a minority name with or without its dot, and refuses names too short to search for", () => {
    expect(findSensitive("Worker LI WEI was late", { names: ["Li Wei"] })).toHaveLength(1);
    expect(findSensitive("阿依古丽买买提", { names: ["阿依古丽·买买提"] })).toHaveLength(1);
    expect(() => findSensitive("", { names: ["王"] })).toThrow(RangeError);
  });

  it("says when a value was hidden by an encoding", () => {
    expect(findSensitive(PHONE, { phones: [PHONE] })[0]?.encoded).toBe(false);
    expect(findSensitive(entities(PHONE), { phones: [PHONE] })[0]?.encoded).toBe(true);
    expect(findSensitive(fullWidth(PHONE), { phones: [PHONE] })[0]?.encoded).toBe(false); // NFKC is not an encoding
  });

  it("decodes layers of encodings", () => {
    expect(decodeForSearch("%26%2324352%3B")).toBe("张");
    expect(decodeForSearch("\\u{5f20}\\x41&amp;")).toBe("张A&");
    expect(decodeForSearch("\\ud83d\\ude00")).toBe("😀");
  });
});

describe("findSensitive in JSON", () => {
  it("walks values, numbers and keys, naming the path", () => {
    const body = {
      items: [
        { id: "org_1", reason: "no-show", phone: null },
        { id: "org_2", reason: `${NAME} absent`, contact: 13800138000, tags: ["a", ID.toLowerCase()] },
      ],
      [NAME]: true,
      "odd key": { n: 13800138000n },
    };
    expect(findSensitive(body, all)).toEqual([
      { kind: "name", value: "张**", path: "$.items[1].reason", encoded: false },
      { kind: "phone", value: "138****8000", path: "$.items[1].contact", encoded: false },
      { kind: "resident_id", value: "110***********002X", path: "$.items[1].tags[1]", encoded: false },
      { kind: "name", value: "张**", path: `$["${NAME}"]{key}`, encoded: false },
      { kind: "phone", value: "138****8000", path: '$["odd key"].n', encoded: false },
    ]);
  });

  it("finds nothing in clean data", () => {
    expect(findSensitive({ agencies: [{ name: "重庆山城劳务派遣有限公司", colour: "blue", points: "98.50", licence: "(渝)人服证字〔2024〕第0001号" }] }, all)).toEqual([]);
    expect(findSensitive([], all)).toEqual([]);
    expect(findSensitive(null, all)).toEqual([]);
  });

  it("property (seeded): a value embedded in random text under a random spelling is always found; random text without it never", () => {
    const rand = prng(11643);
    const filler = "abcdefghij 重庆市渝中区,.;:!?-_/()[]{}<>=+*&%$#@~`|\"'\n\t";
    const noise = (n: number) => Array.from({ length: n }, () => filler[Math.floor(rand() * filler.length)]).join("");
    const spellings = [(s: string) => s, entities, hexEntities, jsEscapes, percent, fullWidth, (s: string) => [...s].join(" "), (s: string) => [...s].join("-")];
    for (let round = 0; round < 400; round++) {
      const which = Math.floor(rand() * 3);
      const value = [PHONE, ID, NAME][which] as string;
      const spelled = (spellings[Math.floor(rand() * spellings.length)] as (s: string) => string)(value);
      const text = `${noise(Math.floor(rand() * 40))} ${spelled} ${noise(Math.floor(rand() * 40))}`;
      const leaks = findSensitive(text, all);
      expect(leaks.map((l) => l.kind), text).toContain(["phone", "resident_id", "name"][which]);
      expect(findSensitive(noise(200), all)).toEqual([]);
    }
  });
});
