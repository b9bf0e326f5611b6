// RUN: axon-opt %s --axon-plan-memory -split-input-file | FileCheck %s
// Planning twice gives the same plan.
// RUN: axon-opt %s --axon-plan-memory --axon-plan-memory -split-input-file | FileCheck %s

// A chain: each result dies at the next kernel, so the third kernel reuses
// the first one's offset and the fourth the second's. Largest buffers are
// placed first (256 bytes at 0), the 64-byte ones above them.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: attributes {axon.arena_size = 320 : i64, axon.buffer_bytes = 640 : i64}
// CHECK: axon.kernel "k0"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 0>} -> tensor<4x16xf32>
// CHECK: axon.kernel "k1"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 256>} -> tensor<16xf32>
// CHECK: axon.kernel "k2"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 0>} -> tensor<4x16xf32>
// CHECK: axon.kernel "k3"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 256>} -> tensor<16xf32>
func.func @chain(%x: tensor<4x16xf32>) -> tensor<16xf32> {
  %a = axon.kernel "k0" "injective" (%x : tensor<4x16xf32>) {
  ^bb0(%i: tensor<4x16xf32>):
    %e = axon.exp %i : tensor<4x16xf32>
    axon.kernel_yield %e : tensor<4x16xf32>
  } -> tensor<4x16xf32>
  %b = axon.kernel "k1" "reduction" (%a : tensor<4x16xf32>) {
  ^bb0(%i: tensor<4x16xf32>):
    %s = axon.sum %i {axes = array<i64: 0>} : tensor<4x16xf32> -> tensor<16xf32>
    axon.kernel_yield %s : tensor<16xf32>
  } -> tensor<16xf32>
  %c = axon.kernel "k2" "injective" (%x, %b : tensor<4x16xf32>, tensor<16xf32>) {
  ^bb0(%i: tensor<4x16xf32>, %j: tensor<16xf32>):
    %s = axon.add %i, %j : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
    axon.kernel_yield %s : tensor<4x16xf32>
  } -> tensor<4x16xf32>
  %d = axon.kernel "k3" "reduction" (%c : tensor<4x16xf32>) {
  ^bb0(%i: tensor<4x16xf32>):
    %s = axon.sum %i {axes = array<i64: 0>} : tensor<4x16xf32> -> tensor<16xf32>
    axon.kernel_yield %s : tensor<16xf32>
  } -> tensor<16xf32>
  return %d : tensor<16xf32>
}

// -----

// Results live at the same time get disjoint ranges, including the results
// of one kernel. i1 takes a byte per element (64 bytes), a rank-0 f32
// rounds up to 64 bytes. %s is read by the last kernel, so it may not share
// with anything: it goes above %a/%out (0), %r (256) and %m (512).
// CHECK-LABEL: func.func @overlap
// CHECK-SAME: attributes {axon.arena_size = 640 : i64, axon.buffer_bytes = 896 : i64}
// CHECK: axon.kernel "k0"
// CHECK: } {axon.inplace = ["", "", ""], axon.offsets = array<i64: 0, 512, 576>} -> tensor<4x16xf32>, tensor<4x16xi1>, tensor<f32>
// CHECK: axon.kernel "k1"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 256>} -> tensor<4x16xf32>
// CHECK: axon.kernel "k2"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 0>} -> tensor<4x16xf32>
func.func @overlap(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %a, %m, %s = axon.kernel "k0" "single" (%x : tensor<4x16xf32>) {
  ^bb0(%i: tensor<4x16xf32>):
    %e = axon.exp %i : tensor<4x16xf32>
    %z = axon.constant dense<0.0> : tensor<f32>
    %c = axon.cmp gt, %i, %z : tensor<4x16xf32>, tensor<f32> -> tensor<4x16xi1>
    %t = axon.sum %i {axes = array<i64>} : tensor<4x16xf32> -> tensor<f32>
    axon.kernel_yield %e, %c, %t : tensor<4x16xf32>, tensor<4x16xi1>, tensor<f32>
  } -> tensor<4x16xf32>, tensor<4x16xi1>, tensor<f32>
  %r = axon.kernel "k1" "injective" (%m, %a, %x : tensor<4x16xi1>, tensor<4x16xf32>, tensor<4x16xf32>) {
  ^bb0(%c: tensor<4x16xi1>, %i: tensor<4x16xf32>, %j: tensor<4x16xf32>):
    %e = axon.select %c, %i, %j : tensor<4x16xi1>, tensor<4x16xf32>, tensor<4x16xf32> -> tensor<4x16xf32>
    axon.kernel_yield %e : tensor<4x16xf32>
  } -> tensor<4x16xf32>
  %out = axon.kernel "k2" "injective" (%r, %s : tensor<4x16xf32>, tensor<f32>) {
  ^bb0(%i: tensor<4x16xf32>, %j: tensor<f32>):
    %e = axon.mul %i, %j : tensor<4x16xf32>, tensor<f32> -> tensor<4x16xf32>
    axon.kernel_yield %e : tensor<4x16xf32>
  } -> tensor<4x16xf32>
  return %out : tensor<4x16xf32>
}

