// RUN: axon-opt %s --axon-hoist-loop-products -split-input-file | FileCheck %s
// The output parses and verifies again.
// RUN: axon-opt %s --axon-hoist-loop-products -split-input-file | axon-opt -split-input-file | FileCheck %s

// An LSTM-like forward loop (4 steps, batch 3, input 5, hidden 2, 8 gate
// columns): x_t @ Wx becomes one [12, 5] x [5, 8] product before the loop,
// the body reads its row t; h @ Wh (the carried state) stays.
// CHECK-LABEL: func.func @input_projection
// CHECK-SAME: (%[[X:.*]]: tensor<3x4x5xf32>, %[[WX:.*]]: tensor<5x8xf32>, %[[WH:.*]]: tensor<2x8xf32>)
// CHECK: %[[FLAT:.*]] = axon.reshape %[[X]] : tensor<3x4x5xf32> -> tensor<12x5xf32>
// CHECK-NEXT: %[[P:.*]] = axon.matmul %[[FLAT]], %[[WX]] : tensor<12x5xf32>, tensor<5x8xf32> -> tensor<12x8xf32>
// CHECK-NEXT: axon.loop
// CHECK-NEXT: ^bb0(%[[T:.*]]: tensor<i64>, %[[H:.*]]: tensor<3x2xf32>):
// CHECK-NOT: axon.gather %[[X]]
// CHECK: %[[STEPS:.*]] = axon.reshape %[[P]] : tensor<12x8xf32> -> tensor<3x4x8xf32>
// CHECK-NEXT: %[[XW:.*]] = axon.gather %[[STEPS]][%[[T]]] {axis = 1 : i64} : tensor<3x4x8xf32>, tensor<i64> -> tensor<3x8xf32>
// CHECK-NEXT: %[[HW:.*]] = axon.matmul %[[H]], %[[WH]] : tensor<3x2xf32>, tensor<2x8xf32> -> tensor<3x8xf32>
// CHECK-NEXT: axon.add %[[XW]], %[[HW]]
// CHECK-NOT: axon.matmul
// CHECK: axon.yield
func.func @input_projection(%x: tensor<3x4x5xf32>, %wx: tensor<5x8xf32>, %wh: tensor<2x8xf32>) -> tensor<3x2xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<4> : tensor<i64>
  %h0 = axon.fill {value = 0.0 : f64} : tensor<3x2xf32>
  %r = axon.loop %lo to %hi carry(%h0 : tensor<3x2xf32>) {
  ^bb0(%t: tensor<i64>, %h: tensor<3x2xf32>):
    %xt = axon.gather %x[%t] {axis = 1 : i64} : tensor<3x4x5xf32>, tensor<i64> -> tensor<3x5xf32>
    %xw = axon.matmul %xt, %wx : tensor<3x5xf32>, tensor<5x8xf32> -> tensor<3x8xf32>
    %hw = axon.matmul %h, %wh : tensor<3x2xf32>, tensor<2x8xf32> -> tensor<3x8xf32>
    %z = axon.add %xw, %hw : tensor<3x8xf32>, tensor<3x8xf32> -> tensor<3x8xf32>
    %s = axon.slice %z {axis = 1 : i64, start = 0 : i64, limit = 2 : i64} : tensor<3x8xf32> -> tensor<3x2xf32>
    %hn = axon.tanh %s : tensor<3x2xf32>
    axon.yield %hn : tensor<3x2xf32>
  } -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----

