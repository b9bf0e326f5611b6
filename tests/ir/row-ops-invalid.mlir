// The verifier errors of the row ops (dynamic_row, dynamic_update_row).
// An index out of range is an error at run time (OpTable's examples).
// RUN: axon-opt %s -split-input-file -verify-diagnostics

func.func @row_of_scalar(%x: tensor<f32>, %i: tensor<i64>) -> tensor<f32> {
  // expected-error@+1 {{needs a tensor with rows (rank >= 1), not a scalar}}
  %0 = axon.dynamic_row %x[%i] : tensor<f32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @row_shape(%x: tensor<4x3xf32>, %i: tensor<i64>) -> tensor<4xf32> {
  // expected-error@+1 {{result shape [4] does not match the inferred shape [3]}}
  %0 = axon.dynamic_row %x[%i] : tensor<4x3xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @row_index_type(%x: tensor<4x3xf32>, %i: tensor<i32>) -> tensor<3xf32> {
  // expected-error@+1 {{operand #1 must be 0D tensor of 64-bit signless integer values}}
  %0 = "axon.dynamic_row"(%x, %i) : (tensor<4x3xf32>, tensor<i32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @update_not_a_row(%x: tensor<4x3xf32>, %i: tensor<i64>, %u: tensor<4xf32>) -> tensor<4x3xf32> {
  // expected-error@+1 {{update [4] is not a row [3] of [4, 3]}}
  %0 = axon.dynamic_update_row %x[%i], %u : tensor<4x3xf32>, tensor<4xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @update_of_scalar(%x: tensor<f32>, %i: tensor<i64>, %u: tensor<f32>) -> tensor<f32> {
  // expected-error@+1 {{needs a tensor with rows (rank >= 1), not a scalar}}
  %0 = axon.dynamic_update_row %x[%i], %u : tensor<f32>, tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @update_element_type(%x: tensor<4x3xf32>, %i: tensor<i64>, %u: tensor<3xf64>) -> tensor<4x3xf32> {
  // expected-error@+1 {{failed to verify that all of {target, update} have same element type}}
  %0 = "axon.dynamic_update_row"(%x, %i, %u) : (tensor<4x3xf32>, tensor<i64>, tensor<3xf64>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @update_result_type(%x: tensor<4x3xf32>, %i: tensor<i64>, %u: tensor<3xf32>) -> tensor<5x3xf32> {
  // expected-error@+1 {{failed to verify that all of {target, result} have same type}}
  %0 = "axon.dynamic_update_row"(%x, %i, %u) : (tensor<4x3xf32>, tensor<i64>, tensor<3xf32>) -> tensor<5x3xf32>
  return %0 : tensor<5x3xf32>
}