// -----

// A returned value lives to the end: %a (returned) is not reused by the
// third kernel as it would be in a plain chain; %b (dead after "k2") is
// reused by the last kernel. Constants take no arena space.
// CHECK-LABEL: func.func @returned
// CHECK-SAME: attributes {axon.arena_size = 192 : i64, axon.buffer_bytes = 256 : i64}
// CHECK: axon.kernel "k0"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 0>} -> tensor<4xf32>
// CHECK: axon.kernel "k1"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 64>} -> tensor<4xf32>
// CHECK: axon.kernel "k2"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 128>} -> tensor<4xf32>
// CHECK: axon.kernel "k3"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 64>} -> tensor<4xf32>
func.func @returned(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %k = axon.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %a = axon.kernel "k0" "injective" (%x : tensor<4xf32>) {
  ^bb0(%i: tensor<4xf32>):
    %e = axon.exp %i : tensor<4xf32>
    axon.kernel_yield %e : tensor<4xf32>
  } -> tensor<4xf32>
  %b = axon.kernel "k1" "injective" (%a, %k : tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%i: tensor<4xf32>, %j: tensor<4xf32>):
    %e = axon.mul %i, %j : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
    axon.kernel_yield %e : tensor<4xf32>
  } -> tensor<4xf32>
  %c = axon.kernel "k2" "injective" (%b : tensor<4xf32>) {
  ^bb0(%i: tensor<4xf32>):
    %e = axon.tanh %i : tensor<4xf32>
    axon.kernel_yield %e : tensor<4xf32>
  } -> tensor<4xf32>
  %d = axon.kernel "k3" "injective" (%c : tensor<4xf32>) {
  ^bb0(%i: tensor<4xf32>):
    %e = axon.neg %i : tensor<4xf32>
    axon.kernel_yield %e : tensor<4xf32>
  } -> tensor<4xf32>
  return %a, %d : tensor<4xf32>, tensor<4xf32>
}

// -----

// In-place updates. "loss" reads W before the update; "update" reads W
// element for element and writes the new W over it; "adam" updates W2 and
// its moment M together; "reset" does not read V, so any kind of kernel may
// write V in place. Only the loss takes arena space.
axon.param @W : tensor<4x4xf32> = zeros
axon.param @W2 : tensor<4x4xf32> = zeros
axon.param @M : tensor<4x4xf32> = zeros
axon.param @V : tensor<4x4xf32> = zeros

