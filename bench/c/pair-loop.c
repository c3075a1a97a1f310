/*
 * The reference the pair kernel is measured against (bench/correlation.ts): the plain two-pointer
 * pair count in C, as one would write it, on the same A and B times (int64 ps, ascending), with the
 * bin width read at run time. Input: a file of int64 nA, nB, W, bin, then A and B. Output: one JSON
 * line with the best of `runs` timings and the pair count.
 * Build: cc -O3 -march=native -o pair-loop pair-loop.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: pair-loop FILE RUNS\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  int64_t head[4];
  if (fread(head, 8, 4, f) != 4) return 1;
  int64_t nA = head[0], nB = head[1], W = head[2], bin = head[3];
  int64_t *a = malloc(8 * nA), *b = malloc(8 * nB);
  if (fread(a, 8, nA, f) != (size_t)nA || fread(b, 8, nB, f) != (size_t)nB) return 1;
  fclose(f);
  int64_t bins = 2 * W / bin;
  uint32_t *counts = malloc(4 * bins);
  int runs = atoi(argv[2]);
  double best = 1e30;
  uint64_t pairs = 0;
  for (int r = 0; r < runs; r++) {
    memset(counts, 0, 4 * bins);
    double t0 = now();
    int64_t lo = 0;
    for (int64_t i = 0; i < nA; i++) {
      int64_t t = a[i];
      while (lo < nB && b[lo] < t - W) lo++;
      for (int64_t j = lo; j < nB && b[j] < t + W; j++) counts[(b[j] - t + W) / bin]++;
    }
    double dt = now() - t0;
    if (dt < best) best = dt;
    pairs = 0;
    for (int64_t k = 0; k < bins; k++) pairs += counts[k];
  }
  printf("{\"seconds\":%.6f,\"pairs\":%llu}\n", best, (unsigned long long)pairs);
  return 0;
}
