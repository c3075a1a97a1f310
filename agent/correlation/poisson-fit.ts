/**
 * Maximum-likelihood fit of a model to binned Poisson counts: Fisher scoring (Gauss–Newton with
 * weights 1/μ, which at convergence is the Poisson maximum likelihood) with Levenberg damping, over
 * a chosen subset of the parameters; errors from the inverse Fisher information at the optimum.
 * Small and dense: for the handful of parameters of a peak or dip shape.
 */

export interface BinnedModel {
  /** Expected counts per bin for parameters `q` into `mu`; false where `q` is not allowed (a μ ≤ 0 …). */
  expected(q: readonly number[], mu: Float64Array): boolean;
  /** ∂μ/∂q_p into `out` where it has a closed form; false: take central differences of `expected`. */
  derivative?(q: readonly number[], p: number, mu: Float64Array, out: Float64Array): boolean;
  /** The step of the central difference for parameter p at `q`. */
  step(q: readonly number[], p: number): number;
}

export interface PoissonFit {
  q: number[];
  /** Covariance of the free parameters, indexed as `free`. */
  covariance: number[][];
  free: number[];
  /** Pearson's χ² and the Poisson deviance at the optimum. */
  chi2: number;
  deviance: number;
}

/** Poisson deviance 2Σ[μ − n + n ln(n/μ)]: lower is better; differences compare nested fits. */
export function poissonDeviance(counts: Float64Array, mu: Float64Array): number {
  let dev = 0;
  for (let j = 0; j < mu.length; j++) {
    const n = counts[j]!;
    dev += mu[j]! - n + (n > 0 ? n * Math.log(n / mu[j]!) : 0);
  }
  return 2 * dev;
}

/** Solves m·x = v (Gaussian elimination with partial pivoting); undefined if singular. */
export function solve(m: number[][], v: number[]): number[] | undefined {
  const n = v.length;
  const a = m.map((row, i) => [...row, v[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (!(Math.abs(a[pivot]![col]!) > 1e-300)) return undefined;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      for (let k = col; k <= n; k++) a[r]![k]! -= f * a[col]![k]!;
    }
  }
  return a.map((row, i) => row[n]! / row[i]!);
}

export function inverse(m: number[][]): number[][] | undefined {
  const cols = m.map((_, i) =>
    solve(
      m,
      m.map((__, k) => (k === i ? 1 : 0)),
    ),
  );
  if (cols.some((c) => !c)) return undefined;
  return m.map((_, r) => cols.map((c) => c![r]!));
}

/** ∂μ/∂q for the free parameters (closed form where the model has one, else central differences). */
function jacobian(model: BinnedModel, q: number[], mu: Float64Array, free: number[]): Float64Array[] {
  const n = mu.length;
  const up = new Float64Array(n);
  const down = new Float64Array(n);
  return free.map((p) => {
    const row = new Float64Array(n);
    if (model.derivative?.(q, p, mu, row)) return row;
    const h = model.step(q, p);
    const shifted = (by: number) => q.map((x, i) => (i === p ? x + by : x));
    if (model.expected(shifted(h), up) && model.expected(shifted(-h), down))
      for (let j = 0; j < n; j++) row[j] = (up[j]! - down[j]!) / (2 * h);
    return row;
  });
}

/** Fisher information Σ J_i J_k / μ and the score Σ J_i (n − μ)/μ. */
function information(counts: Float64Array, rows: Float64Array[], mu: Float64Array) {
  const fisher = rows.map((ri) => rows.map((rk) => ri.reduce((s, x, j) => s + (x * rk[j]!) / mu[j]!, 0)));
  const score = rows.map((ri) => ri.reduce((s, x, j) => s + (x * (counts[j]! - mu[j]!)) / mu[j]!, 0));
  return { fisher, score };
}

/** Fits `model` to `counts` from `start`, moving only the `free` parameters; undefined if it cannot. */
export function fitPoisson(
  counts: Float64Array,
  model: BinnedModel,
  start: readonly number[],
  free: number[],
): PoissonFit | undefined {
  let q = [...start];
  let mu = new Float64Array(counts.length);
  if (!model.expected(q, mu)) return undefined;
  let dev = poissonDeviance(counts, mu);
  let lambda = 1e-3;
  for (let iteration = 0; iteration < 200; iteration++) {
    const { fisher, score } = information(counts, jacobian(model, q, mu, free), mu);
    let improved = false;
    let converged = false;
    for (let tries = 0; tries < 30 && !improved; tries++) {
      const damped = fisher.map((row, i) => row.map((x, k) => (i === k ? x * (1 + lambda) : x)));
      const step = solve(damped, score);
      lambda *= 10;
      if (!step) continue;
      const next = q.map((x, p) => x + (free.includes(p) ? step[free.indexOf(p)]! : 0));
      const nextMu = new Float64Array(mu.length);
      if (!model.expected(next, nextMu)) continue;
      const nextDev = poissonDeviance(counts, nextMu);
      if (!(nextDev <= dev)) continue;
      converged = dev - nextDev < 1e-9 * Math.max(1, dev);
      q = next;
      mu = nextMu;
      dev = nextDev;
      lambda = Math.max(1e-9, lambda / 100);
      improved = true;
    }
    if (!improved || converged) break;
  }
  const covariance = inverse(information(counts, jacobian(model, q, mu, free), mu).fisher);
  if (!covariance || covariance.some((row, i) => !(row[i]! >= 0))) return undefined;
  let chi2 = 0;
  for (let j = 0; j < mu.length; j++) chi2 += (counts[j]! - mu[j]!) ** 2 / mu[j]!;
  return { q, covariance, free, chi2, deviance: dev };
}