// CHECK-LABEL: func.func @sgd
// CHECK-SAME: attributes {axon.arena_size = 64 : i64, axon.buffer_bytes = 64 : i64}
// CHECK: axon.kernel "loss"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 0>} -> tensor<f32>
// CHECK: axon.kernel "update"
// CHECK: } {axon.inplace = ["W"], axon.offsets = array<i64: -1>} -> tensor<4x4xf32>
// CHECK: axon.kernel "adam"
// CHECK: } {axon.inplace = ["W2", "M"], axon.offsets = array<i64: -1, -1>} -> tensor<4x4xf32>, tensor<4x4xf32>
// CHECK: axon.kernel "reset"
// CHECK: } {axon.inplace = ["V"], axon.offsets = array<i64: -1>} -> tensor<4x4xf32>
func.func @sgd(%g: tensor<4x4xf32>) -> tensor<f32> {
  %w = axon.param_ref @W : tensor<4x4xf32>
  %l = axon.kernel "loss" "reduction" (%w : tensor<4x4xf32>) {
  ^bb0(%p: tensor<4x4xf32>):
    %s = axon.sum %p {axes = array<i64>} : tensor<4x4xf32> -> tensor<f32>
    axon.kernel_yield %s : tensor<f32>
  } -> tensor<f32>
  %nw = axon.kernel "update" "injective" (%w, %g : tensor<4x4xf32>, tensor<4x4xf32>) {
  ^bb0(%p: tensor<4x4xf32>, %q: tensor<4x4xf32>):
    %lr = axon.constant dense<1.0e-01> : tensor<f32>
    %m = axon.mul %q, %lr : tensor<4x4xf32>, tensor<f32> -> tensor<4x4xf32>
    %s = axon.sub %p, %m : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
    axon.kernel_yield %s : tensor<4x4xf32>
  } -> tensor<4x4xf32>
  axon.param_store %nw into @W : tensor<4x4xf32>
  %w2 = axon.param_ref @W2 : tensor<4x4xf32>
  %m = axon.param_ref @M : tensor<4x4xf32>
  %nw2, %nm = axon.kernel "adam" "injective" (%w2, %m, %g : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) {
  ^bb0(%p: tensor<4x4xf32>, %mo: tensor<4x4xf32>, %q: tensor<4x4xf32>):
    %b = axon.constant dense<9.0e-01> : tensor<f32>
    %a = axon.mul %mo, %b : tensor<4x4xf32>, tensor<f32> -> tensor<4x4xf32>
    %n = axon.add %a, %q : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
    %s = axon.sub %p, %n : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
    axon.kernel_yield %s, %n : tensor<4x4xf32>, tensor<4x4xf32>
  } -> tensor<4x4xf32>, tensor<4x4xf32>
  axon.param_store %nw2 into @W2 : tensor<4x4xf32>
  axon.param_store %nm into @M : tensor<4x4xf32>
  %nv = axon.kernel "reset" "contraction" (%g : tensor<4x4xf32>) {
  ^bb0(%q: tensor<4x4xf32>):
    %t = axon.matmul %q, %q : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
    axon.kernel_yield %t : tensor<4x4xf32>
  } -> tensor<4x4xf32>
  axon.param_store %nv into @V : tensor<4x4xf32>
  return %l : tensor<f32>
}

// -----

// Not in place: a later kernel ("norm") reads the old W, so the new W takes
// an arena slot that lives to the end (the runtime copies it into W).
axon.param @W : tensor<4x4xf32> = zeros

// CHECK-LABEL: func.func @read_after_update
// CHECK-SAME: attributes {axon.arena_size = 128 : i64, axon.buffer_bytes = 128 : i64}
// CHECK: axon.kernel "update"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 0>} -> tensor<4x4xf32>
// CHECK: axon.kernel "norm"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 64>} -> tensor<f32>
func.func @read_after_update(%g: tensor<4x4xf32>) -> tensor<f32> {
  %w = axon.param_ref @W : tensor<4x4xf32>
  %nw = axon.kernel "update" "injective" (%w, %g : tensor<4x4xf32>, tensor<4x4xf32>) {
  ^bb0(%p: tensor<4x4xf32>, %q: tensor<4x4xf32>):
    %s = axon.sub %p, %q : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
    axon.kernel_yield %s : tensor<4x4xf32>
  } -> tensor<4x4xf32>
  %n = axon.kernel "norm" "reduction" (%w : tensor<4x4xf32>) {
  ^bb0(%p: tensor<4x4xf32>):
    %s = axon.sum %p {axes = array<i64>} : tensor<4x4xf32> -> tensor<f32>
    axon.kernel_yield %s : tensor<f32>
  } -> tensor<f32>
  axon.param_store %nw into @W : tensor<4x4xf32>
  return %n : tensor<f32>
}

// -----

// Not in place either, each for its own reason: "flip" reads A transposed
// (element i of the result needs another element of A); "contract" reads B
// and is a contraction; "ret" is also returned; "twice" is stored into two
// parameters; "bump" updates F, whose old value is returned. All live to
// the end, so none share.
axon.param @A : tensor<4x4xf32> = zeros
axon.param @B : tensor<4x4xf32> = zeros
axon.param @C : tensor<4x4xf32> = zeros
axon.param @D : tensor<4x4xf32> = zeros
axon.param @E : tensor<4x4xf32> = zeros
axon.param @F : tensor<4x4xf32> = zeros

