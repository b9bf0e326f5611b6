// RUN: axon-opt %s --axon-hoist-loop-sums -split-input-file | FileCheck %s
// The output parses and verifies again.
// RUN: axon-opt %s --axon-hoist-loop-sums -split-input-file | axon-opt -split-input-file | FileCheck %s

// An LSTM-like reverse loop (4 steps, batch 3, hidden 2, 8 gate columns,
// input 5) as autodiff writes it: step t = 3 - s reads the stored states
// (dynamic_row) and the input (gather along the time axis), and adds
// x_t^T dz_t, h_t^T dz_t and sum(dz_t) to three accumulators. After: the
// loop carries dh and one stack of dz, written at row t; the states and
// inputs are read from the tensors they already are in, and the three
// gradients are products and a sum over the stacks after the loop, Wx's
// added to its (non-zero) initial value.
// CHECK-LABEL: func.func @reverse_weight_gradients
// CHECK-SAME: (%[[X:.*]]: tensor<3x4x5xf32>, %[[HS:.*]]: tensor<4x3x2xf32>, %[[G:.*]]: tensor<4x3x8xf32>, %[[W:.*]]: tensor<2x8xf32>, %[[WX0:.*]]: tensor<5x8xf32>)
// CHECK: %[[STACK0:.*]] = axon.fill {value = 0.000000e+00 : f64} : tensor<4x3x8xf32>
// CHECK: %[[LOOP:.*]]:2 = axon.loop %{{.*}} to %{{.*}} carry(%{{.*}}, %[[STACK0]] : tensor<3x2xf32>, tensor<4x3x8xf32>) {
// CHECK-NEXT: ^bb0(%[[S:.*]]: tensor<i64>, %[[DH:.*]]: tensor<3x2xf32>, %[[STACK:.*]]: tensor<4x3x8xf32>):
// CHECK-NEXT: %[[T:.*]] = axon.sub %{{.*}}, %[[S]]
// CHECK-NOT: axon.gather
// CHECK-NOT: axon.sum
// CHECK: %[[DZ:.*]] = axon.add
// CHECK-NEXT: %[[DHN:.*]] = axon.matmul %[[DZ]], %{{.*}} : tensor<3x8xf32>, tensor<8x2xf32> -> tensor<3x2xf32>
// CHECK-NEXT: %[[ROWS:.*]] = axon.dynamic_update_row %[[STACK]][%[[T]]], %[[DZ]] : tensor<4x3x8xf32>, tensor<3x8xf32>
// CHECK-NEXT: axon.yield %[[DHN]], %[[ROWS]] : tensor<3x2xf32>, tensor<4x3x8xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[XS:.*]] = axon.transpose %[[X]] {perm = array<i64: 1, 2, 0>} : tensor<3x4x5xf32> -> tensor<4x5x3xf32>
// CHECK-NEXT: %[[PX:.*]] = axon.matmul %[[XS]], %[[LOOP]]#1 : tensor<4x5x3xf32>, tensor<4x3x8xf32> -> tensor<4x5x8xf32>
// CHECK-NEXT: %[[SX:.*]] = axon.sum %[[PX]] {axes = array<i64: 0>} : tensor<4x5x8xf32> -> tensor<5x8xf32>
// CHECK-NEXT: %[[GX:.*]] = axon.add %[[WX0]], %[[SX]] : tensor<5x8xf32>, tensor<5x8xf32> -> tensor<5x8xf32>
// CHECK-NEXT: %[[HT:.*]] = axon.transpose %[[HS]] {perm = array<i64: 0, 2, 1>} : tensor<4x3x2xf32> -> tensor<4x2x3xf32>
// CHECK-NEXT: %[[PH:.*]] = axon.matmul %[[HT]], %[[LOOP]]#1 : tensor<4x2x3xf32>, tensor<4x3x8xf32> -> tensor<4x2x8xf32>
// CHECK-NEXT: %[[GH:.*]] = axon.sum %[[PH]] {axes = array<i64: 0>} : tensor<4x2x8xf32> -> tensor<2x8xf32>
// CHECK-NEXT: %[[GB:.*]] = axon.sum %[[LOOP]]#1 {axes = array<i64: 0, 1>} : tensor<4x3x8xf32> -> tensor<8xf32>
// CHECK-NEXT: return %[[GX]], %[[GH]], %[[GB]], %[[LOOP]]#0
func.func @reverse_weight_gradients(%x: tensor<3x4x5xf32>, %hs: tensor<4x3x2xf32>, %g: tensor<4x3x8xf32>, %w: tensor<2x8xf32>, %wx0: tensor<5x8xf32>) -> (tensor<5x8xf32>, tensor<2x8xf32>, tensor<8xf32>, tensor<3x2xf32>) {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<4> : tensor<i64>
  %last = axon.constant dense<3> : tensor<i64>
  %dh0 = axon.fill {value = 0.0 : f64} : tensor<3x2xf32>
  %zh = axon.fill {value = 0.0 : f64} : tensor<2x8xf32>
  %zb = axon.fill {value = 0.0 : f64} : tensor<8xf32>
  %wt = axon.transpose %w {perm = array<i64: 1, 0>} : tensor<2x8xf32> -> tensor<8x2xf32>
  %r:4 = axon.loop %lo to %hi carry(%dh0, %wx0, %zh, %zb : tensor<3x2xf32>, tensor<5x8xf32>, tensor<2x8xf32>, tensor<8xf32>) {
  ^bb0(%s: tensor<i64>, %dh: tensor<3x2xf32>, %aw: tensor<5x8xf32>, %ah: tensor<2x8xf32>, %ab: tensor<8xf32>):
    %t = axon.sub %last, %s : tensor<i64>, tensor<i64> -> tensor<i64>
    %h = axon.dynamic_row %hs[%t] : tensor<4x3x2xf32> -> tensor<3x2xf32>
    %xt = axon.gather %x[%t] {axis = 1 : i64} : tensor<3x4x5xf32>, tensor<i64> -> tensor<3x5xf32>
    %gt = axon.dynamic_row %g[%t] : tensor<4x3x8xf32> -> tensor<3x8xf32>
    %dhw = axon.matmul %dh, %w : tensor<3x2xf32>, tensor<2x8xf32> -> tensor<3x8xf32>
    %dz = axon.add %gt, %dhw : tensor<3x8xf32>, tensor<3x8xf32> -> tensor<3x8xf32>
    %dhn = axon.matmul %dz, %wt : tensor<3x8xf32>, tensor<8x2xf32> -> tensor<3x2xf32>
    %xT = axon.transpose %xt {perm = array<i64: 1, 0>} : tensor<3x5xf32> -> tensor<5x3xf32>
    %gx = axon.matmul %xT, %dz : tensor<5x3xf32>, tensor<3x8xf32> -> tensor<5x8xf32>
    %hT = axon.transpose %h {perm = array<i64: 1, 0>} : tensor<3x2xf32> -> tensor<2x3xf32>
    %gh = axon.matmul %hT, %dz : tensor<2x3xf32>, tensor<3x8xf32> -> tensor<2x8xf32>
    %gb = axon.sum %dz {axes = array<i64: 0>} : tensor<3x8xf32> -> tensor<8xf32>
    %aw2 = axon.add %aw, %gx : tensor<5x8xf32>, tensor<5x8xf32> -> tensor<5x8xf32>
    %ah2 = axon.add %gh, %ah : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
    %ab2 = axon.add %ab, %gb : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
    axon.yield %dhn, %aw2, %ah2, %ab2 : tensor<3x2xf32>, tensor<5x8xf32>, tensor<2x8xf32>, tensor<8xf32>
  } -> tensor<3x2xf32>, tensor<5x8xf32>, tensor<2x8xf32>, tensor<8xf32>
  return %r#1, %r#2, %r#3, %r#0 : tensor<5x8xf32>, tensor<2x8xf32>, tensor<8xf32>, tensor<3x2xf32>
}

