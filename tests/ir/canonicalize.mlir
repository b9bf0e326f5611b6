// What --canonicalize --cse do to axon IR: pure ops are merged and dropped
// when dead, folders fire, and constants are deduplicated and hoisted.
// RUN: axon-opt %s --canonicalize --cse -split-input-file | FileCheck %s

// CSE merges identical ops, then the users that became identical.
// CHECK-LABEL: func.func @cse
// CHECK-NEXT: %[[M:.*]] = axon.mul %arg0, %arg1
// CHECK-NEXT: %[[E:.*]] = axon.exp %[[M]]
// CHECK-NEXT: return %[[E]], %[[E]]
func.func @cse(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = axon.mul %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = axon.mul %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %2 = axon.exp %0 : tensor<4xf32>
  %3 = axon.exp %1 : tensor<4xf32>
  return %2, %3 : tensor<4xf32>, tensor<4xf32>
}

// -----

// mul, add, max and min are Commutative: operand order does not matter.
// CHECK-LABEL: func.func @cse_commutative
// CHECK-NEXT: %[[M:.*]] = axon.mul
// CHECK-NEXT: %[[A:.*]] = axon.max
// CHECK-NEXT: return %[[M]], %[[M]], %[[A]], %[[A]]
func.func @cse_commutative(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = axon.mul %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = axon.mul %y, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %2 = axon.max %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %3 = axon.max %y, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// sub and div are not commutative: swapped operands stay apart.
// CHECK-LABEL: func.func @no_cse_non_commutative
// CHECK-NEXT: %[[A:.*]] = axon.sub %arg0, %arg1
// CHECK-NEXT: %[[B:.*]] = axon.sub %arg1, %arg0
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @no_cse_non_commutative(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = axon.sub %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = axon.sub %y, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Ops merge only when their attributes agree too.
// CHECK-LABEL: func.func @cse_attributes
// CHECK-NEXT: %[[S1:.*]] = axon.sum %arg0 {axes = array<i64: 1>}
// CHECK-NEXT: %[[S0:.*]] = axon.sum %arg0 {axes = array<i64: 0>}
// CHECK-NEXT: %[[LT:.*]] = axon.cmp lt, %arg1, %arg1
// CHECK-NEXT: %[[GT:.*]] = axon.cmp gt, %arg1, %arg1
// CHECK-NEXT: return %[[S1]], %[[S0]], %[[S1]], %[[LT]], %[[GT]], %[[LT]]
func.func @cse_attributes(%x: tensor<2x3xf32>, %y: tensor<3xf32>) -> (tensor<2xf32>, tensor<3xf32>, tensor<2xf32>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>) {
  %0 = axon.sum %x {axes = array<i64: 1>} : tensor<2x3xf32> -> tensor<2xf32>
  %1 = axon.sum %x {axes = array<i64: 0>} : tensor<2x3xf32> -> tensor<3xf32>
  %2 = axon.sum %x {axes = array<i64: 1>} : tensor<2x3xf32> -> tensor<2xf32>
  %3 = axon.cmp lt, %y, %y : tensor<3xf32>, tensor<3xf32> -> tensor<3xi1>
  %4 = axon.cmp gt, %y, %y : tensor<3xf32>, tensor<3xf32> -> tensor<3xi1>
  %5 = axon.cmp lt, %y, %y : tensor<3xf32>, tensor<3xf32> -> tensor<3xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<2xf32>, tensor<3xf32>, tensor<2xf32>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>
}

// -----

// The random ops are pure functions of (seed, counter): the same draw is
// merged, a different seed or counter is not.
// CHECK-LABEL: func.func @cse_random
// CHECK-NEXT: %[[A:.*]] = axon.random_uniform %arg0 {seed = 1 : i64}
// CHECK-NEXT: %[[B:.*]] = axon.random_uniform %arg0 {seed = 2 : i64}
// CHECK-NEXT: %[[C:.*]] = axon.random_uniform %arg1 {seed = 1 : i64}
// CHECK-NEXT: return %[[A]], %[[A]], %[[B]], %[[C]]
func.func @cse_random(%s: tensor<i64>, %t: tensor<i64>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = axon.random_uniform %s {seed = 1 : i64} : tensor<4xf32>
  %1 = axon.random_uniform %s {seed = 1 : i64} : tensor<4xf32>
  %2 = axon.random_uniform %s {seed = 2 : i64} : tensor<4xf32>
  %3 = axon.random_uniform %t {seed = 1 : i64} : tensor<4xf32>
  return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Dead pure ops go, chains of them included.
// CHECK-LABEL: func.func @dead
// CHECK-NEXT: %[[T:.*]] = axon.tanh %arg0
// CHECK-NEXT: return %[[T]]
func.func @dead(%x: tensor<4xf32>, %w: tensor<4x4xf32>) -> tensor<4xf32> {
  %0 = axon.exp %x : tensor<4xf32>
  %1 = axon.log %0 : tensor<4xf32>
  %c = axon.constant dense<1.0> : tensor<4xf32>
  %2 = axon.add %1, %c : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %3 = axon.matmul %w, %w : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
  %4 = axon.tanh %x : tensor<4xf32>
  return %4 : tensor<4xf32>
}

// -----

// A loop whose results are unused has no effect and goes too.
// CHECK-LABEL: func.func @dead_loop
// CHECK-NEXT: return %arg0
func.func @dead_loop(%h: tensor<4xf32>, %n: tensor<i64>) -> tensor<4xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  %r = axon.loop %lo to %n carry(%h : tensor<4xf32>) {
  ^bb0(%t: tensor<i64>, %x: tensor<4xf32>):
    %y = axon.tanh %x : tensor<4xf32>
    axon.yield %y : tensor<4xf32>
  } -> tensor<4xf32>
  return %h : tensor<4xf32>
}

// -----

// param_store writes a parameter: it stays, and so does what it reads;
// duplicate param_refs merge, unused ones go.
// CHECK-LABEL: func.func @param_store_kept
// CHECK-NEXT: %[[W:.*]] = axon.param_ref @w
// CHECK-NEXT: %[[D:.*]] = axon.sub %[[W]], %arg0
// CHECK-NEXT: axon.param_store %[[D]] into @w
// CHECK-NEXT: return
axon.param @w : tensor<4xf32> = zeros
func.func @param_store_kept(%g: tensor<4xf32>) {
  %w = axon.param_ref @w : tensor<4xf32>
  %w2 = axon.param_ref @w : tensor<4xf32>
  %d = axon.sub %w2, %g : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %unused = axon.add %w, %g : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  axon.param_store %d into @w : tensor<4xf32>
  return
}

// -----

// axon.dim of a static extent folds to a constant (negative axes too); of a
// dynamic extent it stays.
// CHECK-LABEL: func.func @dim
// CHECK-NEXT: %[[C:.*]] = axon.constant dense<3> : tensor<i64>
// CHECK-NEXT: %[[D:.*]] = axon.dim %arg0 {axis = 0 : i64} : tensor<?x3xf32>
// CHECK-NEXT: return %[[C]], %[[D]], %[[C]]
func.func @dim(%x: tensor<?x3xf32>) -> (tensor<i64>, tensor<i64>, tensor<i64>) {
  %0 = axon.dim %x {axis = 1 : i64} : tensor<?x3xf32>
  %1 = axon.dim %x {axis = 0 : i64} : tensor<?x3xf32>
  %2 = axon.dim %x {axis = -1 : i64} : tensor<?x3xf32>
  return %0, %1, %2 : tensor<i64>, tensor<i64>, tensor<i64>
}

// -----

// A folded extent feeds reshape like any constant.
// CHECK-LABEL: func.func @dim_feeds_reshape
// CHECK-NEXT: %[[C:.*]] = axon.constant dense<12> : tensor<i64>
// CHECK-NEXT: %[[R:.*]] = axon.reshape %arg0[%[[C]]] : tensor<12xf32> -> tensor<?xf32>
// CHECK-NEXT: return %[[R]]
func.func @dim_feeds_reshape(%x: tensor<12xf32>) -> tensor<?xf32> {
  %n = axon.dim %x {axis = 0 : i64} : tensor<12xf32>
  %0 = axon.reshape %x [%n] : tensor<12xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Equal constants become one, at the top of the function.
// CHECK-LABEL: func.func @constants
// CHECK-DAG: %[[TWO:.*]] = axon.constant dense<2.000000e+00> : tensor<f32>
// CHECK-DAG: %[[THREE:.*]] = axon.constant dense<3.000000e+00> : tensor<f32>
// CHECK-NOT: axon.constant
// CHECK: %[[E:.*]] = axon.exp %arg0
// CHECK-NEXT: axon.mul %[[E]], %[[TWO]]
// CHECK-NEXT: axon.div %[[E]], %[[TWO]]
// CHECK-NEXT: axon.pow %[[E]], %[[THREE]]
func.func @constants(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = axon.exp %x : tensor<4xf32>
  %c1 = axon.constant dense<2.0> : tensor<f32>
  %1 = axon.mul %0, %c1 : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %c2 = axon.constant dense<2.0> : tensor<f32>
  %2 = axon.div %0, %c2 : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %c3 = axon.constant dense<3.0> : tensor<f32>
  %3 = axon.pow %0, %c3 : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  return %1, %2, %3 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Constants with the same value but another type stay apart.
// CHECK-LABEL: func.func @constants_by_type
// CHECK-DAG: axon.constant dense<1.000000e+00> : tensor<f32>
// CHECK-DAG: axon.constant dense<1.000000e+00> : tensor<f64>
// CHECK-DAG: axon.constant dense<1.000000e+00> : tensor<2xf32>
func.func @constants_by_type() -> (tensor<f32>, tensor<f64>, tensor<2xf32>) {
  %0 = axon.constant dense<1.0> : tensor<f32>
  %1 = axon.constant dense<1.0> : tensor<f64>
  %2 = axon.constant dense<1.0> : tensor<2xf32>
  return %0, %1, %2 : tensor<f32>, tensor<f64>, tensor<2xf32>
}

// -----

// A constant in a loop body is hoisted out of the loop, next to the
// function's other constants, and merged with an equal one outside.
// CHECK-LABEL: func.func @loop_constants
// CHECK-NEXT: %[[HALF:.*]] = axon.constant dense<5.000000e-01> : tensor<f32>
// CHECK-NEXT: %[[LO:.*]] = axon.constant dense<0> : tensor<i64>
// CHECK-NEXT: %[[R:.*]] = axon.loop %[[LO]] to %arg1 carry(%arg0 : tensor<4xf32>) {
// CHECK-NEXT: ^bb0(%{{.*}}: tensor<i64>, %[[X:.*]]: tensor<4xf32>):
// CHECK-NEXT:   %[[Y:.*]] = axon.mul %[[X]], %[[HALF]]
// CHECK-NEXT:   axon.yield %[[Y]]
// CHECK-NEXT: }
// CHECK-NEXT: %[[Z:.*]] = axon.mul %[[R]], %[[HALF]]
// CHECK-NEXT: return %[[Z]]
func.func @loop_constants(%h: tensor<4xf32>, %n: tensor<i64>) -> tensor<4xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  %r = axon.loop %lo to %n carry(%h : tensor<4xf32>) {
  ^bb0(%t: tensor<i64>, %x: tensor<4xf32>):
    %c = axon.constant dense<0.5> : tensor<f32>
    %y = axon.mul %x, %c : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
    axon.yield %y : tensor<4xf32>
  } -> tensor<4xf32>
  %c2 = axon.constant dense<0.5> : tensor<f32>
  %z = axon.mul %r, %c2 : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  return %z : tensor<4xf32>
}

// -----

// CSE works inside a loop body, and an op there whose equal is computed
// before the loop (same operands, which the body can see) reuses that one:
// the loop is not isolated from above.
// CHECK-LABEL: func.func @loop_cse
// CHECK: %[[OUT:.*]] = axon.tanh %arg0
// CHECK-NEXT: axon.loop
// CHECK-NEXT: ^bb0(%{{.*}}: tensor<i64>, %[[X:.*]]: tensor<4xf32>):
// CHECK-NEXT:   %[[T:.*]] = axon.tanh %[[X]]
// CHECK-NEXT:   %[[S:.*]] = axon.add %[[T]], %[[T]]
// CHECK-NEXT:   %[[P:.*]] = axon.add %[[S]], %[[OUT]]
// CHECK-NEXT:   axon.yield %[[P]]
func.func @loop_cse(%h: tensor<4xf32>, %n: tensor<i64>) -> (tensor<4xf32>, tensor<4xf32>) {
  %lo = axon.constant dense<0> : tensor<i64>
  %out = axon.tanh %h : tensor<4xf32>
  %r = axon.loop %lo to %n carry(%h : tensor<4xf32>) {
  ^bb0(%t: tensor<i64>, %x: tensor<4xf32>):
    %in = axon.tanh %h : tensor<4xf32>
    %a = axon.tanh %x : tensor<4xf32>
    %b = axon.tanh %x : tensor<4xf32>
    %s = axon.add %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
    %p = axon.add %s, %in : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
    axon.yield %p : tensor<4xf32>
  } -> tensor<4xf32>
  return %r, %out : tensor<4xf32>, tensor<4xf32>
}

// -----

// Folders: x * 1, 1 * x, x + 0, x - 0 are x; neg of a splat and a splat
// broadcast or reshaped to a static shape are constants; identity casts,
// reshapes and broadcasts vanish, and so does a static -> dynamic -> static
// cast pair.
// CHECK-LABEL: func.func @folds
// CHECK-DAG: %[[THREE:.*]] = axon.constant dense<3.000000e+00> : tensor<2x2xf32>
// CHECK-DAG: %[[NEG:.*]] = axon.constant dense<-1.000000e+00> : tensor<4xf32>
// CHECK-NOT: axon.mul
// CHECK-NOT: axon.add
// CHECK-NOT: axon.sub
// CHECK-NOT: axon.cast
// CHECK: return %arg0, %arg0, %arg0, %arg0, %[[NEG]], %[[THREE]], %arg0, %arg0, %arg1
func.func @folds(%x: tensor<4xf32>, %m: tensor<2x3xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x3xf32>) {
  %one = axon.constant dense<1.0> : tensor<4xf32>
  %zero = axon.constant dense<0.0> : tensor<f32>
  %0 = axon.mul %x, %one : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = axon.mul %one, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %2 = axon.add %zero, %x : tensor<f32>, tensor<4xf32> -> tensor<4xf32>
  %3 = axon.sub %x, %zero : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %4 = axon.neg %one : tensor<4xf32>
  %c = axon.constant dense<3.0> : tensor<f32>
  %b = axon.broadcast %c : tensor<f32> -> tensor<4xf32>
  %5 = axon.reshape %b : tensor<4xf32> -> tensor<2x2xf32>
  %6 = axon.cast %x : tensor<4xf32> -> tensor<4xf32>
  %d = axon.cast %x : tensor<4xf32> -> tensor<?xf32>
  %7 = axon.cast %d : tensor<?xf32> -> tensor<4xf32>
  %r = axon.reshape %m : tensor<2x3xf32> -> tensor<2x3xf32>
  %8 = axon.broadcast %r : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x3xf32>
}

// -----

// What must not fold: x * 1 where the 1 broadcasts x to a larger shape, and
// an element-type-changing cast pair (f32 -> i32 -> f32 truncates).
// CHECK-LABEL: func.func @no_folds
// CHECK: axon.mul %arg0, %{{.*}} : tensor<4xf32>, tensor<3x4xf32> -> tensor<3x4xf32>
// CHECK: axon.cast %arg0 : tensor<4xf32> -> tensor<4xi32>
// CHECK: axon.cast %{{.*}} : tensor<4xi32> -> tensor<4xf32>
func.func @no_folds(%x: tensor<4xf32>) -> (tensor<3x4xf32>, tensor<4xf32>) {
  %one = axon.constant dense<1.0> : tensor<3x4xf32>
  %0 = axon.mul %x, %one : tensor<4xf32>, tensor<3x4xf32> -> tensor<3x4xf32>
  %i = axon.cast %x : tensor<4xf32> -> tensor<4xi32>
  %1 = axon.cast %i : tensor<4xi32> -> tensor<4xf32>
  return %0, %1 : tensor<3x4xf32>, tensor<4xf32>
}

// -----

// a + a is rewritten to a * 2 (gradient accumulation of a value used twice).
// CHECK-LABEL: func.func @add_self
// CHECK-NEXT: %[[TWO:.*]] = axon.constant dense<2.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[M:.*]] = axon.mul %arg0, %[[TWO]] : tensor<?x3xf32>, tensor<f32> -> tensor<?x3xf32>
// CHECK-NEXT: return %[[M]]
func.func @add_self(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = axon.add %x, %x : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
