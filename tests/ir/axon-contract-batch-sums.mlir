// RUN: axon-opt %s --axon-contract-batch-sums -split-input-file | FileCheck %s
// The output parses and verifies again.
// RUN: axon-opt %s --axon-contract-batch-sums -split-input-file | axon-opt -split-input-file | FileCheck %s

// The weight gradient of x @ W with x: [N, T, D] (7 sequences of 5, D 3,
// F 4), as autodiff writes it: per sequence x[n]^T g[n], summed over n.
// After: one [3, 35] x [35, 4] product; the two transposes of x compose into
// one, and nothing of the old form is left.
// CHECK-LABEL: func.func @weight_gradient
// CHECK-SAME: (%[[X:.*]]: tensor<7x5x3xf32>, %[[G:.*]]: tensor<7x5x4xf32>)
// CHECK-NEXT: %[[XT:.*]] = axon.transpose %[[X]] {perm = array<i64: 2, 0, 1>} : tensor<7x5x3xf32> -> tensor<3x7x5xf32>
// CHECK-NEXT: %[[L:.*]] = axon.reshape %[[XT]] : tensor<3x7x5xf32> -> tensor<3x35xf32>
// CHECK-NEXT: %[[R:.*]] = axon.reshape %[[G]] : tensor<7x5x4xf32> -> tensor<35x4xf32>
// CHECK-NEXT: %[[M:.*]] = axon.matmul %[[L]], %[[R]] : tensor<3x35xf32>, tensor<35x4xf32> -> tensor<3x4xf32>
// CHECK-NEXT: return %[[M]] : tensor<3x4xf32>
func.func @weight_gradient(%x: tensor<7x5x3xf32>, %g: tensor<7x5x4xf32>) -> tensor<3x4xf32> {
  %xt = axon.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<7x5x3xf32> -> tensor<7x3x5xf32>
  %p = axon.matmul %xt, %g : tensor<7x3x5xf32>, tensor<7x5x4xf32> -> tensor<7x3x4xf32>
  %s = axon.sum %p {axes = array<i64: 0>} : tensor<7x3x4xf32> -> tensor<3x4xf32>
  return %s : tensor<3x4xf32>
}

// -----

// Batch 1 and one position (T 1): still one product, over 1 x 1 rows.
// CHECK-LABEL: func.func @batch_of_one
// CHECK: %[[M:.*]] = axon.matmul %{{.*}}, %{{.*}} : tensor<3x1xf32>, tensor<1x4xf32> -> tensor<3x4xf32>
// CHECK-NEXT: return %[[M]]
// CHECK-NOT: axon.sum
func.func @batch_of_one(%x: tensor<1x1x3xf32>, %g: tensor<1x1x4xf32>) -> tensor<3x4xf32> {
  %xt = axon.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<1x1x3xf32> -> tensor<1x3x1xf32>
  %p = axon.matmul %xt, %g : tensor<1x3x1xf32>, tensor<1x1x4xf32> -> tensor<1x3x4xf32>
  %s = axon.sum %p {axes = array<i64: 0>} : tensor<1x3x4xf32> -> tensor<3x4xf32>
  return %s : tensor<3x4xf32>
}

// -----

// A kept batch axis (heads, 2) and a summed one (33 items), keepdims: the
// summed axis moves next to K in both operands; the product keeps the
// heads and is reshaped to the sum's keepdims type.
// CHECK-LABEL: func.func @kept_heads
// CHECK-SAME: (%[[O:.*]]: tensor<33x2x5x3xf32>, %[[G:.*]]: tensor<33x2x3x4xf32>)
// CHECK-NEXT: %[[OT:.*]] = axon.transpose %[[O]] {perm = array<i64: 1, 2, 0, 3>} : tensor<33x2x5x3xf32> -> tensor<2x5x33x3xf32>
// CHECK-NEXT: %[[L:.*]] = axon.reshape %[[OT]] : tensor<2x5x33x3xf32> -> tensor<2x5x99xf32>
// CHECK-NEXT: %[[GT:.*]] = axon.transpose %[[G]] {perm = array<i64: 1, 0, 2, 3>} : tensor<33x2x3x4xf32> -> tensor<2x33x3x4xf32>
// CHECK-NEXT: %[[R:.*]] = axon.reshape %[[GT]] : tensor<2x33x3x4xf32> -> tensor<2x99x4xf32>
// CHECK-NEXT: %[[M:.*]] = axon.matmul %[[L]], %[[R]] : tensor<2x5x99xf32>, tensor<2x99x4xf32> -> tensor<2x5x4xf32>
// CHECK-NEXT: %[[K:.*]] = axon.reshape %[[M]] : tensor<2x5x4xf32> -> tensor<1x2x5x4xf32>
// CHECK-NEXT: return %[[K]]
func.func @kept_heads(%o: tensor<33x2x5x3xf32>, %g: tensor<33x2x3x4xf32>) -> tensor<1x2x5x4xf32> {
  %p = axon.matmul %o, %g : tensor<33x2x5x3xf32>, tensor<33x2x3x4xf32> -> tensor<33x2x5x4xf32>
  %s = axon.sum %p {axes = array<i64: 0>, keepdims = true} : tensor<33x2x5x4xf32> -> tensor<1x2x5x4xf32>
  return %s : tensor<1x2x5x4xf32>
}

