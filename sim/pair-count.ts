/**
 * The obvious exact pair count, the reference the correlators are checked against (tests and
 * bench/cw-cases.ts): pairs with τ = t(b) − t(a) in [lo, hi), by two pointers over sorted lists.
 */
export function exactPairs(a: ArrayLike<number>, b: ArrayLike<number>, lo: number, hi: number): number {
  let n = 0;
  let j = 0;
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    const t = a[i]!;
    while (j < b.length && b[j]! < t + lo) j++;
    while (k < b.length && b[k]! < t + hi) k++;
    n += k - j;
  }
  return n;
}