// -----

// Steps 2..4 (3 steps) of values computed in the body, one of them the
// carried state: both operands are stored, at row t - 2; a sum with
// keepdims over every axis is reshaped to the accumulator's type.
// CHECK-LABEL: func.func @stored_operands
// CHECK-DAG: %[[LO:.*]] = axon.constant dense<2> : tensor<i64>
// CHECK-DAG: %[[Z1:.*]] = axon.fill {value = 0.000000e+00 : f64} : tensor<3x7x1xf32>
// CHECK-DAG: %[[Z2:.*]] = axon.fill {value = 0.000000e+00 : f64} : tensor<3x7x4xf32>
// CHECK: %[[LOOP:.*]]:3 = axon.loop %[[LO]] to %{{.*}} carry(%{{.*}}, %[[Z1]], %[[Z2]] : tensor<7x1xf32>, tensor<3x7x1xf32>, tensor<3x7x4xf32>) {
// CHECK-NEXT: ^bb0(%[[T:.*]]: tensor<i64>, %[[H:.*]]: tensor<7x1xf32>, %[[SH:.*]]: tensor<3x7x1xf32>, %[[SG:.*]]: tensor<3x7x4xf32>):
// CHECK-NEXT: %[[ROW:.*]] = axon.sub %[[T]], %[[LO]] : tensor<i64>, tensor<i64> -> tensor<i64>
// CHECK: %[[GT:.*]] = axon.tanh
// CHECK: %[[W1:.*]] = axon.dynamic_update_row %[[SH]][%[[ROW]]], %[[H]] : tensor<3x7x1xf32>, tensor<7x1xf32>
// CHECK-NEXT: %[[W2:.*]] = axon.dynamic_update_row %[[SG]][%[[ROW]]], %[[GT]] : tensor<3x7x4xf32>, tensor<7x4xf32>
// CHECK-NEXT: axon.yield %{{.*}}, %[[W1]], %[[W2]]
// CHECK: %[[HT:.*]] = axon.transpose %[[LOOP]]#1 {perm = array<i64: 0, 2, 1>} : tensor<3x7x1xf32> -> tensor<3x1x7xf32>
// CHECK-NEXT: %[[P:.*]] = axon.matmul %[[HT]], %[[LOOP]]#2 : tensor<3x1x7xf32>, tensor<3x7x4xf32> -> tensor<3x1x4xf32>
// CHECK-NEXT: %[[M:.*]] = axon.sum %[[P]] {axes = array<i64: 0>} : tensor<3x1x4xf32> -> tensor<1x4xf32>
// CHECK-NEXT: %[[A:.*]] = axon.sum %[[LOOP]]#2 {axes = array<i64>, keepdims = true} : tensor<3x7x4xf32> -> tensor<1x1x1xf32>
// CHECK-NEXT: %[[B:.*]] = axon.reshape %[[A]] : tensor<1x1x1xf32> -> tensor<1x1xf32>
// CHECK-NEXT: return %[[M]], %[[B]]
func.func @stored_operands(%x: tensor<7x4xf32>, %h0: tensor<7x1xf32>) -> (tensor<1x4xf32>, tensor<1x1xf32>) {
  %lo = axon.constant dense<2> : tensor<i64>
  %hi = axon.constant dense<5> : tensor<i64>
  %z = axon.fill {value = 0.0 : f64} : tensor<1x4xf32>
  %z1 = axon.fill {value = 0.0 : f64} : tensor<1x1xf32>
  %r:3 = axon.loop %lo to %hi carry(%h0, %z, %z1 : tensor<7x1xf32>, tensor<1x4xf32>, tensor<1x1xf32>) {
  ^bb0(%t: tensor<i64>, %h: tensor<7x1xf32>, %acc: tensor<1x4xf32>, %all: tensor<1x1xf32>):
    %xh = axon.mul %x, %h : tensor<7x4xf32>, tensor<7x1xf32> -> tensor<7x4xf32>
    %g = axon.tanh %xh : tensor<7x4xf32>
    %hT = axon.transpose %h {perm = array<i64: 1, 0>} : tensor<7x1xf32> -> tensor<1x7xf32>
    %p = axon.matmul %hT, %g : tensor<1x7xf32>, tensor<7x4xf32> -> tensor<1x4xf32>
    %acc2 = axon.add %acc, %p : tensor<1x4xf32>, tensor<1x4xf32> -> tensor<1x4xf32>
    %s = axon.sum %g {axes = array<i64>, keepdims = true} : tensor<7x4xf32> -> tensor<1x1xf32>
    %all2 = axon.add %s, %all : tensor<1x1xf32>, tensor<1x1xf32> -> tensor<1x1xf32>
    %hn = axon.slice %g {axis = 1 : i64, start = 0 : i64, limit = 1 : i64} : tensor<7x4xf32> -> tensor<7x1xf32>
    axon.yield %hn, %acc2, %all2 : tensor<7x1xf32>, tensor<1x4xf32>, tensor<1x1xf32>
  } -> tensor<7x1xf32>, tensor<1x4xf32>, tensor<1x1xf32>
  return %r#1, %r#2 : tensor<1x4xf32>, tensor<1x1xf32>
}

