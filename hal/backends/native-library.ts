/**
 * A vendor's C library (PicoQuant's HHLib/MHLib/TH260Lib, qutools' tdcbase) opened through koffi,
 * loaded only when a bench names such an instrument. A library that is missing, not a shared
 * object, or lacks a function fails with a message naming the file (and the function), never a crash.
 *
 * Every call runs on koffi's worker threads (`.async`) so a USB transfer inside the vendor's code
 * never stalls the agent's event loop, and calls are queued one at a time: the vendors' libraries
 * are not documented as safe to enter from two threads at once.
 */
import { access, constants } from "node:fs/promises";
import { type NativeLibrary, NativeLibraryError } from "../native.js";

interface KoffiFunction {
  async(...args: unknown[]): void;
}
interface KoffiLibrary {
  func(prototype: string): KoffiFunction;
}

export async function loadNativeLibrary(path: string, what: string): Promise<NativeLibrary> {
  await access(path, constants.R_OK).catch((err: NodeJS.ErrnoException) => {
    throw new NativeLibraryError(
      path,
      `${what} not found (${err.code ?? err.message}); set its path in the bench file`,
    );
  });
  let koffi: { load(path: string): KoffiLibrary };
  try {
    koffi = (await import("koffi")).default as unknown as typeof koffi;
  } catch (err) {
    throw new NativeLibraryError(path, `cannot load the FFI package koffi (${(err as Error).message})`);
  }
  let lib: KoffiLibrary;
  try {
    lib = koffi.load(path);
  } catch (err) {
    throw new NativeLibraryError(
      path,
      `not a loadable shared library for ${what}: ${(err as Error).message}`,
    );
  }
  let queue: Promise<unknown> = Promise.resolve();
  return {
    path,
    declare<R>(prototype: string) {
      let fn: KoffiFunction;
      try {
        fn = lib.func(prototype);
      } catch (err) {
        throw new NativeLibraryError(
          path,
          `${(err as Error).message} (${what} too old or not the right library?)`,
        );
      }
      return (...args) => {
        const call = queue.then(
          () =>
            new Promise<R>((resolve, reject) =>
              fn.async(...args, (err: Error | null, result: R) => (err ? reject(err) : resolve(result))),
            ),
        );
        queue = call.catch(() => undefined);
        return call;
      };
    },
  };
}
