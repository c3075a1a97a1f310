/**
 * Checks received JSON payloads against the published payload schemas (schemas/payloads/v1/),
 * the files themselves, with a JSON Schema validator: what a subscriber would check.
 */
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { PAYLOAD_SCHEMA_VERSION, type PayloadKind, payloadKindOf } from "../../agent/mqtt/payload-schemas.js";
import type { Received } from "./processes.js";

const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
const validators = new Map<PayloadKind, ReturnType<typeof ajv.compile>>();

function validatorFor(kind: PayloadKind) {
  let v = validators.get(kind);
  if (!v) {
    const file = `schemas/payloads/v${PAYLOAD_SCHEMA_VERSION}/${kind}.schema.json`;
    v = ajv.compile(JSON.parse(readFileSync(file, "utf8")) as object);
    validators.set(kind, v);
  }
  return v;
}

/** Every message under `root` checked: the kinds seen, and each failure as "<topic>: <errors>". */
export function checkPayloads(
  root: string,
  messages: Received[],
): { kinds: Set<PayloadKind>; failures: string[] } {
  const kinds = new Set<PayloadKind>();
  const failures: string[] = [];
  for (const m of messages) {
    const kind = payloadKindOf(m.topic.slice(root.length + 1));
    if (!kind) {
      if (!m.topic.includes("/request/")) failures.push(`${m.topic}: no payload schema for this topic`);
      continue;
    }
    kinds.add(kind);
    const validate = validatorFor(kind);
    if (!validate(m.payload)) failures.push(`${m.topic}: ${ajv.errorsText(validate.errors)}`);
  }
  return { kinds, failures };
}
