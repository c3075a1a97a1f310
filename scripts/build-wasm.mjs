// Compiles agent/correlation/pair-kernel.wat to the base64 constant in pair-kernel.wasm.ts.
// The unit tests compile it again and compare, so the two cannot drift apart.
import { readFileSync, writeFileSync } from "node:fs";
import wabtInit from "wabt";

const source = "agent/correlation/pair-kernel.wat";
const wabt = await wabtInit();
const { buffer } = wabt.parseWat(source, readFileSync(source, "utf8")).toBinary({});
const base64 = Buffer.from(buffer).toString("base64");
writeFileSync(
  "agent/correlation/pair-kernel.wasm.ts",
  `/** Generated from pair-kernel.wat by scripts/build-wasm.mjs — do not edit. */\nexport const PAIR_KERNEL_WASM_BASE64 =\n  "${base64}";\n`,
);
console.log(`${source}: ${buffer.length} bytes`);
