/**
 * Loading the hand-written WebAssembly kernels (the .wat beside each .wasm.ts): one instance per
 * kernel per thread, its memory grown on demand. Callers copy their arrays in and out per call.
 */

/** The little of the WebAssembly API used here (this project's TypeScript libs do not declare it). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
};

export interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface WasmGlobal<T> {
  value: T;
}

const PAGE = 65_536;

/** A lazily built instance of the module in `base64`, its exports typed as `T`. */
export function kernel<T extends { memory: WasmMemory }>(base64: string): () => T {
  let instance: T | undefined;
  return () => {
    instance ??= new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(base64, "base64"))).exports as T;
    return instance;
  };
}

/** The memory's buffer, grown to at least `bytes` (growing detaches earlier views). */
export function memoryOf(memory: WasmMemory, bytes: number): ArrayBuffer {
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / PAGE));
  return memory.buffer;
}
