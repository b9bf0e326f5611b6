// RUN: axon-opt %s --axon-specialize="function=mlp arg-types=tensor<4x3xf32>,tensor<3x2xf32> name=mlp_s0" | FileCheck %s --check-prefix=MLP
// RUN: axon-opt %s --axon-specialize="function=bias arg-types=tensor<2x4xf32>,tensor<4xf32> name=bias_s1" | FileCheck %s --check-prefix=DIMS
// RUN: axon-opt %s --axon-specialize="function=rnn arg-types=tensor<3x2xf32> name=rnn_s0" | FileCheck %s --check-prefix=LOOP

// Calls are inlined into the copy and shapes inferred through them; the
// result type becomes static. The original functions stay as they were.
// MLP-LABEL: func.func @layer
// MLP-LABEL: func.func @mlp(%arg0: tensor<?x3xf32>, %arg1: tensor<3x2xf32>) -> tensor<?xf32>
// MLP: call @layer
// MLP-LABEL: func.func private @mlp_s0(%arg0: tensor<4x3xf32>, %arg1: tensor<3x2xf32>) -> tensor<4xf32>
// MLP-NOT: call
// MLP-NEXT: %[[M:.*]] = axon.matmul %arg0, %arg1 : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
// MLP-NEXT: %[[R:.*]] = axon.relu %[[M]] : tensor<4x2xf32>
// MLP-NEXT: %[[S:.*]] = axon.sum %[[R]] {axes = array<i64: 1>} : tensor<4x2xf32> -> tensor<4xf32>
// MLP-NEXT: return %[[S]] : tensor<4xf32>
func.func @layer(%x: tensor<?x3xf32>, %w: tensor<3x2xf32>) -> tensor<?x2xf32> {
  %y = axon.matmul %x, %w : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
  %r = axon.relu %y : tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}
func.func @mlp(%x: tensor<?x3xf32>, %w: tensor<3x2xf32>) -> tensor<?xf32> {
  %h = func.call @layer(%x, %w) : (tensor<?x3xf32>, tensor<3x2xf32>) -> tensor<?x2xf32>
  %s = axon.sum %h {axes = array<i64: 1>} : tensor<?x2xf32> -> tensor<?xf32>
  return %s : tensor<?xf32>
}

// axon.dim folds to a constant, and the broadcast it sized becomes static
// without its extent operand.
// DIMS-LABEL: func.func private @bias_s1(%arg0: tensor<2x4xf32>, %arg1: tensor<4xf32>) -> tensor<2x4xf32>
// DIMS-NOT: axon.dim
// DIMS-NEXT: %[[B:.*]] = axon.broadcast %arg1 : tensor<4xf32> -> tensor<2x4xf32>
// DIMS-NEXT: %[[A:.*]] = axon.add %arg0, %[[B]] : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
// DIMS-NEXT: return %[[A]] : tensor<2x4xf32>
func.func @bias(%x: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %n = axon.dim %x {axis = 0 : i64} : tensor<?x4xf32>
  %bb = axon.broadcast %b[%n] : tensor<4xf32> -> tensor<?x4xf32>
  %s = axon.add %x, %bb : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  return %s : tensor<?x4xf32>
}

// A loop of five steps stays a loop, carrying the static type of its
// initial value; a loop of one step is unrolled.
// LOOP-LABEL: func.func private @rnn_s0(%arg0: tensor<3x2xf32>) -> tensor<3x2xf32>
// LOOP: %[[L:.*]] = axon.loop %{{.*}} to %{{.*}} carry(%arg0 : tensor<3x2xf32>) {
// LOOP-NEXT: ^bb0(%{{.*}}: tensor<i64>, %[[H:.*]]: tensor<3x2xf32>):
// LOOP-NEXT: %[[T:.*]] = axon.tanh %[[H]] : tensor<3x2xf32>
// LOOP-NEXT: axon.yield %[[T]] : tensor<3x2xf32>
// LOOP-NEXT: } -> tensor<3x2xf32>
// LOOP-NOT: axon.loop
// LOOP-NEXT: %[[E:.*]] = axon.exp %[[L]] : tensor<3x2xf32>
// LOOP-NEXT: return %[[E]] : tensor<3x2xf32>
func.func @rnn(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<5> : tensor<i64>
  %one = axon.constant dense<1> : tensor<i64>
  %r = axon.loop %lo to %hi carry(%x : tensor<?x2xf32>) {
  ^bb0(%i: tensor<i64>, %h: tensor<?x2xf32>):
    %t = axon.tanh %h : tensor<?x2xf32>
    axon.yield %t : tensor<?x2xf32>
  } -> tensor<?x2xf32>
  %q = axon.loop %lo to %one carry(%r : tensor<?x2xf32>) {
  ^bb0(%i: tensor<i64>, %h: tensor<?x2xf32>):
    %e = axon.exp %h : tensor<?x2xf32>
    axon.yield %e : tensor<?x2xf32>
  } -> tensor<?x2xf32>
  return %q : tensor<?x2xf32>
}
