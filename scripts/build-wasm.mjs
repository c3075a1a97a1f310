// Compiles each WebAssembly kernel's .wat to a base64 constant in the .wasm.ts beside it.
// The unit tests compile them again and compare, so source and bytes cannot drift apart.
import { readFileSync, writeFileSync } from "node:fs";
import wabtInit from "wabt";

export const KERNELS = ["agent/correlation/pair-kernel.wat", "agent/correlation/readers/generic-t2.wat"];

const wabt = await wabtInit();
for (const source of KERNELS) {
  const { buffer } = wabt.parseWat(source, readFileSync(source, "utf8")).toBinary({});
  const base64 = Buffer.from(buffer).toString("base64");
  writeFileSync(
    source.replace(/\.wat$/, ".wasm.ts"),
    `/** Generated from ${source.split("/").pop()} by scripts/build-wasm.mjs — do not edit. */\nexport const WASM_BASE64 =\n  "${base64}";\n`,
  );
  console.log(`${source}: ${buffer.length} bytes`);
}