// CHECK-LABEL: func.func @not_in_place
// CHECK-SAME: attributes {axon.arena_size = 320 : i64, axon.buffer_bytes = 320 : i64}
// CHECK: axon.kernel "flip"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 0>}
// CHECK: axon.kernel "contract"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 64>}
// CHECK: axon.kernel "ret"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 128>}
// CHECK: axon.kernel "twice"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 192>}
// CHECK: axon.kernel "bump"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 256>}
func.func @not_in_place(%g: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %a = axon.param_ref @A : tensor<4x4xf32>
  %na = axon.kernel "flip" "injective" (%a : tensor<4x4xf32>) {
  ^bb0(%p: tensor<4x4xf32>):
    %t = axon.transpose %p {perm = array<i64: 1, 0>} : tensor<4x4xf32> -> tensor<4x4xf32>
    %s = axon.add %p, %t : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
    axon.kernel_yield %s : tensor<4x4xf32>
  } -> tensor<4x4xf32>
  %b = axon.param_ref @B : tensor<4x4xf32>
  %nb = axon.kernel "contract" "contraction" (%b, %g : tensor<4x4xf32>, tensor<4x4xf32>) {
  ^bb0(%p: tensor<4x4xf32>, %q: tensor<4x4xf32>):
    %t = axon.matmul %p, %q : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
    axon.kernel_yield %t : tensor<4x4xf32>
  } -> tensor<4x4xf32>
  %nc = axon.kernel "ret" "injective" (%g : tensor<4x4xf32>) {
  ^bb0(%q: tensor<4x4xf32>):
    %t = axon.neg %q : tensor<4x4xf32>
    axon.kernel_yield %t : tensor<4x4xf32>
  } -> tensor<4x4xf32>
  %nd = axon.kernel "twice" "injective" (%g : tensor<4x4xf32>) {
  ^bb0(%q: tensor<4x4xf32>):
    %t = axon.exp %q : tensor<4x4xf32>
    axon.kernel_yield %t : tensor<4x4xf32>
  } -> tensor<4x4xf32>
  %f = axon.param_ref @F : tensor<4x4xf32>
  %nf = axon.kernel "bump" "injective" (%g : tensor<4x4xf32>) {
  ^bb0(%q: tensor<4x4xf32>):
    %t = axon.abs %q : tensor<4x4xf32>
    axon.kernel_yield %t : tensor<4x4xf32>
  } -> tensor<4x4xf32>
  axon.param_store %na into @A : tensor<4x4xf32>
  axon.param_store %nb into @B : tensor<4x4xf32>
  axon.param_store %nc into @C : tensor<4x4xf32>
  axon.param_store %nd into @D : tensor<4x4xf32>
  axon.param_store %nd into @E : tensor<4x4xf32>
  axon.param_store %nf into @F : tensor<4x4xf32>
  return %nc, %f : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// A loop: events are k0 (0), the loop's start (1), k1 in its body (2), the
// loop's end (3), k2 (4). The step t and both carried values live over the
// loop, [1, 3]; a carried value to the last reader of the loop's result
// (k2, so [1, 4]). %a is read inside the body, so it lives to the loop's
// end and k1's result (yielded, [2, 3]) cannot take its place; k2 can. The
// yield gives carried value 0 carried value 1 (a swap with the body's
// result), so it is staged in a buffer of its own at the loop's end.
// CHECK-LABEL: func.func @loop
// CHECK-SAME: attributes {axon.arena_size = 384 : i64, axon.buffer_bytes = 448 : i64}
// CHECK: axon.kernel "k0"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 0>} -> tensor<16xf32>
// CHECK: axon.loop
// CHECK: axon.kernel "k1"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 64>} -> tensor<16xf32>
// CHECK: } {axon.offsets = array<i64: 128, 192, 256>, axon.staging = array<i64: 320, -1>} -> tensor<16xf32>, tensor<16xf32>
// CHECK: axon.kernel "k2"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 0>} -> tensor<16xf32>
func.func @loop(%x: tensor<16xf32>) -> tensor<16xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<5> : tensor<i64>
  %a = axon.kernel "k0" "injective" (%x : tensor<16xf32>) {
  ^bb0(%i: tensor<16xf32>):
    %e = axon.exp %i : tensor<16xf32>
    axon.kernel_yield %e : tensor<16xf32>
  } -> tensor<16xf32>
  %r:2 = axon.loop %lo to %hi carry(%x, %a : tensor<16xf32>, tensor<16xf32>) {
  ^bb0(%t: tensor<i64>, %h: tensor<16xf32>, %c: tensor<16xf32>):
    %b = axon.kernel "k1" "injective" (%h, %t, %a : tensor<16xf32>, tensor<i64>, tensor<16xf32>) {
    ^bb0(%i: tensor<16xf32>, %s: tensor<i64>, %j: tensor<16xf32>):
      %f = axon.cast %s : tensor<i64> -> tensor<f32>
      %g = axon.add %i, %f : tensor<16xf32>, tensor<f32> -> tensor<16xf32>
      %k = axon.mul %g, %j : tensor<16xf32>, tensor<16xf32> -> tensor<16xf32>
      axon.kernel_yield %k : tensor<16xf32>
    } -> tensor<16xf32>
    axon.yield %c, %b : tensor<16xf32>, tensor<16xf32>
  } -> tensor<16xf32>, tensor<16xf32>
  %o = axon.kernel "k2" "injective" (%r#0, %r#1 : tensor<16xf32>, tensor<16xf32>) {
  ^bb0(%i: tensor<16xf32>, %j: tensor<16xf32>):
    %e = axon.add %i, %j : tensor<16xf32>, tensor<16xf32> -> tensor<16xf32>
    axon.kernel_yield %e : tensor<16xf32>
  } -> tensor<16xf32>
  return %o : tensor<16xf32>
}