// A reversed loop (steps 1..3 reading rows 2, 1, 0 of a [3, 2, 6] stack)
// times a transposed weight: the transpose moves before the loop with the
// product, the row is read at the same index. The row's other use keeps it.
// CHECK-LABEL: func.func @reversed_rows
// CHECK-SAME: (%[[S:.*]]: tensor<3x2x6xf32>, %[[W:.*]]: tensor<4x6xf32>)
// CHECK: %[[FLAT:.*]] = axon.reshape %[[S]] : tensor<3x2x6xf32> -> tensor<6x6xf32>
// CHECK-NEXT: %[[WT:.*]] = axon.transpose %[[W]] {perm = array<i64: 1, 0>} : tensor<4x6xf32> -> tensor<6x4xf32>
// CHECK-NEXT: %[[P:.*]] = axon.matmul %[[FLAT]], %[[WT]] : tensor<6x6xf32>, tensor<6x4xf32> -> tensor<6x4xf32>
// CHECK-NEXT: axon.loop
// CHECK-NEXT: ^bb0(%[[T:.*]]: tensor<i64>, %[[A:.*]]: tensor<2x4xf32>, %[[B:.*]]: tensor<2x6xf32>):
// CHECK-NEXT: %[[I:.*]] = axon.sub %{{.*}}, %[[T]]
// CHECK-NEXT: %[[ROW:.*]] = axon.dynamic_row %[[S]][%[[I]]] : tensor<3x2x6xf32> -> tensor<2x6xf32>
// CHECK-NEXT: %[[STEPS:.*]] = axon.reshape %[[P]] : tensor<6x4xf32> -> tensor<3x2x4xf32>
// CHECK-NEXT: %[[PW:.*]] = axon.dynamic_row %[[STEPS]][%[[I]]] : tensor<3x2x4xf32> -> tensor<2x4xf32>
// CHECK-NEXT: %[[AN:.*]] = axon.add %[[A]], %[[PW]]
// CHECK-NEXT: %[[BN:.*]] = axon.add %[[B]], %[[ROW]]
// CHECK-NEXT: axon.yield %[[AN]], %[[BN]]
func.func @reversed_rows(%s: tensor<3x2x6xf32>, %w: tensor<4x6xf32>) -> (tensor<2x4xf32>, tensor<2x6xf32>) {
  %lo = axon.constant dense<1> : tensor<i64>
  %hi = axon.constant dense<4> : tensor<i64>
  %c3 = axon.constant dense<3> : tensor<i64>
  %a0 = axon.fill {value = 0.0 : f64} : tensor<2x4xf32>
  %b0 = axon.fill {value = 0.0 : f64} : tensor<2x6xf32>
  %r:2 = axon.loop %lo to %hi carry(%a0, %b0 : tensor<2x4xf32>, tensor<2x6xf32>) {
  ^bb0(%t: tensor<i64>, %a: tensor<2x4xf32>, %b: tensor<2x6xf32>):
    %i = axon.sub %c3, %t : tensor<i64>, tensor<i64> -> tensor<i64>
    %row = axon.dynamic_row %s[%i] : tensor<3x2x6xf32> -> tensor<2x6xf32>
    %wt = axon.transpose %w {perm = array<i64: 1, 0>} : tensor<4x6xf32> -> tensor<6x4xf32>
    %p = axon.matmul %row, %wt : tensor<2x6xf32>, tensor<6x4xf32> -> tensor<2x4xf32>
    %an = axon.add %a, %p : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
    %bn = axon.add %b, %row : tensor<2x6xf32>, tensor<2x6xf32> -> tensor<2x6xf32>
    axon.yield %an, %bn : tensor<2x4xf32>, tensor<2x6xf32>
  } -> tensor<2x4xf32>, tensor<2x6xf32>
  return %r#0, %r#1 : tensor<2x4xf32>, tensor<2x6xf32>
}

// -----

// Left alone: a row read at a step that does not take every row once (t /
// 2 would read rows twice; here rows 0..2 of 4: one is never read), a
// weight that varies per step (the carried state), the contracted axis
// gathered, and a weight of rank 3 (a batch of matrices).
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: axon.reshape
// CHECK: axon.loop
// CHECK-COUNT-5: axon.matmul
// CHECK: axon.yield
func.func @left_alone(%x: tensor<3x4x5xf32>, %y: tensor<3x5x3xf32>, %w: tensor<5x5xf32>, %v: tensor<3x5x5xf32>) -> tensor<3x5xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<3> : tensor<i64>
  %h0 = axon.fill {value = 0.0 : f64} : tensor<3x5xf32>
  %r = axon.loop %lo to %hi carry(%h0 : tensor<3x5xf32>) {
  ^bb0(%t: tensor<i64>, %h: tensor<3x5xf32>):
    %xt = axon.gather %x[%t] {axis = 1 : i64} : tensor<3x4x5xf32>, tensor<i64> -> tensor<3x5xf32>
    %p1 = axon.matmul %xt, %w : tensor<3x5xf32>, tensor<5x5xf32> -> tensor<3x5xf32>
    %ht = axon.transpose %h {perm = array<i64: 1, 0>} : tensor<3x5xf32> -> tensor<5x3xf32>
    %p2 = axon.matmul %xt, %ht : tensor<3x5xf32>, tensor<5x3xf32> -> tensor<3x3xf32>
    %yt = axon.gather %y[%t] {axis = 2 : i64} : tensor<3x5x3xf32>, tensor<i64> -> tensor<3x5xf32>
    %p3 = axon.matmul %yt, %w : tensor<3x5xf32>, tensor<5x5xf32> -> tensor<3x5xf32>
    %p4 = axon.matmul %xt, %v : tensor<3x5xf32>, tensor<3x5x5xf32> -> tensor<3x3x5xf32>
    %s1 = axon.add %p1, %p3 : tensor<3x5xf32>, tensor<3x5xf32> -> tensor<3x5xf32>
    %m = axon.matmul %p2, %s1 : tensor<3x3xf32>, tensor<3x5xf32> -> tensor<3x5xf32>
    %s4 = axon.sum %p4 {axes = array<i64: 0>} : tensor<3x3x5xf32> -> tensor<3x5xf32>
    %hn = axon.add %m, %s4 : tensor<3x5xf32>, tensor<3x5xf32> -> tensor<3x5xf32>
    axon.yield %hn : tensor<3x5xf32>
  } -> tensor<3x5xf32>
  return %r : tensor<3x5xf32>
}

