/**
 * The page's files, read once at start: everything under agent/web/public/ (copied beside the
 * built code by `make build`) and uPlot's script and style from node_modules. Served from memory,
 * so a request never touches the disk and no path from a URL ever reaches the file system.
 */
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

export interface StaticAsset {
  type: string;
  body: Buffer;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** The page's own files: beside this module, in the sources and in the build alike. */
export const PUBLIC_DIR = fileURLToPath(new URL("./public/", import.meta.url));

export async function loadAssets(dir = PUBLIC_DIR): Promise<Map<string, StaticAsset>> {
  const assets = new Map<string, StaticAsset>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const type = TYPES[extname(entry.name)];
    if (!entry.isFile() || !type) continue;
    const file = join(entry.parentPath, entry.name);
    assets.set(`/${relative(dir, file).split(sep).join("/")}`, { type, body: await readFile(file) });
  }
  if (!assets.has("/index.html")) throw new Error(`web: no index.html in ${dir} (was the build copied?)`);
  const require = createRequire(import.meta.url);
  for (const [path, module] of [
    ["/vendor/uplot.js", "uplot/dist/uPlot.iife.min.js"],
    ["/vendor/uplot.css", "uplot/dist/uPlot.min.css"],
  ] as const)
    assets.set(path, { type: TYPES[extname(path)]!, body: await readFile(require.resolve(module)) });
  return assets;
}