// -----

// Left alone: a product with a loop-invariant operand (stacking it would
// copy it per step), an accumulator and a product also read elsewhere in
// the body, and a term that is neither a product nor a sum.
// CHECK-LABEL: func.func @left_alone
// CHECK: axon.loop
// CHECK-COUNT-2: axon.matmul
// CHECK-NOT: axon.fill
// CHECK: axon.yield
// CHECK-NEXT: }
// CHECK-NEXT: return
func.func @left_alone(%x: tensor<3x4x5xf32>, %w: tensor<5x2xf32>) -> (tensor<3x2xf32>, tensor<5x5xf32>, tensor<5x5xf32>) {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<4> : tensor<i64>
  %z = axon.fill {value = 0.0 : f64} : tensor<3x2xf32>
  %z5 = axon.fill {value = 0.0 : f64} : tensor<5x5xf32>
  %r:3 = axon.loop %lo to %hi carry(%z, %z5, %z5 : tensor<3x2xf32>, tensor<5x5xf32>, tensor<5x5xf32>) {
  ^bb0(%t: tensor<i64>, %a: tensor<3x2xf32>, %b: tensor<5x5xf32>, %c: tensor<5x5xf32>):
    %xt = axon.gather %x[%t] {axis = 1 : i64} : tensor<3x4x5xf32>, tensor<i64> -> tensor<3x5xf32>
    %p = axon.matmul %xt, %w : tensor<3x5xf32>, tensor<5x2xf32> -> tensor<3x2xf32>
    %a2 = axon.add %a, %p : tensor<3x2xf32>, tensor<3x2xf32> -> tensor<3x2xf32>
    %xT = axon.transpose %xt {perm = array<i64: 1, 0>} : tensor<3x5xf32> -> tensor<5x3xf32>
    %q = axon.matmul %xT, %xt : tensor<5x3xf32>, tensor<3x5xf32> -> tensor<5x5xf32>
    %b2 = axon.add %b, %q : tensor<5x5xf32>, tensor<5x5xf32> -> tensor<5x5xf32>
    %bq = axon.mul %b, %q : tensor<5x5xf32>, tensor<5x5xf32> -> tensor<5x5xf32>
    %c2 = axon.add %c, %bq : tensor<5x5xf32>, tensor<5x5xf32> -> tensor<5x5xf32>
    axon.yield %a2, %b2, %c2 : tensor<3x2xf32>, tensor<5x5xf32>, tensor<5x5xf32>
  } -> tensor<3x2xf32>, tensor<5x5xf32>, tensor<5x5xf32>
  return %r#0, %r#1, %r#2 : tensor<3x2xf32>, tensor<5x5xf32>, tensor<5x5xf32>
}

