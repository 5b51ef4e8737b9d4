// Apache ECharts is served by Shiftex itself from the installed package (no CDN), under a versioned URL cached
// as immutable, and the served file loads nothing from anywhere else.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { echartsAsset } from "../../src/web";
import { acceptsGzip } from "../../src/web/vendor";
import { startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";

const require = createRequire(import.meta.url);
const installed = readFileSync(require.resolve("echarts/dist/echarts.min"));
const version = (JSON.parse(readFileSync(require.resolve("echarts/dist/echarts.min").replace(/dist\/echarts\.min\.js$/, "package.json"), "utf8")) as { version: string }).version;

/**
 * The only absolute URLs in the build, none of which a browser fetches: XML namespace names (identifiers that
 * createElementNS compares, never requested) and the licence links in its header comments.
 */
const NOT_FETCHED = new Set([
  "http://www.w3.org/2000/svg",
  "http://www.w3.org/1999/xlink",
  "http://www.w3.org/2000/xmlns/",
  "http://www.w3.org/XML/1998/namespace",
  "http://www.apache.org/licenses/LICENSE-2.0",
  "https://github.com/ecomfe/zrender/blob/master/LICENSE",
]);

describe("vendored ECharts", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backends[0]!);
  });
  afterAll(async () => app?.close());

  it("is the installed package's minified build, under a URL naming its version", () => {
    expect(echartsAsset().path).toBe(`/assets/vendor/echarts-${version}.min.js`);
    expect(version).toMatch(/^[56]\./);
    expect(echartsAsset().body.equals(installed)).toBe(true);
  });

  it("is served as JavaScript, byte for byte, cached for a year as immutable, to anyone", async () => {
    const r = await fetch(`${app.baseUrl}${echartsAsset().path}`, { headers: { "accept-encoding": "identity" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(r.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("content-encoding")).toBeNull();
    expect(Buffer.from(await r.arrayBuffer()).equals(installed)).toBe(true);
  });

  it("is sent gzipped to a client that accepts gzip, and the same bytes come out", async () => {
    const { request } = await import("node:http");
    const { status, headers, body } = await new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const req = request(`${app.baseUrl}${echartsAsset().path}`, { headers: { "accept-encoding": "gzip, deflate" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(200);
    expect(headers["content-encoding"]).toBe("gzip");
    expect(headers["vary"]).toMatch(/accept-encoding/i);
    expect(body.length).toBeLessThan(installed.length / 2);
    expect(gunzipSync(body).equals(installed)).toBe(true);
  });

  it("references no URL a browser would fetch: no CDN, no remote script, style, font or image", () => {
    const text = installed.toString("utf8");
    // Absolute and protocol-relative URLs: a host name ending in a top-level domain (ECharts' "path://M0.8…" symbols are not).
    const urls = new Set(text.match(/(?:https?:)?\/\/[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?![a-z0-9-])[^\s"'`)<>]*/gi) ?? []);
    expect(urls.size).toBeGreaterThan(0); // the pattern does find URLs: the namespaces
    const unexpected = [...urls].filter((u) => !NOT_FETCHED.has(u));
    expect(unexpected).toEqual([]);
    expect(text).not.toMatch(/importScripts\s*\(\s*["'`]https?:/);
    expect(text).not.toMatch(/@import\s+url\(\s*["']?https?:/);
  });

  it("an unknown version is not found (the URL is the version)", async () => {
    const r = await fetch(`${app.baseUrl}/assets/vendor/echarts-0.0.0.min.js`);
    expect(r.status).toBe(404);
  });
});

describe("acceptsGzip", () => {
  it.each([
    ["gzip", true],
    ["gzip, deflate, br", true],
    ["br;q=1.0, gzip;q=0.8", true],
    ["*", true],
    ["gzip;q=0", false],
    ["identity", false],
    ["", false],
    [undefined, false],
  ])("%j → %s", (header, yes) => {
    expect(acceptsGzip(header)).toBe(yes);
  });
});
