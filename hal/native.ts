/**
 * A vendor's C library as the drivers see it (hal/backends/native-library.ts opens one through
 * koffi): C functions declared by prototype, each call a promise.
 */

/**
 * One C function: its arguments as koffi marshals them (numbers, typed arrays, Buffers, `[0]`
 * out-cells); its result as koffi returns it (a number, or a string for `const char *`).
 */
export type NativeCall<R = number> = (...args: unknown[]) => Promise<R>;

export interface NativeLibrary {
  readonly path: string;
  /** Declares `prototype` (a C declaration with koffi's `_Out_` marks); throws if the library lacks it. */
  declare<R = number>(prototype: string): NativeCall<R>;
}

/** Opens the library at `path`; `what` names it in errors ("the HydraHarp 400 library"). */
export type NativeLibraryLoader = (path: string, what: string) => Promise<NativeLibrary>;

export class NativeLibraryError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = "NativeLibraryError";
  }
}

/** A C string written into `buffer`, up to its first NUL. */
export function cString(buffer: Buffer): string {
  const end = buffer.indexOf(0);
  return buffer.toString("latin1", 0, end < 0 ? buffer.length : end);
}
