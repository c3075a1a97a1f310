;; The cross-correlation hot loop (see pair-kernel.ts). Each A time a[i] is paired with every B time
;; in [a[i] − w, a[i] + w): counts[(b − (a[i] − w)) / bin]++. Times are f64 integer picoseconds,
;; both arrays ascending; bin index arithmetic in i32 (the window is below 2^31 ps).
;; Regenerate pair-kernel.wasm.ts with `node scripts/build-wasm.mjs` after changing this file.
(module
  (memory (export "memory") 1)
  (func (export "pair")
    (param $aPtr i32) (param $n i32) (param $bPtr i32) (param $m i32)
    (param $w f64) (param $bin i32) (param $cPtr i32)
    (local $i i32) (local $lo i32) (local $hi i32) (local $j i32)
    (local $start f64) (local $end f64) (local $t f64) (local $addr i32)
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $t (f64.load (i32.add (local.get $aPtr) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $start (f64.sub (local.get $t) (local.get $w)))
        (local.set $end (f64.add (local.get $t) (local.get $w)))
        ;; lo: the first B at or after t − w
        (block $lo_done
          (loop $lo_loop
            (br_if $lo_done (i32.ge_u (local.get $lo) (local.get $m)))
            (br_if $lo_done
              (f64.ge (f64.load (i32.add (local.get $bPtr) (i32.shl (local.get $lo) (i32.const 3))))
                      (local.get $start)))
            (local.set $lo (i32.add (local.get $lo) (i32.const 1)))
            (br $lo_loop)))
        (if (i32.lt_u (local.get $hi) (local.get $lo)) (then (local.set $hi (local.get $lo))))
        ;; hi: the first B at or after t + w
        (block $hi_done
          (loop $hi_loop
            (br_if $hi_done (i32.ge_u (local.get $hi) (local.get $m)))
            (br_if $hi_done
              (f64.ge (f64.load (i32.add (local.get $bPtr) (i32.shl (local.get $hi) (i32.const 3))))
                      (local.get $end)))
            (local.set $hi (i32.add (local.get $hi) (i32.const 1)))
            (br $hi_loop)))
        (local.set $j (local.get $lo))
        (block $in_done
          (loop $inner
            (br_if $in_done (i32.ge_u (local.get $j) (local.get $hi)))
            (local.set $addr
              (i32.add (local.get $cPtr)
                (i32.shl
                  (i32.div_u
                    (i32.trunc_f64_s
                      (f64.sub (f64.load (i32.add (local.get $bPtr) (i32.shl (local.get $j) (i32.const 3))))
                               (local.get $start)))
                    (local.get $bin))
                  (i32.const 2))))
            (i32.store (local.get $addr) (i32.add (i32.load (local.get $addr)) (i32.const 1)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $inner)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))))
