/**
 * Secrets and certificates read from files (MQTT passwords and TLS material, web view tokens): a
 * missing one stops the start with its path, never its content.
 */
import { readFileSync } from "node:fs";

/** A secret or a certificate, whole. */
export function readSecretFile(what: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** The first line of a secret file, trimmed: a password, a token. */
export function readSecretLine(what: string, file: string): string {
  return readSecretFile(what, file).split("\n")[0]!.trim();
}