// -----

// Yielded results computed straight into their carried value's buffer: k0's
// second result (carried value 1) reads the old value only element for
// element in one loop nest and nothing later reads it, so it takes carried
// value 1's offset (256) and the step needs no copy. k1 (a reduction, not
// one loop nest) also reads carried value 0, so its result gets a buffer of
// its own and is copied at the end of the step; so does k0's first result,
// which k1 reads.
// CHECK-LABEL: func.func @carried_in_place
// CHECK-SAME: attributes {axon.arena_size = 320 : i64, axon.buffer_bytes = 320 : i64}
// CHECK: axon.kernel "k0"
// CHECK: } {axon.inplace = ["", ""], axon.offsets = array<i64: 0, 256>} -> tensor<16xf32>, tensor<16xf32>
// CHECK: axon.kernel "k1"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 64>} -> tensor<16xf32>
// CHECK: } {axon.offsets = array<i64: 128, 192, 256>, axon.staging = array<i64: -1, -1>} -> tensor<16xf32>, tensor<16xf32>
func.func @carried_in_place(%x: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<5> : tensor<i64>
  %r:2 = axon.loop %lo to %hi carry(%x, %x : tensor<16xf32>, tensor<16xf32>) {
  ^bb0(%t: tensor<i64>, %v: tensor<16xf32>, %n: tensor<16xf32>):
    %a:2 = axon.kernel "k0" "injective" (%v, %n : tensor<16xf32>, tensor<16xf32>) {
    ^bb0(%i: tensor<16xf32>, %j: tensor<16xf32>):
      %e = axon.exp %i : tensor<16xf32>
      %s = axon.add %e, %j : tensor<16xf32>, tensor<16xf32> -> tensor<16xf32>
      axon.kernel_yield %e, %s : tensor<16xf32>, tensor<16xf32>
    } -> tensor<16xf32>, tensor<16xf32>
    %b = axon.kernel "k1" "reduction" (%a#0, %v : tensor<16xf32>, tensor<16xf32>) {
    ^bb0(%i: tensor<16xf32>, %j: tensor<16xf32>):
      %m = axon.mul %i, %j : tensor<16xf32>, tensor<16xf32> -> tensor<16xf32>
      %s = axon.softmax %m {axis = 0 : i64} : tensor<16xf32>
      axon.kernel_yield %s : tensor<16xf32>
    } -> tensor<16xf32>
    axon.yield %b, %a#1 : tensor<16xf32>, tensor<16xf32>
  } -> tensor<16xf32>, tensor<16xf32>
  return %r#0, %r#1 : tensor<16xf32>, tensor<16xf32>
}

// -----

