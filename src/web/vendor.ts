/**
 * Third-party browser code Shiftex serves itself (no CDN, the pages' CSP
 * allows scripts from 'self' only): Apache ECharts for the guidance-price and
 * statistics charts, from the installed npm package.
 *
 * The file is read once at start-up and served under a URL carrying its
 * version, so it can be cached for a year as immutable: an upgrade changes
 * the URL, never the bytes behind one. A gzip copy is made once too (the
 * minified build is about 1.1 MB, ~370 KB gzipped; phones on mobile data
 * are the pages' first users).
 *
 * Under the pages' CSP (style-src 'self'), ECharts' default HTML tooltip is
 * blocked: it writes style="" attributes. Charts must set
 * `tooltip: { renderMode: "richText" }` (drawn on the canvas) and size their
 * container from a style sheet; test/browser/echarts-csp.test.ts shows both.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import type { FastifyPluginAsync } from "fastify";
import { immutableAsset } from "./respond";

/** A file served as it was installed. */
export interface VendorAsset {
  /** The URL path it is served under (versioned). */
  readonly path: string;
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly version: string;
}

const require = createRequire(import.meta.url);

function loadEcharts(): VendorAsset {
  const file = require.resolve("echarts/dist/echarts.min");
  // The package's exports do not list package.json; it sits one folder above dist/.
  const { version } = JSON.parse(readFileSync(join(dirname(file), "..", "package.json"), "utf8")) as { version: string };
  const body = readFileSync(file);
  return { path: `/assets/vendor/echarts-${version}.min.js`, type: "text/javascript; charset=utf-8", body, gzip: gzipSync(body, { level: 9 }), version };
}

let echarts: VendorAsset | undefined;

/** ECharts' minified build as Shiftex serves it; pages reference `echartsAsset().path`. */
export function echartsAsset(): VendorAsset {
  echarts ??= loadEcharts();
  return echarts;
}

/** Routes of the vendored files. */
export const vendorRoutes: FastifyPluginAsync = async (app) => {
  const hidden = { hide: true } as const;
  const asset = echartsAsset();
  app.get(asset.path, { config: { access: "public" }, schema: hidden }, async (req, reply) => immutableAsset(reply, asset.type, asset.body, acceptsGzip(req.headers["accept-encoding"]) ? asset.gzip : undefined));
};

/** True when the Accept-Encoding header allows gzip (a q of 0 refuses it). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(",") : (header ?? "");
  for (const part of value.split(",")) {
    const [name = "", ...params] = part.trim().toLowerCase().split(";");
    if (name.trim() !== "gzip" && name.trim() !== "*") continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}
