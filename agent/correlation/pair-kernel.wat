;; The cross-correlation engine's hot loops (see pair-kernel.ts), one instance per correlator: the
;; histogram and the two channels' recent times live in this module's memory between calls.
;;
;; Memory (byte offsets set by the caller in the globals): the histogram (i32 per bin) at 0,
;; A times (i64 ps) at $aBuf, B times at $bBuf (with room for two sentinels past the last), and an
;; input area the caller fills with a chunk's channels (u8) and times (f64 ps).
;;
;;  split(chPtr, tPtr, n, takeA, offset)
;;                                 appends the chunk's channel-A times (+ offset) to A (when takeA)
;;                                 and its channel-B times to B, branch-free: every time is written
;;                                 to both and each length moves on by (channel == A) or (== B).
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
    (param $offsetPs f64)
    (local $c i32) (local $t i64) (local $offset i64) (local $chEnd i32) (local $a i32) (local $b i32) (local $chA i32) (local $chB i32)
    ;; Byte addresses: $chPtr and $tPtr walk the input, $a and $b the next free A and B slots.
    (local.set $chEnd (i32.add (local.get $chPtr) (local.get $n)))
    (local.set $a (i32.add (global.get $aBuf) (i32.shl (global.get $aLen) (i32.const 3))))
    (local.set $b (i32.add (global.get $bBuf) (i32.shl (global.get $bLen) (i32.const 3))))
    (local.set $chA (global.get $chA))
    (local.set $chB (global.get $chB))
    (local.set $offset (i64.trunc_f64_s (local.get $offsetPs)))
    (if (i32.lt_u (local.get $chPtr) (local.get $chEnd))
      (then
        (loop $each
          (local.set $t (i64.add (i64.trunc_f64_s (f64.load (local.get $tPtr))) (local.get $offset)))
          (local.set $c (i32.load8_u (local.get $chPtr)))
          (i64.store (local.get $a) (local.get $t))
          (i64.store (local.get $b) (local.get $t))
          (local.set $a (i32.add (local.get $a)
            (i32.shl (i32.and (local.get $takeA) (i32.eq (local.get $c) (local.get $chA))) (i32.const 3))))
          (local.set $b (i32.add (local.get $b) (i32.shl (i32.eq (local.get $c) (local.get $chB)) (i32.const 3))))
          (local.set $tPtr (i32.add (local.get $tPtr) (i32.const 8)))
          (local.set $chPtr (i32.add (local.get $chPtr) (i32.const 1)))
          (br_if $each (i32.lt_u (local.get $chPtr) (local.get $chEnd))))))
    (global.set $aLen (i32.shr_u (i32.sub (local.get $a) (global.get $aBuf)) (i32.const 3)))
    (global.set $bLen (i32.shr_u (i32.sub (local.get $b) (global.get $bBuf)) (i32.const 3))))

  (func (export "pairUpTo") (param $limitPs f64) (param $lastPs f64) (result i32)
    (local $limit i64) (local $ready i32) (local $i i32) (local $lo i32) (local $hi i32) (local $j i32)
    (local $t i64) (local $start i64) (local $end i64) (local $aPtr i32) (local $bPtr i32) (local $m i32)
    (local $mult i64) (local $shift i64) (local $w i64) (local $addr i32)
    (local $left i32) (local $early i32) (local $keep i64) (local $drop i32)
    (local $ap i32) (local $aEnd i32) (local $p i32)
    (local.set $aPtr (global.get $aBuf))
    (local.set $bPtr (global.get $bBuf))
    (local.set $m (global.get $bLen))
    (local.set $mult (global.get $mult))
    (local.set $shift (global.get $shift))
    (local.set $w (global.get $w))
    ;; Pairs this call may still count before the histogram must be emptied (an int32: the budget is below 2^31).
    (local.set $left (i32.trunc_sat_f64_s (f64.sub (global.get $budget) (global.get $pairs))))
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
    ;; Byte addresses from here on: $ap walks A, $lo and $hi walk B, $p the B times of one A.
    (local.set $ap (local.get $aPtr))
    (local.set $aEnd (i32.add (local.get $aPtr) (i32.shl (local.get $ready) (i32.const 3))))
    (local.set $lo (local.get $bPtr))
    (local.set $hi (local.get $bPtr))
    (block $paired
      (loop $outer
        (br_if $paired (i32.ge_u (local.get $ap) (local.get $aEnd)))
        (if (i32.lt_s (local.get $left) (i32.const 0))
          (then (local.set $early (i32.const 1)) (br $paired)))
        (local.set $t (i64.load (local.get $ap)))
        (local.set $start (i64.sub (local.get $t) (local.get $w)))
        (local.set $end (i64.add (local.get $t) (local.get $w)))
        ;; lo: the first B at or after t − w. Each A moves it on by about one B on average: two
        ;; branch-free steps take most of it without a mispredicted loop exit, a loop the rest.
        (local.set $lo (i32.add (local.get $lo)
          (i32.shl (i64.lt_s (i64.load (local.get $lo)) (local.get $start)) (i32.const 3))))
        (local.set $lo (i32.add (local.get $lo)
          (i32.shl (i64.lt_s (i64.load (local.get $lo)) (local.get $start)) (i32.const 3))))
        (block $lo_done
          (loop $lo_loop
            (br_if $lo_done (i64.ge_s (i64.load (local.get $lo)) (local.get $start)))
            (local.set $lo (i32.add (local.get $lo) (i32.const 8)))
            (br $lo_loop)))
        ;; hi: the first B at or after t + w, the same way.
        (local.set $hi (select (local.get $lo) (local.get $hi) (i32.lt_u (local.get $hi) (local.get $lo))))
        (local.set $hi (i32.add (local.get $hi)
          (i32.shl (i64.lt_s (i64.load (local.get $hi)) (local.get $end)) (i32.const 3))))
        (local.set $hi (i32.add (local.get $hi)
          (i32.shl (i64.lt_s (i64.load (local.get $hi)) (local.get $end)) (i32.const 3))))
        (block $hi_done
          (loop $hi_loop
            (br_if $hi_done (i64.ge_s (i64.load (local.get $hi)) (local.get $end)))
            (local.set $hi (i32.add (local.get $hi) (i32.const 8)))
            (br $hi_loop)))
        (local.set $left (i32.sub (local.get $left) (i32.shr_u (i32.sub (local.get $hi) (local.get $lo)) (i32.const 3))))
        ;; Each B time in [lo, hi): counts[((b − start)·mult) >> shift]++ (the histogram is at address 0).
        (local.set $p (local.get $lo))
        (if (i32.lt_u (local.get $p) (local.get $hi))
          (then
            (loop $inner
              (local.set $addr
                (i32.shl
                  (i32.wrap_i64
                    (i64.shr_u
                      (i64.mul (i64.sub (i64.load (local.get $p)) (local.get $start)) (local.get $mult))
                      (local.get $shift)))
                  (i32.const 2)))
              (i32.store (local.get $addr) (i32.add (i32.load (local.get $addr)) (i32.const 1)))
              (local.set $p (i32.add (local.get $p) (i32.const 8)))
              (br_if $inner (i32.lt_u (local.get $p) (local.get $hi))))))
        (local.set $ap (i32.add (local.get $ap) (i32.const 8)))
        (br $outer)))
    (local.set $i (i32.shr_u (i32.sub (local.get $ap) (local.get $aPtr)) (i32.const 3)))
    (global.set $pairs (f64.sub (global.get $budget) (f64.convert_i32_s (local.get $left))))
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