// -----

// Left alone: a run-time batch (the stacks' shapes are not known).
// CHECK-LABEL: func.func @dynamic_batch
// CHECK: axon.loop
// CHECK: axon.matmul
// CHECK: axon.yield
func.func @dynamic_batch(%x: tensor<?x4x5xf32>) -> tensor<5x5xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<4> : tensor<i64>
  %z = axon.fill {value = 0.0 : f64} : tensor<5x5xf32>
  %r = axon.loop %lo to %hi carry(%z : tensor<5x5xf32>) {
  ^bb0(%t: tensor<i64>, %a: tensor<5x5xf32>):
    %xt = axon.gather %x[%t] {axis = 1 : i64} : tensor<?x4x5xf32>, tensor<i64> -> tensor<?x5xf32>
    %xT = axon.transpose %xt {perm = array<i64: 1, 0>} : tensor<?x5xf32> -> tensor<5x?xf32>
    %q = axon.matmul %xT, %xt : tensor<5x?xf32>, tensor<?x5xf32> -> tensor<5x5xf32>
    %a2 = axon.add %a, %q : tensor<5x5xf32>, tensor<5x5xf32> -> tensor<5x5xf32>
    axon.yield %a2 : tensor<5x5xf32>
  } -> tensor<5x5xf32>
  return %r : tensor<5x5xf32>
}

// -----