// A loop that stores a row per step (what axon-autodiff makes of a loop it
// differentiates): the lone row write into the carried stack reads neither
// the stack nor the rest of its buffer, so its result takes the stack's
// buffer (offset 0) and a step writes one row, copying nothing; the store
// comes first in the body, so k1 may then compute the next h into h's
// buffer (384). The store writes row t of the 5 rows at each of the 5
// steps and nothing else reads the stack: its initial value is never read
// (axon.overwritten), h's is.
// CHECK-LABEL: func.func @stored_rows
// CHECK: axon.kernel "store"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 0>} -> tensor<5x16xf32>
// CHECK: axon.kernel "k1"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 384>} -> tensor<16xf32>
// CHECK: } {axon.offsets = array<i64: 320, 384, 0>, axon.overwritten = array<i1: false, true>, axon.staging = array<i64: -1, -1>}
func.func @stored_rows(%x: tensor<16xf32>, %z: tensor<5x16xf32>) -> (tensor<16xf32>, tensor<5x16xf32>) {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<5> : tensor<i64>
  %r:2 = axon.loop %lo to %hi carry(%x, %z : tensor<16xf32>, tensor<5x16xf32>) {
  ^bb0(%t: tensor<i64>, %h: tensor<16xf32>, %s: tensor<5x16xf32>):
    %w = axon.kernel "store" "single" (%s, %t, %h : tensor<5x16xf32>, tensor<i64>, tensor<16xf32>) {
    ^bb0(%a: tensor<5x16xf32>, %i: tensor<i64>, %b: tensor<16xf32>):
      %u = axon.dynamic_update_row %a[%i], %b : tensor<5x16xf32>, tensor<16xf32>
      axon.kernel_yield %u : tensor<5x16xf32>
    } -> tensor<5x16xf32>
    %n = axon.kernel "k1" "injective" (%h : tensor<16xf32>) {
    ^bb0(%a: tensor<16xf32>):
      %e = axon.tanh %a : tensor<16xf32>
      axon.kernel_yield %e : tensor<16xf32>
    } -> tensor<16xf32>
    axon.yield %n, %w : tensor<16xf32>, tensor<5x16xf32>
  } -> tensor<16xf32>, tensor<5x16xf32>
  return %r#0, %r#1 : tensor<16xf32>, tensor<5x16xf32>
}

// -----

// The row index computed in another kernel (4 - t, backwards over the 5
// rows) still writes every row once: the first stack's initial value is
// never read. The second is written at max(t, 1): row 1 twice, row 0
// keeps its initial value; the third is also read by the body.
// CHECK-LABEL: func.func @overwritten_stacks
// CHECK: axon.overwritten = array<i1: true, false, false>
func.func @overwritten_stacks(%x: tensor<16xf32>, %z: tensor<5x16xf32>) -> (tensor<5x16xf32>, tensor<5x16xf32>, tensor<5x16xf32>) {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<5> : tensor<i64>
  %r:3 = axon.loop %lo to %hi carry(%z, %z, %z : tensor<5x16xf32>, tensor<5x16xf32>, tensor<5x16xf32>) {
  ^bb0(%t: tensor<i64>, %s: tensor<5x16xf32>, %s2: tensor<5x16xf32>, %s3: tensor<5x16xf32>):
    %k:2 = axon.kernel "index" "injective" (%t : tensor<i64>) {
    ^bb0(%a: tensor<i64>):
      %c4 = axon.constant dense<4> : tensor<i64>
      %c1 = axon.constant dense<1> : tensor<i64>
      %d = axon.sub %c4, %a : tensor<i64>, tensor<i64> -> tensor<i64>
      %m = axon.max %a, %c1 : tensor<i64>, tensor<i64> -> tensor<i64>
      axon.kernel_yield %d, %m : tensor<i64>, tensor<i64>
    } -> tensor<i64>, tensor<i64>
    %w = axon.kernel "store" "single" (%s, %k#0, %x : tensor<5x16xf32>, tensor<i64>, tensor<16xf32>) {
    ^bb0(%a: tensor<5x16xf32>, %i: tensor<i64>, %b: tensor<16xf32>):
      %u = axon.dynamic_update_row %a[%i], %b : tensor<5x16xf32>, tensor<16xf32>
      axon.kernel_yield %u : tensor<5x16xf32>
    } -> tensor<5x16xf32>
    %w2 = axon.kernel "store2" "single" (%s2, %k#1, %x : tensor<5x16xf32>, tensor<i64>, tensor<16xf32>) {
    ^bb0(%a: tensor<5x16xf32>, %i: tensor<i64>, %b: tensor<16xf32>):
      %u = axon.dynamic_update_row %a[%i], %b : tensor<5x16xf32>, tensor<16xf32>
      axon.kernel_yield %u : tensor<5x16xf32>
    } -> tensor<5x16xf32>
    %w3 = axon.kernel "store3" "single" (%s3, %t, %x : tensor<5x16xf32>, tensor<i64>, tensor<16xf32>) {
    ^bb0(%a: tensor<5x16xf32>, %i: tensor<i64>, %b: tensor<16xf32>):
      %u = axon.dynamic_update_row %a[%i], %b : tensor<5x16xf32>, tensor<16xf32>
      axon.kernel_yield %u : tensor<5x16xf32>
    } -> tensor<5x16xf32>
    %n = axon.kernel "read" "reduction" (%s3 : tensor<5x16xf32>) {
    ^bb0(%a: tensor<5x16xf32>):
      %e = axon.sum %a {axes = array<i64: 0>} : tensor<5x16xf32> -> tensor<16xf32>
      axon.kernel_yield %e : tensor<16xf32>
    } -> tensor<16xf32>
    %w4 = axon.kernel "use" "injective" (%w3, %n : tensor<5x16xf32>, tensor<16xf32>) {
    ^bb0(%a: tensor<5x16xf32>, %b: tensor<16xf32>):
      %e = axon.add %a, %b : tensor<5x16xf32>, tensor<16xf32> -> tensor<5x16xf32>
      axon.kernel_yield %e : tensor<5x16xf32>
    } -> tensor<5x16xf32>
    axon.yield %w, %w2, %w4 : tensor<5x16xf32>, tensor<5x16xf32>, tensor<5x16xf32>
  } -> tensor<5x16xf32>, tensor<5x16xf32>, tensor<5x16xf32>
  return %r#0, %r#1, %r#2 : tensor<5x16xf32>, tensor<5x16xf32>, tensor<5x16xf32>
}

