// The Prisma model (generated client + schema.prisma) must match what the SQL migrations build.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as enums from "../../src/generated/prisma/enums";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { backends } from "../helpers/services";

interface RuntimeField { name: string; kind: string; type: string; dbName?: string }
interface RuntimeModel { fields: RuntimeField[]; dbName: string | null }

// Prisma scalar → the information_schema udt names a column of that type may have.
const UDT: Record<string, string[]> = {
  String: ["text", "varchar"],
  Int: ["int4"],
  BigInt: ["int8"],
  Boolean: ["bool"],
  DateTime: ["timestamptz", "timestamp", "date"],
  Json: ["jsonb", "json"],
  Decimal: ["numeric"],
  Bytes: ["bytea"],
};

/** Optional (`?`) and list (`[]`) markers per model field, read from schema.prisma. */
function schemaModifiers(): Map<string, { optional: boolean; list: boolean }> {
  const text = readFileSync(new URL("../../prisma/schema.prisma", import.meta.url), "utf8");
  const out = new Map<string, { optional: boolean; list: boolean }>();
  for (const block of text.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    for (const line of block[2]!.split("\n")) {
      const m = /^\s+(\w+)\s+(\w+)(\[\])?(\?)?/.exec(line);
      if (m) out.set(`${block[1]}.${m[1]}`, { optional: m[4] === "?", list: m[3] === "[]" });
    }
  }
  return out;
}

describe.each(backends)("schema drift on $name", (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(backend);
  });
  afterAll(async () => t?.drop());

  it("has a table and matching column for every field of every model, and no unmodelled column", async () => {
    const models = (t.db.prisma as unknown as { _runtimeDataModel: { models: Record<string, RuntimeModel> } })._runtimeDataModel.models;
    const modifiers = schemaModifiers();
    const { rows } = await t.db.sql.query<{ table_name: string; column_name: string; udt_name: string; is_nullable: string }>(
      `SELECT table_name, column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const columns = new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, r]));
    const problems: string[] = [];
    expect(Object.keys(models).length).toBeGreaterThan(0);
    for (const [modelName, model] of Object.entries(models)) {
      const table = model.dbName ?? modelName;
      const modelled = new Set<string>();
      for (const field of model.fields) {
        if (field.kind === "object") continue;
        const column = field.dbName ?? field.name;
        modelled.add(column);
        const col = columns.get(`${table}.${column}`);
        if (!col) {
          problems.push(`${modelName}.${field.name}: no column ${table}.${column}`);
          continue;
        }
        const mod = modifiers.get(`${modelName}.${field.name}`) ?? { optional: false, list: false };
        const udt = mod.list ? col.udt_name.replace(/^_/, "") : col.udt_name;
        if (mod.list !== col.udt_name.startsWith("_")) problems.push(`${modelName}.${field.name}: list is ${mod.list}, column ${col.udt_name}`);
        if (field.kind === "enum") {
          if (udt !== field.type) problems.push(`${modelName}.${field.name}: enum ${field.type}, column type ${udt}`);
        } else if (!(UDT[field.type] ?? []).includes(udt)) {
          problems.push(`${modelName}.${field.name}: ${field.type}, column type ${udt}`);
        }
        if (mod.optional !== (col.is_nullable === "YES")) {
          problems.push(`${modelName}.${field.name}: optional=${mod.optional} but column nullable=${col.is_nullable}`);
        }
      }
      for (const r of rows.filter((r) => r.table_name === table)) {
        if (!modelled.has(r.column_name)) problems.push(`${table}.${r.column_name}: column not in the Prisma model ${modelName}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("has the same values in every database enum as the generated client", async () => {
    const { rows } = await t.db.sql.query<{ typname: string; enumlabel: string }>(
      `SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid ORDER BY t.typname, e.enumsortorder`,
    );
    const inDb: Record<string, string[]> = {};
    for (const r of rows) (inDb[r.typname] ??= []).push(r.enumlabel);
    const generated: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(enums)) {
      if (value && typeof value === "object") generated[name] = Object.values(value as Record<string, string>);
    }
    expect(Object.keys(generated).length).toBeGreaterThan(0);
    for (const [name, values] of Object.entries(generated)) expect(inDb[name], name).toEqual(values);
  });
});
