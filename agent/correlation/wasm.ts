/**
 * Loading the hand-written WebAssembly kernels (the .wat beside each .wasm.ts): each module compiled
 * once per thread; an instance (with its own memory, grown on demand) per user that keeps state
 * there, or one shared per thread.
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

const modules = new Map<string, object>();

/** A new instance (its own memory) of the module in `base64`, compiled once per thread; exports typed as `T`. */
export function instantiate<T extends { memory: WasmMemory }>(base64: string): T {
  let module = modules.get(base64);
  if (!module) {
    module = new WebAssembly.Module(Buffer.from(base64, "base64"));
    modules.set(base64, module);
  }
  return new WebAssembly.Instance(module).exports as T;
}

/** A lazily built instance of the module in `base64`, shared by its callers in this thread. */
export function kernel<T extends { memory: WasmMemory }>(base64: string): () => T {
  let instance: T | undefined;
  return () => {
    instance ??= instantiate<T>(base64);
    return instance;
  };
}

/** The memory's buffer, grown to at least `bytes` (growing detaches earlier views). */
export function memoryOf(memory: WasmMemory, bytes: number): ArrayBuffer {
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / PAGE));
  return memory.buffer;
}
