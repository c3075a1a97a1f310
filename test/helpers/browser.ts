/**
 * Headless Chromium for the web view's tests, driven by playwright-core: the Debian package's
 * binary (CI installs it and sets REQUIRE_CHROMIUM=1, so a missing one fails instead of skipping).
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

const CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];

export function findChromium(): string | undefined {
  const found = CANDIDATES.find((p): p is string => p !== undefined && existsSync(p));
  if (!found && process.env.REQUIRE_CHROMIUM === "1")
    throw new Error("chromium is required (REQUIRE_CHROMIUM=1) but not installed: apt-get install chromium");
  return found;
}

/** Flags for a closed network: without the background ones Chromium keeps trying Google's hosts. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}