// -----

// A product of the carried state with a transposed weight (dz_t @ Wh^T in
// backprop through time): the transpose is made once before the loop, the
// product stays.
// CHECK-LABEL: func.func @transposed_weight
// CHECK-SAME: (%[[D:.*]]: tensor<3x8xf32>, %[[W:.*]]: tensor<2x8xf32>, %[[V:.*]]: tensor<8x2xf32>)
// CHECK: %[[WT:.*]] = axon.transpose %[[W]] {perm = array<i64: 1, 0>} : tensor<2x8xf32> -> tensor<8x2xf32>
// CHECK-NEXT: axon.loop
// CHECK-NEXT: ^bb0(%{{.*}}: tensor<i64>, %[[DT:.*]]: tensor<3x8xf32>):
// CHECK-NEXT: %[[P:.*]] = axon.matmul %[[DT]], %[[WT]] : tensor<3x8xf32>, tensor<8x2xf32> -> tensor<3x2xf32>
// CHECK-NEXT: %[[Q:.*]] = axon.matmul %[[P]], %[[W]]
// CHECK-NEXT: axon.tanh %[[Q]]
func.func @transposed_weight(%d: tensor<3x8xf32>, %w: tensor<2x8xf32>, %v: tensor<8x2xf32>) -> tensor<3x8xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<4> : tensor<i64>
  %r = axon.loop %lo to %hi carry(%d : tensor<3x8xf32>) {
  ^bb0(%t: tensor<i64>, %dt: tensor<3x8xf32>):
    %wt = axon.transpose %w {perm = array<i64: 1, 0>} : tensor<2x8xf32> -> tensor<8x2xf32>
    %p = axon.matmul %dt, %wt : tensor<3x8xf32>, tensor<8x2xf32> -> tensor<3x2xf32>
    %q = axon.matmul %p, %w : tensor<3x2xf32>, tensor<2x8xf32> -> tensor<3x8xf32>
    %n = axon.tanh %q : tensor<3x8xf32>
    axon.yield %n : tensor<3x8xf32>
  } -> tensor<3x8xf32>
  return %r : tensor<3x8xf32>
}

// -----

// Left alone: a dynamic batch (before axon-specialize).
// CHECK-LABEL: func.func @dynamic_batch
// CHECK-NOT: axon.reshape
// CHECK: axon.loop
// CHECK: axon.matmul
func.func @dynamic_batch(%x: tensor<?x4x5xf32>, %w: tensor<5x5xf32>) -> tensor<?x5xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<4> : tensor<i64>
  %h0 = axon.gather %x[%lo] {axis = 1 : i64} : tensor<?x4x5xf32>, tensor<i64> -> tensor<?x5xf32>
  %r = axon.loop %lo to %hi carry(%h0 : tensor<?x5xf32>) {
  ^bb0(%t: tensor<i64>, %h: tensor<?x5xf32>):
    %xt = axon.gather %x[%t] {axis = 1 : i64} : tensor<?x4x5xf32>, tensor<i64> -> tensor<?x5xf32>
    %p = axon.matmul %xt, %w : tensor<?x5xf32>, tensor<5x5xf32> -> tensor<?x5xf32>
    %hn = axon.add %h, %p : tensor<?x5xf32>, tensor<?x5xf32> -> tensor<?x5xf32>
    axon.yield %hn : tensor<?x5xf32>
  } -> tensor<?x5xf32>
  return %r : tensor<?x5xf32>
}
