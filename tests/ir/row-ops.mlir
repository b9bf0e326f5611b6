// The row ops (dynamic_row, dynamic_update_row: a row of the first axis at
// an index known at run time) print and parse back; their result types
// follow from the operands.
// RUN: axon-opt %s -split-input-file | axon-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @rows
// CHECK: %[[R:.*]] = axon.dynamic_row %arg0[%arg1] : tensor<?x2x3xf32> -> tensor<2x3xf32>
// CHECK: %[[S:.*]] = axon.sin %[[R]] : tensor<2x3xf32>
// CHECK: axon.dynamic_update_row %arg0[%arg1], %[[S]] : tensor<?x2x3xf32>, tensor<2x3xf32>
// CHECK: axon.dynamic_row %{{.*}}[%arg1] : tensor<7xi32> -> tensor<i32>
func.func @rows(%x: tensor<?x2x3xf32>, %i: tensor<i64>, %v: tensor<7xi32>) -> (tensor<?x2x3xf32>, tensor<i32>) {
  %r = axon.dynamic_row %x[%i] : tensor<?x2x3xf32> -> tensor<2x3xf32>
  %s = axon.sin %r : tensor<2x3xf32>
  %u = axon.dynamic_update_row %x[%i], %s : tensor<?x2x3xf32>, tensor<2x3xf32>
  %e = axon.dynamic_row %v[%i] : tensor<7xi32> -> tensor<i32>
  return %u, %e : tensor<?x2x3xf32>, tensor<i32>
}