// -----

// Left alone: the left operand is broadcast along the summed axis (rank 2:
// the sum is of one matrix times the batch's sum, not a longer contraction).
// CHECK-LABEL: func.func @operand_broadcast_along_sum
// CHECK: axon.matmul
// CHECK-NEXT: axon.sum
func.func @operand_broadcast_along_sum(%a: tensor<3x5xf32>, %b: tensor<7x5x4xf32>) -> tensor<3x4xf32> {
  %p = axon.matmul %a, %b : tensor<3x5xf32>, tensor<7x5x4xf32> -> tensor<7x3x4xf32>
  %s = axon.sum %p {axes = array<i64: 0>} : tensor<7x3x4xf32> -> tensor<3x4xf32>
  return %s : tensor<3x4xf32>
}

// -----

// Multi-head attention's output projection (nn.merge_heads), the sum over
// the heads (2) of o[n, h] Wo[h]: one product over the heads and their
// columns, Wo's [2, 3] merged into 6 rows.
// CHECK-LABEL: func.func @output_projection
// CHECK-SAME: (%[[O:.*]]: tensor<7x2x5x3xf32>, %[[W:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[OT:.*]] = axon.transpose %[[O]] {perm = array<i64: 0, 2, 1, 3>} : tensor<7x2x5x3xf32> -> tensor<7x5x2x3xf32>
// CHECK-NEXT: %[[L:.*]] = axon.reshape %[[OT]] : tensor<7x5x2x3xf32> -> tensor<7x5x6xf32>
// CHECK-NEXT: %[[R:.*]] = axon.reshape %[[W]] : tensor<2x3x4xf32> -> tensor<6x4xf32>
// CHECK-NEXT: %[[M:.*]] = axon.matmul %[[L]], %[[R]] : tensor<7x5x6xf32>, tensor<6x4xf32> -> tensor<7x5x4xf32>
// CHECK-NEXT: return %[[M]]
func.func @output_projection(%o: tensor<7x2x5x3xf32>, %w: tensor<2x3x4xf32>) -> tensor<7x5x4xf32> {
  %p = axon.matmul %o, %w : tensor<7x2x5x3xf32>, tensor<2x3x4xf32> -> tensor<7x2x5x4xf32>
  %s = axon.sum %p {axes = array<i64: 1>} : tensor<7x2x5x4xf32> -> tensor<7x5x4xf32>
  return %s : tensor<7x5x4xf32>
}

// -----

// Left alone: a sum over M (not a batch axis), a product read twice, and a
// dynamic batch (before axon-specialize).
// CHECK-LABEL: func.func @not_batch_sums
// CHECK-COUNT-3: axon.matmul
// CHECK-NOT: axon.reshape
func.func @not_batch_sums(%a: tensor<7x3x5xf32>, %b: tensor<7x5x4xf32>, %c: tensor<?x3x5xf32>, %d: tensor<?x5x4xf32>) -> (tensor<7x4xf32>, tensor<3x4xf32>, tensor<7x3x4xf32>, tensor<3x4xf32>) {
  %p = axon.matmul %a, %b : tensor<7x3x5xf32>, tensor<7x5x4xf32> -> tensor<7x3x4xf32>
  %s = axon.sum %p {axes = array<i64: 1>} : tensor<7x3x4xf32> -> tensor<7x4xf32>
  %q = axon.matmul %a, %b : tensor<7x3x5xf32>, tensor<7x5x4xf32> -> tensor<7x3x4xf32>
  %t = axon.sum %q {axes = array<i64: 0>} : tensor<7x3x4xf32> -> tensor<3x4xf32>
  %r = axon.matmul %c, %d : tensor<?x3x5xf32>, tensor<?x5x4xf32> -> tensor<?x3x4xf32>
  %u = axon.sum %r {axes = array<i64: 0>} : tensor<?x3x4xf32> -> tensor<3x4xf32>
  return %s, %t, %q, %u : tensor<7x4xf32>, tensor<3x4xf32>, tensor<7x3x4xf32>, tensor<3x4xf32>
}
