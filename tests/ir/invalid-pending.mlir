// Verifier cases the dialect gets wrong today (IR accepted, or a garbled
// message), written as they should behave; this file fails until ir/ is
// fixed, and then its cases belong in invalid.mlir.
// RUN: axon-opt %s -split-input-file -verify-diagnostics

// windowDim in ShapeRules.cpp divides a negative numerator, which truncates
// toward zero: a 4-wide window with stride 2 over 3 elements gives extent 1.
func.func @pool_window_truncated(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x1x1xf32> {
  // expected-error@+1 {{pooling window is larger than the input [1, 1, 3, 3]}}
  %0 = axon.max_pool2d %x {kernel = array<i64: 4, 4>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x3x3xf32> -> tensor<1x1x1x1xf32>
  return %0 : tensor<1x1x1x1xf32>
}

// -----

// A negative extent becomes Dim::of(-2), which isKnown() reads as unknown,
// so any declared extent is accepted.
func.func @pool_window_negative(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x7x7xf32> {
  // expected-error@+1 {{pooling window is larger than the input [1, 1, 2, 2]}}
  %0 = axon.avg_pool2d %x {kernel = array<i64: 5, 5>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xf32> -> tensor<1x1x7x7xf32>
  return %0 : tensor<1x1x7x7xf32>
}

// -----

func.func @conv_filter_truncated(%x: tensor<1x3x3x3xf32>, %k: tensor<4x3x4x4xf32>) -> tensor<1x4x1x1xf32> {
  // expected-error@+1 {{conv2d filter [4, 3, 4, 4] is larger than the padded input [1, 3, 3, 3]}}
  %0 = axon.conv2d %x, %k {strides = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x3x3x3xf32>, tensor<4x3x4x4xf32> -> tensor<1x4x1x1xf32>
  return %0 : tensor<1x4x1x1xf32>
}

// -----

func.func @conv_filter_negative(%x: tensor<1x3x1x1xf32>, %k: tensor<4x3x7x7xf32>) -> tensor<1x4x5x5xf32> {
  // expected-error@+1 {{conv2d filter [4, 3, 7, 7] is larger than the padded input [1, 3, 1, 1]}}
  %0 = axon.conv2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x3x1x1xf32>, tensor<4x3x7x7xf32> -> tensor<1x4x5x5xf32>
  return %0 : tensor<1x4x5x5xf32>
}

// -----

// (1 - 1) * 1 - 2 * 2 + 1 + 0 = -3: the same Dim::of(negative) hole.
func.func @convt_negative(%x: tensor<1x3x1x1xf32>, %k: tensor<3x2x1x1xf32>) -> tensor<1x2x1x1xf32> {
  // expected-error@+1 {{conv_transpose2d output would be empty}}
  %0 = axon.conv_transpose2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 2, 2>, output_padding = array<i64: 0, 0>} : tensor<1x3x1x1xf32>, tensor<3x2x1x1xf32> -> tensor<1x2x1x1xf32>
  return %0 : tensor<1x2x1x1xf32>
}

// -----

// Grouped conv_transpose2d: 3 input channels cannot split into 2 groups.
func.func @convt_groups_channels(%x: tensor<1x3x4x4xf32>, %k: tensor<3x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error@+1 {{not divisible by groups}}
  %0 = axon.conv_transpose2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, output_padding = array<i64: 0, 0>, groups = 2 : i64} : tensor<1x3x4x4xf32>, tensor<3x2x3x3xf32> -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// I64Attr getters return uint64_t, so `getStart() < 0` and `getStride() < 1`
// in InsertSliceOp::inferResultShape never see a negative value; with a
// dynamic target nothing else catches it.
func.func @insert_slice_negative_start(%t: tensor<?x3xf32>, %u: tensor<2x3xf32>) -> tensor<?x3xf32> {
  // expected-error@+1 {{insert_slice needs start >= 0 and stride >= 1}}
  %0 = axon.insert_slice %u into %t {axis = 0 : i64, start = -1 : i64} : tensor<2x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @insert_slice_negative_stride(%t: tensor<?x3xf32>, %u: tensor<2x3xf32>) -> tensor<?x3xf32> {
  // expected-error@+1 {{insert_slice needs start >= 0 and stride >= 1}}
  %0 = axon.insert_slice %u into %t {axis = 0 : i64, start = 1 : i64, stride = -1 : i64} : tensor<2x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Reductions verify with verifyShape(*this, {}): the result's element type
// is never compared with the input's.
func.func @sum_element_type(%x: tensor<4xf32>) -> tensor<i32> {
  // expected-error@+1 {{element types differ: 'f32' vs 'i32'}}
  %0 = axon.sum %x {axes = array<i64>} : tensor<4xf32> -> tensor<i32>
  return %0 : tensor<i32>
}

// -----

func.func @mean_element_type(%x: tensor<4xf32>) -> tensor<f64> {
  // expected-error@+1 {{element types differ: 'f32' vs 'f64'}}
  %0 = axon.mean %x {axes = array<i64>} : tensor<4xf32> -> tensor<f64>
  return %0 : tensor<f64>
}

// -----

func.func @reduce_max_element_type(%x: tensor<4xi32>) -> tensor<f32> {
  // expected-error@+1 {{element types differ: 'i32' vs 'f32'}}
  %0 = axon.reduce_max %x {axes = array<i64>} : tensor<4xi32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// A negative axis is printed through uint64_t: "axis 18446744073709551613".
func.func @softmax_negative_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{axis -3 is out of range}}
  %0 = axon.softmax %x {axis = -3 : i64} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @log_softmax_negative_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{axis -3 is out of range}}
  %0 = axon.log_softmax %x {axis = -3 : i64} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @dim_negative_axis(%x: tensor<?x3xf32>) -> tensor<i64> {
  // expected-error@+1 {{axis -3 is out of range}}
  %0 = axon.dim %x {axis = -3 : i64} : tensor<?x3xf32>
  return %0 : tensor<i64>
}

// -----

// TrainOp::verifySymbolUses does cast<RankedTensorType> on the loss
// function's result: undefined in a release build, an assertion in a debug
// one, for a result that is not a ranked tensor.
func.func private @loss_f32(tensor<4xf32>) -> f32
// expected-error@+1 {{loss function 'loss_f32' must return a scalar}}
axon.train @loss_f32 {}

// -----

func.func private @loss_unranked(tensor<4xf32>) -> tensor<*xf32>
// expected-error@+1 {{loss function 'loss_unranked' must return a scalar}}
axon.train @loss_unranked {}
