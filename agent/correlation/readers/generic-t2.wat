;; PTU generic T2 records (HydraHarp, TimeHarp 260, MultiHarp, PicoHarp 330) to times and
;; channels — the decoder's hot loop, see ptu-records.ts for the layout. A record below 2^31 is a
;; photon: channel[30:25], time[24:0]. Special records: channel 63 = overflow (count in the time
;; field, 0 meaning 1; `single` = one wrap each), channel 0 = sync (channel 64 out), else a marker.
;; Out: times (f64, in time units), channels (u8), photons per channel (i32[64], added to), and the
;; running overflow offset and the special-record counts in globals.
;; Regenerate generic-t2.wasm.ts with `node scripts/build-wasm.mjs` after changing this file.
(module
  (memory (export "memory") 1)
  (global $ofl (export "ofl") (mut f64) (f64.const 0))
  (global $overflowRecords (export "overflowRecords") (mut i32) (i32.const 0))
  (global $overflows (export "overflows") (mut f64) (f64.const 0))
  (global $syncs (export "syncs") (mut i32) (i32.const 0))
  (global $markers (export "markers") (mut i32) (i32.const 0))
  (func (export "decode")
    (param $wPtr i32) (param $n i32) (param $chPtr i32) (param $tPtr i32) (param $cntPtr i32)
    (param $wrap f64) (param $single i32)
    (result i32)
    (local $i i32) (local $out i32) (local $w i32) (local $ch i32) (local $ofl f64) (local $k i32)
    (local $a i32)
    (local.set $ofl (global.get $ofl))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $w (i32.load (i32.add (local.get $wPtr) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        ;; A photon: the common case.
        (if (i32.ge_s (local.get $w) (i32.const 0))
          (then
            (local.set $ch (i32.shr_u (local.get $w) (i32.const 25)))
            (f64.store (i32.add (local.get $tPtr) (i32.shl (local.get $out) (i32.const 3)))
              (f64.add (local.get $ofl) (f64.convert_i32_u (i32.and (local.get $w) (i32.const 0x1ffffff)))))
            (i32.store8 (i32.add (local.get $chPtr) (local.get $out)) (local.get $ch))
            (local.set $out (i32.add (local.get $out) (i32.const 1)))
            (local.set $a (i32.add (local.get $cntPtr) (i32.shl (local.get $ch) (i32.const 2))))
            (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
            (br $loop)))
        (local.set $ch (i32.and (i32.shr_u (local.get $w) (i32.const 25)) (i32.const 0x3f)))
        ;; Overflow.
        (if (i32.eq (local.get $ch) (i32.const 0x3f))
          (then
            (local.set $k (i32.and (local.get $w) (i32.const 0x1ffffff)))
            (if (i32.or (local.get $single) (i32.eqz (local.get $k))) (then (local.set $k (i32.const 1))))
            (local.set $ofl (f64.add (local.get $ofl) (f64.mul (local.get $wrap) (f64.convert_i32_u (local.get $k)))))
            (global.set $overflowRecords (i32.add (global.get $overflowRecords) (i32.const 1)))
            (global.set $overflows (f64.add (global.get $overflows) (f64.convert_i32_u (local.get $k))))
            (br $loop)))
        ;; Sync, or a marker.
        (if (i32.eqz (local.get $ch))
          (then
            (f64.store (i32.add (local.get $tPtr) (i32.shl (local.get $out) (i32.const 3)))
              (f64.add (local.get $ofl) (f64.convert_i32_u (i32.and (local.get $w) (i32.const 0x1ffffff)))))
            (i32.store8 (i32.add (local.get $chPtr) (local.get $out)) (i32.const 64))
            (local.set $out (i32.add (local.get $out) (i32.const 1)))
            (global.set $syncs (i32.add (global.get $syncs) (i32.const 1))))
          (else (global.set $markers (i32.add (global.get $markers) (i32.const 1)))))
        (br $loop)))
    (global.set $ofl (local.get $ofl))
    (local.get $out)))
