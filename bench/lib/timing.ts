/** The benchmarks' timer: the best of `runs` runs of `work` (the machines are shared and noisy). */
export function best<T>(runs: number, work: () => T): { seconds: number; result: T } {
  let seconds = Number.POSITIVE_INFINITY;
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = work();
    seconds = Math.min(seconds, (performance.now() - t0) / 1000);
  }
  return { seconds, result };
}
