/**
 * Request validation: JSON bodies are checked strictly (no type coercion, no
 * silently dropped unknown fields), while path params, query strings and
 * headers arrive as text and are coerced to the schema's types.
 */
import { Ajv, type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import type { FastifySchemaCompiler } from "fastify";

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: false,
    coerceTypes: coerce ? "array" : false,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
  });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
}

const strictAjv = makeAjv(false);
const coercingAjv = makeAjv(true);

// C0 controls other than tab, line feed and carriage return, DEL, C1 controls, and unpaired surrogates.
// PostgreSQL refuses NUL in text (a 500 after half the work), and the rest has no business in a name,
// reason or number: it hides text in logs, CSV exports and bank files.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|\p{Cs}/u;

/** The JSON-pointer (below the part) of the first string, or key, holding a control character; undefined if none. */
export function controlCharacterAt(value: unknown, pointer = ""): string | undefined {
  if (typeof value === "string") return CONTROL.test(value) ? pointer : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = controlCharacterAt(value[i], `${pointer}/${i}`);
      if (at !== undefined) return at;
    }
    return undefined;
  }
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const here = `${pointer}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      if (CONTROL.test(k)) return here;
      const at = controlCharacterAt(v, here);
      if (at !== undefined) return at;
    }
  }
  return undefined;
}

/** Fastify validator compiler choosing strict or coercing Ajv by request part. */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === "body" ? strictAjv : coercingAjv;
  const validate = ajv.compile(schema as object);
  return (input: unknown) => {
    // An absent body reads as {}: required fields are then reported by name, and all-optional bodies may be left out.
    const data = httpPart === "body" && (input === undefined || input === null) ? {} : input;
    // Checked before the schema, so a control character in an unknown key is named as such. Not in
    // headers: Node's parser already refuses controls there, and reads UTF-8 bytes as Latin-1 (C1) text.
    const bad = httpPart === "headers" ? undefined : controlCharacterAt(data);
    if (bad !== undefined) {
      return {
        error: toValidationError([
          { keyword: "controlCharacter", instancePath: bad, schemaPath: "#", params: {}, message: "must not contain control characters (NUL, escape and the like)" },
        ]),
      };
    }
    if (validate(data)) return { value: data };
    return { error: toValidationError(validate.errors ?? []) };
  };
};

/** Fastify wants an Error whose `validation` holds the Ajv errors. */
function toValidationError(errors: ErrorObject[]): Error {
  const err = new Error(errors.map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`).join("; "));
  (err as Error & { validation: ErrorObject[] }).validation = errors;
  return err;
}

/** The JSON-pointer of the field an Ajv error is about, including a missing or unknown property's name. */
export function fieldOf(error: ErrorObject, part: string): string {
  let pointer = error.instancePath;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "required" && typeof params["missingProperty"] === "string") {
    pointer += `/${params["missingProperty"]}`;
  } else if (error.keyword === "additionalProperties" && typeof params["additionalProperty"] === "string") {
    pointer += `/${params["additionalProperty"]}`;
  }
  return `/${part}${pointer}`;
}

/** A human sentence for an Ajv error, naming the field. */
export function messageOf(error: ErrorObject, field: string): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `${field} is required`;
    case "additionalProperties":
      return `${field} is not a known field`;
    case "type":
      return `${field} must be of type ${String(params["type"])}`;
    case "enum":
      return `${field} must be one of ${(params["allowedValues"] as unknown[]).join(", ")}`;
    default:
      return `${field} ${error.message ?? "is invalid"}`;
  }
}
