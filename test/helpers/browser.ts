/**
 * A real headless Chromium (Debian's package) driven by playwright-core,
 * which gives every launch a new empty profile.
 * Browser suites run when /usr/bin/chromium (or CHROMIUM_PATH) exists; CI
 * installs it, and REQUIRE_SERVICES=1 makes its absence a failure.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const chromiumPath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
export const chromiumAvailable = existsSync(chromiumPath);

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}
