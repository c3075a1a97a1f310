;; The cross-correlation engine's hot loops (see pair-kernel.ts), one instance per correlator: the
;; histogram and the two channels' recent times live in this module's memory between calls.
;;
;; Memory (byte offsets set by the caller in the globals): the histogram (i32 per bin) at $hist,
;; A times (i64 ps) at $aBuf, B times at $bBuf (with room for two sentinels past the last), and an
;; input area the caller fills with a chunk's channels (u8) and times (f64 ps).
;;
;;  split(chPtr, tPtr, n, takeA)   appends the chunk's channel-A times to A (when takeA) and its
;;                                 channel-B times to B, branch-free: every time is written to both
;;                                 and each length moves on by (channel == A) or (channel == B).
;;  pairUpTo(limit, last)          pairs every A time ≤ limit with the B times in [t − w, t + w):
;;                                 counts[((b − (t − w)) · mult) >> shift]++ — the bin index by
;;                                 multiply and shift, exact for 0 ≤ b − t + w < 2^31 (Granlund and
;;                                 Montgomery: mult = ⌈2^shift / bin⌉, shift = 31 + ⌈log2 bin⌉); then
;;                                 drops those A times and the B times no later A time can reach
;;                                 (below the next A time, or `last`, less w). Returns 1 when it
;;                                 stopped early because the pairs since the caller last emptied the
;;                                 histogram reached $budget (so no int32 bin can overflow): empty
;;                                 it, then call again.
;; Regenerate pair-kernel.wasm.ts with `node scripts/build-wasm.mjs` after changing this file.
(module
  (memory (export "memory") 1)
  (global $hist (export "hist") (mut i32) (i32.const 0))
  (global $aBuf (export "aBuf") (mut i32) (i32.const 0))
  (global $bBuf (export "bBuf") (mut i32) (i32.const 0))
  (global $aLen (export "aLen") (mut i32) (i32.const 0))
  (global $bLen (export "bLen") (mut i32) (i32.const 0))
  (global $chA (export "chA") (mut i32) (i32.const 0))
  (global $chB (export "chB") (mut i32) (i32.const 0))
  (global $w (export "w") (mut i64) (i64.const 0))
  (global $mult (export "mult") (mut i64) (i64.const 1))
  (global $shift (export "shift") (mut i64) (i64.const 0))
  ;; Pairs counted since the caller last emptied the histogram, and the most it may hold.
  (global $pairs (export "pairs") (mut f64) (f64.const 0))
  (global $budget (export "budget") (mut f64) (f64.const 1073741824))

  (func (export "split") (param $chPtr i32) (param $tPtr i32) (param $n i32) (param $takeA i32)
    (local $i i32) (local $t i64) (local $c i32) (local $a i32) (local $b i32)
    (local $aPtr i32) (local $bPtr i32) (local $chA i32) (local $chB i32)
    (local.set $a (global.get $aLen))
    (local.set $b (global.get $bLen))
    (local.set $aPtr (global.get $aBuf))
    (local.set $bPtr (global.get $bBuf))
    (local.set $chA (global.get $chA))
    (local.set $chB (global.get $chB))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $t (i64.trunc_f64_s (f64.load (i32.add (local.get $tPtr) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $c (i32.load8_u (i32.add (local.get $chPtr) (local.get $i))))
        (i64.store (i32.add (local.get $aPtr) (i32.shl (local.get $a) (i32.const 3))) (local.get $t))
        (i64.store (i32.add (local.get $bPtr) (i32.shl (local.get $b) (i32.const 3))) (local.get $t))
        (local.set $a (i32.add (local.get $a) (i32.and (local.get $takeA) (i32.eq (local.get $c) (local.get $chA)))))
        (local.set $b (i32.add (local.get $b) (i32.eq (local.get $c) (local.get $chB))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (global.set $aLen (local.get $a))
    (global.set $bLen (local.get $b)))

  (func (export "pairUpTo") (param $limitPs f64) (param $lastPs f64) (result i32)
    (local $limit i64) (local $ready i32) (local $i i32) (local $lo i32) (local $hi i32) (local $j i32)
    (local $t i64) (local $start i64) (local $end i64) (local $aPtr i32) (local $bPtr i32) (local $m i32)
    (local $hist i32) (local $mult i64) (local $shift i64) (local $w i64) (local $addr i32)
    (local $pairs f64) (local $early i32) (local $keep i64) (local $drop i32)
    (local.set $aPtr (global.get $aBuf))
    (local.set $bPtr (global.get $bBuf))
    (local.set $m (global.get $bLen))
    (local.set $hist (global.get $hist))
    (local.set $mult (global.get $mult))
    (local.set $shift (global.get $shift))
    (local.set $w (global.get $w))
    (local.set $pairs (global.get $pairs))
    ;; ready: the A times ≤ limit (A is ascending). A limit past every time is +∞ from the caller.
    (if (f64.ge (local.get $limitPs) (f64.const 9.2e18))
      (then (local.set $ready (global.get $aLen)))
      (else
        (local.set $limit (i64.trunc_f64_s (local.get $limitPs)))
        (block $found
          (loop $count
            (br_if $found (i32.ge_u (local.get $ready) (global.get $aLen)))
            (br_if $found (i64.gt_s (i64.load (i32.add (local.get $aPtr) (i32.shl (local.get $ready) (i32.const 3))))
                                    (local.get $limit)))
            (local.set $ready (i32.add (local.get $ready) (i32.const 1)))
            (br $count)))))
    ;; Sentinels past the last B time: the pointer scans below need no bounds test.
    (i64.store (i32.add (local.get $bPtr) (i32.shl (local.get $m) (i32.const 3))) (i64.const 0x7fffffffffffffff))
    (i64.store (i32.add (local.get $bPtr) (i32.shl (i32.add (local.get $m) (i32.const 1)) (i32.const 3)))
               (i64.const 0x7fffffffffffffff))
    (block $paired
      (loop $outer
        (br_if $paired (i32.ge_u (local.get $i) (local.get $ready)))
        (if (f64.ge (local.get $pairs) (global.get $budget))
          (then (local.set $early (i32.const 1)) (br $paired)))
        (local.set $t (i64.load (i32.add (local.get $aPtr) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $start (i64.sub (local.get $t) (local.get $w)))
        (local.set $end (i64.add (local.get $t) (local.get $w)))
        ;; lo: the first B at or after t − w. Each A moves it on by about one B on average: two
        ;; branch-free steps take most of it without a mispredicted loop exit, a loop the rest.
        (local.set $lo (i32.add (local.get $lo)
          (i64.lt_s (i64.load (i32.add (local.get $bPtr) (i32.shl (local.get $lo) (i32.const 3)))) (local.get $start))))
        (local.set $lo (i32.add (local.get $lo)
          (i64.lt_s (i64.load (i32.add (local.get $bPtr) (i32.shl (local.get $lo) (i32.const 3)))) (local.get $start))))
        (block $lo_done
          (loop $lo_loop
            (br_if $lo_done (i64.ge_s (i64.load (i32.add (local.get $bPtr) (i32.shl (local.get $lo) (i32.const 3))))
                                      (local.get $start)))
            (local.set $lo (i32.add (local.get $lo) (i32.const 1)))
            (br $lo_loop)))
        ;; hi: the first B at or after t + w, the same way.
        (local.set $hi (select (local.get $lo) (local.get $hi) (i32.lt_u (local.get $hi) (local.get $lo))))
        (local.set $hi (i32.add (local.get $hi)
          (i64.lt_s (i64.load (i32.add (local.get $bPtr) (i32.shl (local.get $hi) (i32.const 3)))) (local.get $end))))
        (local.set $hi (i32.add (local.get $hi)
          (i64.lt_s (i64.load (i32.add (local.get $bPtr) (i32.shl (local.get $hi) (i32.const 3)))) (local.get $end))))
        (block $hi_done
          (loop $hi_loop
            (br_if $hi_done (i64.ge_s (i64.load (i32.add (local.get $bPtr) (i32.shl (local.get $hi) (i32.const 3))))
                                      (local.get $end)))
            (local.set $hi (i32.add (local.get $hi) (i32.const 1)))
            (br $hi_loop)))
        (local.set $pairs (f64.add (local.get $pairs) (f64.convert_i32_u (i32.sub (local.get $hi) (local.get $lo)))))
        (local.set $j (local.get $lo))
        (block $in_done
          (loop $inner
            (br_if $in_done (i32.ge_u (local.get $j) (local.get $hi)))
            (local.set $addr
              (i32.add (local.get $hist)
                (i32.shl
                  (i32.wrap_i64
                    (i64.shr_u
                      (i64.mul
                        (i64.sub (i64.load (i32.add (local.get $bPtr) (i32.shl (local.get $j) (i32.const 3))))
                                 (local.get $start))
                        (local.get $mult))
                      (local.get $shift)))
                  (i32.const 2))))
            (i32.store (local.get $addr) (i32.add (i32.load (local.get $addr)) (i32.const 1)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $inner)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (global.set $pairs (local.get $pairs))
    ;; Drop the paired A times.
    (memory.copy (local.get $aPtr) (i32.add (local.get $aPtr) (i32.shl (local.get $i) (i32.const 3)))
                 (i32.shl (i32.sub (global.get $aLen) (local.get $i)) (i32.const 3)))
    (global.set $aLen (i32.sub (global.get $aLen) (local.get $i)))
    ;; Drop the B times below the next A time (or the last time seen) less w.
    (local.set $keep
      (i64.sub
        (if (result i64) (i32.gt_u (global.get $aLen) (i32.const 0))
          (then (i64.load (local.get $aPtr)))
          (else (i64.trunc_f64_s (local.get $lastPs))))
        (local.get $w)))
    (block $kept
      (loop $scan
        (br_if $kept (i32.ge_u (local.get $drop) (local.get $m)))
        (br_if $kept (i64.ge_s (i64.load (i32.add (local.get $bPtr) (i32.shl (local.get $drop) (i32.const 3))))
                               (local.get $keep)))
        (local.set $drop (i32.add (local.get $drop) (i32.const 1)))
        (br $scan)))
    (memory.copy (local.get $bPtr) (i32.add (local.get $bPtr) (i32.shl (local.get $drop) (i32.const 3)))
                 (i32.shl (i32.sub (local.get $m) (local.get $drop)) (i32.const 3)))
    (global.set $bLen (i32.sub (local.get $m) (local.get $drop)))
    (local.get $early)))
