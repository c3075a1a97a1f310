/** JSON documents: RFC 7396 merge patches, changed leaf paths, and a hash that ignores key order. */
import { createHash } from "node:crypto";

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** RFC 7396: objects merge key by key, `null` deletes, anything else (arrays too) replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** The merge patch that turns `from` into `to` (mergePatch(from, diffPatch(from, to)) equals `to`). */
export function diffPatch(from: Json, to: Json): Json {
  if (!isObject(from) || !isObject(to)) return structuredClone(to);
  const patch: Record<string, Json> = {};
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    if (canonical(from[key]) === canonical(value)) continue;
    patch[key] =
      isObject(from[key]) && isObject(value) ? diffPatch(from[key], value) : structuredClone(value);
  }
  return patch;
}

/** Dotted paths where `a` and `b` differ; arrays and scalars compare whole. */
export function changedPaths(a: Json, b: Json, prefix = ""): string[] {
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].sort().flatMap((k) => changedPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return canonical(a) === canonical(b) ? [] : [prefix || "(document)"];
}

/** JSON with object keys sorted, so equal documents give equal text. */
export function canonical(value: Json): string {
  return (
    JSON.stringify(value, (_key, v: Json) =>
      isObject(v)
        ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
        : v,
    ) ?? "null"
  );
}

export function documentHash(document: Json): string {
  return createHash("sha256").update(canonical(document)).digest("hex").slice(0, 16);
}
