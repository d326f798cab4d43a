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
;;   292  i32      1 when the line is Istio's 1.9+ TEXT layout and every field the parser checks
;;                   passes (its fast path, below), else 0
;;   296  i32[5]   then: RESPONSE_CODE, BYTES_RECEIVED, BYTES_SENT, DURATION,
;;                   UPSTREAM_SERVICE_TIME (-1 for `-`)
;;   316  i32[2]   the request field's first and last space (from the line's first byte)
;;   324  i32      START_TIME's seconds and milliseconds as ms into its minute, when it has the
;;                   usual form (`2026-11-25T07:00:01.234Z`), else -1
;;   328  i32[3]   UPSTREAM_LOCAL_ADDRESS, then (340) DOWNSTREAM_REMOTE_ADDRESS, as four bits a
;;                   character when it has up to 24 of digits, `.` and `:`, else 0 (see below)
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
    (local $d v128) (local $digit v128) (local $dot v128) (local $colon v128) (local $ok v128) (local $in v128)
    (i32.store offset=292 (i32.const 0) (i32.const 0))
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
    ;; The fast path's verdict. Nearly every line is a 1.9+ line, and checking its fields here, in
    ;; the same pass, costs a fraction of checking them in JavaScript. The checks are the parser's
    ;; (checkText() in parser.ts) made stricter: 22 fields of exactly the layout's kinds, numbers
    ;; of at most 9 digits. A line that fails any is not wrong, only checked by the parser.
    (if (i32.ne (local.get $n) (i32.const 22)) (then (return (local.get $n))))
    ;; [start] "request" code flags details termination "transport" 4 numbers "5 headers", then
    ;; 6 words (the bytes of kinds past the 22nd are stale, masked out)
    (if (i32.eqz (i8x16.all_true (i8x16.eq (v128.load offset=256 (i32.const 0))
          (v128.const i8x16 2 1 0 0 0 0 1 0 0 0 0 1 1 1 1 1))))
      (then (return (local.get $n))))
    (if (i64.ne (i64.and (i64.load offset=272 (i32.const 0)) (i64.const 0xffffffffffff)) (i64.const 0))
      (then (return (local.get $n))))
    ;; The numbers: field 2, then 7–10, into 296–312 (-1 for `-`). $j walks the fields, $m the output.
    (local.set $j (i32.const 2))
    (local.set $m (i32.const 296))
    (loop $number
      (local.set $start (i32.load (i32.shl (local.get $j) (i32.const 2))))
      (local.set $c (i32.const -1))
      (if (i32.ge_s (local.get $start) (i32.const 0))
        (then
          (local.set $i (i32.add (local.get $base) (local.get $start)))
          (local.set $end (i32.add (local.get $base) (i32.load offset=128 (i32.shl (local.get $j) (i32.const 2)))))
          (if (i32.gt_u (i32.sub (local.get $end) (local.get $i)) (i32.const 9)) (then (return (local.get $n))))
          (local.set $c (i32.const 0))
          (loop $digit
            (local.set $kind (i32.sub (i32.load8_u (local.get $i)) (i32.const 48)))
            (if (i32.gt_u (local.get $kind) (i32.const 9)) (then (return (local.get $n))))
            (local.set $c (i32.add (i32.mul (local.get $c) (i32.const 10)) (local.get $kind)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $digit (i32.lt_u (local.get $i) (local.get $end))))))
      (i32.store (local.get $m) (local.get $c))
      (local.set $m (i32.add (local.get $m) (i32.const 4)))
      (local.set $j (select (i32.const 7) (i32.add (local.get $j) (i32.const 1)) (i32.eq (local.get $j) (i32.const 2))))
      (br_if $number (i32.le_u (local.get $j) (i32.const 10))))
    ;; The request: its first space and its last, with something between them.
    (local.set $start (i32.load (i32.const 4)))
    (if (i32.lt_s (local.get $start) (i32.const 0)) (then (return (local.get $n))))
    (local.set $i (i32.add (local.get $base) (local.get $start)))
    (local.set $end (i32.add (local.get $base) (i32.load offset=128 (i32.const 4))))
    (block $found
      (loop $space
        (br_if $found (i32.eq (i32.load8_u (local.get $i)) (i32.const 32)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $space (i32.lt_u (local.get $i) (local.get $end)))
        (return (local.get $n))))
    ;; the last space, after the first
    (local.set $j (local.get $end))
    (block $found
      (loop $space
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (if (i32.le_u (local.get $j) (local.get $i)) (then (return (local.get $n))))
        (br_if $found (i32.eq (i32.load8_u (local.get $j)) (i32.const 32)))
        (br $space)))
    (i32.store offset=316 (i32.const 0) (i32.sub (local.get $i) (local.get $base)))
    (i32.store offset=320 (i32.const 0) (i32.sub (local.get $j) (local.get $base)))
    ;; START_TIME: `…T07:00:01.234Z` gives 1234, anything else -1 (the parser reads it then).
    (local.set $c (i32.const -1))
    (local.set $start (i32.load (i32.const 0)))
    (if (i32.and (i32.ge_s (local.get $start) (i32.const 0))
          (i32.eq (i32.sub (i32.load offset=128 (i32.const 0)) (local.get $start)) (i32.const 24)))
      (then
        (local.set $i (i32.add (local.get $base) (local.get $start)))
        ;; `:ss.mmmZ` as eight bytes, each digit less '0'; all of it checked at once
        (local.set $v (i8x16.sub (v128.load64_zero offset=16 (local.get $i))
          (v128.const i8x16 58 48 48 46 48 48 48 90 0 0 0 0 0 0 0 0)))
        (if (i32.and
              (i8x16.all_true (i8x16.lt_u (local.get $v) (v128.const i8x16 10 10 10 10 10 10 10 10 1 1 1 1 1 1 1 1)))
              (i32.and
                (i32.eqz (i8x16.extract_lane_u 0 (local.get $v)))
                (i32.and (i32.eqz (i8x16.extract_lane_u 3 (local.get $v))) (i32.eqz (i8x16.extract_lane_u 7 (local.get $v))))))
          (then
            (local.set $j (i32.add (i32.mul (i8x16.extract_lane_u 1 (local.get $v)) (i32.const 10)) (i8x16.extract_lane_u 2 (local.get $v))))
            (if (i32.lt_u (local.get $j) (i32.const 61))
              (then
                (local.set $c (i32.add
                  (i32.mul (local.get $j) (i32.const 1000))
                  (i32.add
                    (i32.add (i32.mul (i8x16.extract_lane_u 4 (local.get $v)) (i32.const 100)) (i32.mul (i8x16.extract_lane_u 5 (local.get $v)) (i32.const 10)))
                    (i8x16.extract_lane_u 6 (local.get $v)))))))))))
    (i32.store offset=324 (i32.const 0) (local.get $c))
    ;; A connection's two ends in twelve bytes each: UPSTREAM_LOCAL_ADDRESS (field 17) and
    ;; DOWNSTREAM_REMOTE_ADDRESS (field 19). Correlation pairs a client's line with its server's
    ;; by them, long after both lines left the CPU's caches: kept beside the line's offsets they
    ;; spare reading its bytes. An address of up to 24 digits, dots and colons (IPv4 and port) is
    ;; written a character per four bits (digits 1–10, `.` 11, `:` 12, 0 after the last), so that
    ;; equal words mean equal text; any other (a name, `-`) is all 0 and compared as text.
    (local.set $j (i32.const 17))
    (local.set $m (i32.const 328))
    (loop $address
      (i64.store (local.get $m) (i64.const 0))
      (i32.store offset=8 (local.get $m) (i32.const 0))
      (local.set $start (i32.load (i32.shl (local.get $j) (i32.const 2))))
      (local.set $left (i32.sub (i32.load offset=128 (i32.shl (local.get $j) (i32.const 2))) (local.get $start)))
      (if (i32.and (i32.ge_s (local.get $start) (i32.const 0)) (i32.le_u (local.get $left) (i32.const 24)))
        (then
          (local.set $i (i32.add (local.get $base) (local.get $start)))
          (block $packed
            (block $no
              ;; characters 0–15, then 16–23: $kind counts the vectors
              (local.set $kind (i32.const 0))
              (loop $vector
                (local.set $v (if (result v128) (local.get $kind)
                  (then (v128.load64_zero offset=16 (local.get $i)))
                  (else (v128.load (local.get $i)))))
                ;; lanes before the address's end
                (local.set $in (i8x16.gt_s (i8x16.splat (local.get $left))
                  (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)))
                (local.set $d (i8x16.sub (local.get $v) (i8x16.splat (i32.const 48))))
                (local.set $digit (i8x16.lt_u (local.get $d) (i8x16.splat (i32.const 10))))
                (local.set $dot (i8x16.eq (local.get $v) (i8x16.splat (i32.const 46))))
                (local.set $colon (i8x16.eq (local.get $v) (i8x16.splat (i32.const 58))))
                (local.set $ok (v128.or (local.get $digit) (v128.or (local.get $dot) (local.get $colon))))
                (br_if $no (i32.eqz (i8x16.all_true (v128.or (local.get $ok) (v128.not (local.get $in))))))
                (local.set $v (v128.and (local.get $in) (v128.or
                  (v128.and (local.get $digit) (i8x16.add (local.get $d) (i8x16.splat (i32.const 1))))
                  (v128.or
                    (v128.and (local.get $dot) (i8x16.splat (i32.const 11)))
                    (v128.and (local.get $colon) (i8x16.splat (i32.const 12)))))))
                ;; two characters a byte: the even one low, the odd one high
                (local.set $v (v128.or
                  (v128.and (local.get $v) (i16x8.splat (i32.const 0x00ff)))
                  (i16x8.shl (i16x8.shr_u (local.get $v) (i32.const 8)) (i32.const 4))))
                (local.set $v (i8x16.narrow_i16x8_u (local.get $v) (local.get $v)))
                (if (local.get $kind)
                  (then (v128.store32_lane offset=8 0 (local.get $m) (local.get $v)))
                  (else (v128.store64_lane 0 (local.get $m) (local.get $v))))
                (local.set $kind (i32.add (local.get $kind) (i32.const 1)))
                (local.set $left (i32.sub (local.get $left) (i32.const 16)))
                (br_if $vector (i32.and (i32.eq (local.get $kind) (i32.const 1)) (i32.gt_s (local.get $left) (i32.const 0)))))
              (br $packed))
            ;; not of those characters: nothing packed
            (i64.store (local.get $m) (i64.const 0))
            (i32.store offset=8 (local.get $m) (i32.const 0)))))
      (local.set $m (i32.add (local.get $m) (i32.const 12)))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br_if $address (i32.le_u (local.get $j) (i32.const 19))))
    (i32.store offset=292 (i32.const 0) (i32.const 1))
    (local.get $n))
)
