/** The search pattern: a square spiral out from a centre, nearest points first. */

type Range = { minUm: number; maxUm: number };

/**
 * Points (x, y) of a square spiral around `centre` with `step`, out to ±`maxRadius`. Points beyond
 * the soft limits are brought onto them (so a peak just outside is still seen from the edge), each
 * point once.
 */
export function* squareSpiral(
  centre: { x?: number; y?: number },
  step: number,
  maxRadius: number,
  x: Range,
  y: Range,
): Generator<{ x: number; y: number }> {
  const cx = centre.x ?? 0;
  const cy = centre.y ?? 0;
  const seen = new Set<string>();
  const point = (px: number, py: number) => {
    const p = { x: Math.min(x.maxUm, Math.max(x.minUm, px)), y: Math.min(y.maxUm, Math.max(y.minUm, py)) };
    const key = `${p.x},${p.y}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    return p;
  };
  let i = 0;
  let j = 0;
  yield point(cx, cy)!;
  const dirs = [
    [1, 0],
    [0, 1],
    [-1, 0],
    [0, -1],
  ] as const;
  for (let leg = 1, d = 0; leg * step <= 2 * maxRadius + step; d++) {
    const [di, dj] = dirs[d % 4]!;
    for (let k = 0; k < leg; k++) {
      i += di;
      j += dj;
      if (Math.abs(i * step) > maxRadius || Math.abs(j * step) > maxRadius) continue;
      const p = point(cx + i * step, cy + j * step);
      if (p) yield p;
    }
    if (d % 2 === 1) leg++;
  }
}