// -----

// Row writes outside loops: each takes its target's buffer when nothing
// reads the target after it (zeros -> w0 -> w1 all at 0); w1's result is
// returned, so w2 writes into a buffer of its own (320), which the plan
// fills with a copy of w1's result before the kernel runs.
// CHECK-LABEL: func.func @row_writes
// CHECK-SAME: attributes {axon.arena_size = 640 : i64, axon.buffer_bytes = 640 : i64}
// CHECK: axon.kernel "zeros"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 0>} -> tensor<5x16xf32>
// CHECK: axon.kernel "w0"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 0>} -> tensor<5x16xf32>
// CHECK: axon.kernel "w1"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 0>} -> tensor<5x16xf32>
// CHECK: axon.kernel "w2"
// CHECK: } {axon.inplace = [""], axon.offsets = array<i64: 320>} -> tensor<5x16xf32>
func.func @row_writes(%x: tensor<16xf32>, %i: tensor<i64>) -> (tensor<5x16xf32>, tensor<5x16xf32>) {
  %z = axon.kernel "zeros" "injective" {
    %f = axon.fill {value = 0.0 : f64} : tensor<5x16xf32>
    axon.kernel_yield %f : tensor<5x16xf32>
  } -> tensor<5x16xf32>
  %a = axon.kernel "w0" "single" (%z, %i, %x : tensor<5x16xf32>, tensor<i64>, tensor<16xf32>) {
  ^bb0(%t: tensor<5x16xf32>, %k: tensor<i64>, %u: tensor<16xf32>):
    %w = axon.dynamic_update_row %t[%k], %u : tensor<5x16xf32>, tensor<16xf32>
    axon.kernel_yield %w : tensor<5x16xf32>
  } -> tensor<5x16xf32>
  %b = axon.kernel "w1" "single" (%a, %i, %x : tensor<5x16xf32>, tensor<i64>, tensor<16xf32>) {
  ^bb0(%t: tensor<5x16xf32>, %k: tensor<i64>, %u: tensor<16xf32>):
    %w = axon.dynamic_update_row %t[%k], %u : tensor<5x16xf32>, tensor<16xf32>
    axon.kernel_yield %w : tensor<5x16xf32>
  } -> tensor<5x16xf32>
  %c = axon.kernel "w2" "single" (%b, %i, %x : tensor<5x16xf32>, tensor<i64>, tensor<16xf32>) {
  ^bb0(%t: tensor<5x16xf32>, %k: tensor<i64>, %u: tensor<16xf32>):
    %w = axon.dynamic_update_row %t[%k], %u : tensor<5x16xf32>, tensor<16xf32>
    axon.kernel_yield %w : tensor<5x16xf32>
  } -> tensor<5x16xf32>
  return %b, %c : tensor<5x16xf32>, tensor<5x16xf32>
}
