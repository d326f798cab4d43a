;; The access-log tokenizer (tokenizer.ts loads it): splits a line into its fields, each `[…]`,
;; `"…"` or a word without spaces, as parser.ts reads them. Runs over the line's bytes in place,
;; sixteen at a time (SIMD): the byte-at-a-time loop in JavaScript was the largest single cost of
;; a busy capture. Build: `npm run build:tokenizer` (writes tokenize-wasm.ts).
;;
;; Each instance works on the memory it is given (tokenizer.ts): its output in the first 64 KiB,
;;   0    i32[32]  field starts   (offsets from the line's first byte; quotes and brackets excluded;
;;                   -1 for a field that is `-` or empty: Envoy's "no value")
;;   128  i32[32]  field ends     (-1 likewise)
;;   256  u8[32]   kinds: 0 word, 1 quoted, 2 bracketed
;;   288  i32      where an unterminated quote opened (offset of the byte after it)
;; then the lines' bytes, then 64 KiB more: a vector load may read up to 15 bytes past a line's
;; end, and stays in the memory; bytes past the end are masked out.
;; Written as one function: V8 does not inline calls between WebAssembly functions, and helper
;; calls cost as much as the scan itself.
(module
  (import "env" "memory" (memory 1))

  ;; Fields of the line at [base, base+len): their count, or -1 more than 32, -2 a quote that does
  ;; not close, -3 a `[` that does not close. A quoted field ends at a quote followed by a blank or
  ;; the line's end (a quote inside a header value does not end it); `[` opens a field only first.
  (func (export "tokenize") (param $base i32) (param $len i32) (result i32)
    (local $i i32) (local $j i32) (local $n i32) (local $c i32) (local $end i32)
    (local $m i32) (local $left i32) (local $kind i32) (local $start i32) (local $v v128)
    (local.set $i (local.get $base))
    (local.set $end (i32.add (local.get $base) (local.get $len)))
    (block $done
      (loop $field
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $i)))
        ;; blanks between fields
        (if (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 9)))
          (then (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $field)))
        (if (i32.eq (local.get $n) (i32.const 32)) (then (return (i32.const -1))))
        (if (i32.eq (local.get $c) (i32.const 34))
          (then
            ;; "…": the first quote followed by a blank or the end
            (local.set $kind (i32.const 1))
            (local.set $start (i32.add (local.get $i) (i32.const 1)))
            (local.set $j (local.get $start))
            (block $closed
              (loop $vector
                (if (i32.ge_u (local.get $j) (local.get $end))
                  (then
                    (i32.store offset=288 (i32.const 0) (i32.sub (local.get $start) (local.get $base)))
                    (return (i32.const -2))))
                (local.set $m (i8x16.bitmask (i8x16.eq (v128.load (local.get $j)) (i8x16.splat (i32.const 34)))))
                (local.set $left (i32.sub (local.get $end) (local.get $j)))
                (if (i32.lt_u (local.get $left) (i32.const 16))
                  (then (local.set $m (i32.and (local.get $m) (i32.sub (i32.shl (i32.const 1) (local.get $left)) (i32.const 1))))))
                ;; each quote in this vector, in order
                (block $nextVector
                  (loop $quote
                    (br_if $nextVector (i32.eqz (local.get $m)))
                    (local.set $c (i32.add (local.get $j) (i32.ctz (local.get $m))))
                    (if (i32.ge_u (i32.add (local.get $c) (i32.const 1)) (local.get $end))
                      (then (local.set $j (local.get $c)) (br $closed)))
                    (local.set $left (i32.load8_u offset=1 (local.get $c)))
                    (if (i32.or (i32.eq (local.get $left) (i32.const 32)) (i32.eq (local.get $left) (i32.const 9)))
                      (then (local.set $j (local.get $c)) (br $closed)))
                    (local.set $m (i32.and (local.get $m) (i32.sub (local.get $m) (i32.const 1))))
                    (br $quote)))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $vector)))
            (local.set $i (i32.add (local.get $j) (i32.const 1))))
          (else
            (if (i32.and (i32.eq (local.get $c) (i32.const 91)) (i32.eqz (local.get $n)))
              (then
                ;; […]: the first `]`
                (local.set $kind (i32.const 2))
                (local.set $start (i32.add (local.get $i) (i32.const 1)))
                (local.set $j (local.get $start))
                (block $closed
                  (loop $vector
                    (if (i32.ge_u (local.get $j) (local.get $end)) (then (return (i32.const -3))))
                    (local.set $m (i8x16.bitmask (i8x16.eq (v128.load (local.get $j)) (i8x16.splat (i32.const 93)))))
                    (local.set $left (i32.sub (local.get $end) (local.get $j)))
                    (if (i32.lt_u (local.get $left) (i32.const 16))
                      (then (local.set $m (i32.and (local.get $m) (i32.sub (i32.shl (i32.const 1) (local.get $left)) (i32.const 1))))))
                    (if (local.get $m)
                      (then (local.set $j (i32.add (local.get $j) (i32.ctz (local.get $m)))) (br $closed)))
                    (local.set $j (i32.add (local.get $j) (i32.const 16)))
                    (br $vector)))
                (local.set $i (i32.add (local.get $j) (i32.const 1))))
              (else
                ;; a word: up to the first blank or the end
                (local.set $kind (i32.const 0))
                (local.set $start (local.get $i))
                (local.set $j (i32.add (local.get $i) (i32.const 1)))
                (block $closed
                  (loop $vector
                    (if (i32.ge_u (local.get $j) (local.get $end)) (then (local.set $j (local.get $end)) (br $closed)))
                    (local.set $v (v128.load (local.get $j)))
                    (local.set $m (i8x16.bitmask (v128.or
                      (i8x16.eq (local.get $v) (i8x16.splat (i32.const 32)))
                      (i8x16.eq (local.get $v) (i8x16.splat (i32.const 9))))))
                    (local.set $left (i32.sub (local.get $end) (local.get $j)))
                    (if (i32.lt_u (local.get $left) (i32.const 16))
                      (then (local.set $m (i32.and (local.get $m) (i32.sub (i32.shl (i32.const 1) (local.get $left)) (i32.const 1))))))
                    (if (local.get $m)
                      (then (local.set $j (i32.add (local.get $j) (i32.ctz (local.get $m)))) (br $closed)))
                    (local.set $j (i32.add (local.get $j) (i32.const 16)))
                    (br $vector)))
                (local.set $i (local.get $j))))))
        ;; `-` or nothing: no value, -1 for both ends
        (if (i32.or
              (i32.eq (local.get $j) (local.get $start))
              (i32.and
                (i32.eq (i32.sub (local.get $j) (local.get $start)) (i32.const 1))
                (i32.eq (i32.load8_u (local.get $start)) (i32.const 45))))
          (then
            (local.set $start (i32.sub (local.get $base) (i32.const 1)))
            (local.set $j (local.get $start))))
        (i32.store (i32.shl (local.get $n) (i32.const 2)) (i32.sub (local.get $start) (local.get $base)))
        (i32.store offset=128 (i32.shl (local.get $n) (i32.const 2)) (i32.sub (local.get $j) (local.get $base)))
        (i32.store8 offset=256 (local.get $n) (local.get $kind))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $field)))
    (local.get $n))
)