// The input's gradient through a reverse loop: gather's adjoint scatters
// dz_t @ Wx^T into zeros of the whole input at step t = 3 - s (axis 1),
// and the loop adds that full tensor to the accumulator (T^2 work). After:
// the loop stores dz_t @ Wx^T in a stack at row t, and the stack, its
// first axis moved to 1, is the gradient. A scatter into a non-zero
// target, or at an index that does not take every slice once, stays.
// CHECK-LABEL: func.func @scattered_slices
// CHECK: %[[STACK0:.*]] = axon.fill {value = 0.000000e+00 : f64} : tensor<4x3x5xf32>
// CHECK: %[[LOOP:.*]]:3 = axon.loop %{{.*}} to %{{.*}} carry(%{{.*}}, %{{.*}}, %[[STACK0]] : tensor<3x8xf32>, tensor<3x4x5xf32>, tensor<4x3x5xf32>) {
// CHECK: %[[T:.*]] = axon.sub
// CHECK-NOT: axon.scatter_add %{{.*}}[%[[T]]]
// CHECK: %[[DX:.*]] = axon.matmul %{{.*}}, %{{.*}} : tensor<3x8xf32>, tensor<8x5xf32> -> tensor<3x5xf32>
// CHECK: axon.scatter_add %{{.*}}[%{{.*}}], %[[DX]] {axis = 1 : i64}
// CHECK: %[[ROWS:.*]] = axon.dynamic_update_row %{{.*}}[%[[T]]], %[[DX]] : tensor<4x3x5xf32>, tensor<3x5xf32>
// CHECK: axon.yield %{{.*}}, %{{.*}}, %[[ROWS]]
// CHECK: %[[GX:.*]] = axon.transpose %[[LOOP]]#2 {perm = array<i64: 1, 0, 2>} : tensor<4x3x5xf32> -> tensor<3x4x5xf32>
// CHECK-NEXT: return %[[GX]], %[[LOOP]]#1
func.func @scattered_slices(%g: tensor<4x3x8xf32>, %wx: tensor<5x8xf32>, %base: tensor<3x4x5xf32>) -> (tensor<3x4x5xf32>, tensor<3x4x5xf32>) {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<4> : tensor<i64>
  %last = axon.constant dense<3> : tensor<i64>
  %one = axon.constant dense<1> : tensor<i64>
  %z = axon.fill {value = 0.0 : f64} : tensor<3x4x5xf32>
  %dz0 = axon.fill {value = 0.0 : f64} : tensor<3x8xf32>
  %wt = axon.transpose %wx {perm = array<i64: 1, 0>} : tensor<5x8xf32> -> tensor<8x5xf32>
  %r:3 = axon.loop %lo to %hi carry(%dz0, %z, %z : tensor<3x8xf32>, tensor<3x4x5xf32>, tensor<3x4x5xf32>) {
  ^bb0(%s: tensor<i64>, %dzp: tensor<3x8xf32>, %acc: tensor<3x4x5xf32>, %other: tensor<3x4x5xf32>):
    %t = axon.sub %last, %s : tensor<i64>, tensor<i64> -> tensor<i64>
    %gt = axon.dynamic_row %g[%t] : tensor<4x3x8xf32> -> tensor<3x8xf32>
    %dz = axon.add %gt, %dzp : tensor<3x8xf32>, tensor<3x8xf32> -> tensor<3x8xf32>
    %dx = axon.matmul %dz, %wt : tensor<3x8xf32>, tensor<8x5xf32> -> tensor<3x5xf32>
    %sc = axon.scatter_add %z[%t], %dx {axis = 1 : i64} : tensor<3x4x5xf32>, tensor<i64>, tensor<3x5xf32> -> tensor<3x4x5xf32>
    %acc2 = axon.add %acc, %sc : tensor<3x4x5xf32>, tensor<3x4x5xf32> -> tensor<3x4x5xf32>
    %sc2 = axon.scatter_add %base[%one], %dx {axis = 1 : i64} : tensor<3x4x5xf32>, tensor<i64>, tensor<3x5xf32> -> tensor<3x4x5xf32>
    %other2 = axon.add %other, %sc2 : tensor<3x4x5xf32>, tensor<3x4x5xf32> -> tensor<3x4x5xf32>
    axon.yield %dz, %acc2, %other2 : tensor<3x8xf32>, tensor<3x4x5xf32>, tensor<3x4x5xf32>
  } -> tensor<3x8xf32>, tensor<3x4x5xf32>, tensor<3x4x5xf32>
  return %r#1, %r#2 : tensor<3x4x5xf32>, tensor<3x4x5xf32>
}
