// Every verifier error path of the axon ops, with the exact message it gives.
// RUN: axon-opt %s -split-input-file -verify-diagnostics

func.func @add_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{shapes [2, 3] and [4] do not broadcast: dimension 3 vs 4}}
  %0 = axon.add %a, %b : tensor<2x3xf32>, tensor<4xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @sub_element_types(%a: tensor<3xf32>, %b: tensor<3xf64>) -> tensor<3xf32> {
  // expected-error@+1 {{requires the same element type for all operands and results}}
  %0 = axon.sub %a, %b : tensor<3xf32>, tensor<3xf64> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @mul_result_shape(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x4xf32> {
  // expected-error@+1 {{result shape [2, 4] does not match the inferred shape [2, 3]}}
  %0 = axon.mul %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @div_result_rank(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error@+1 {{result shape [3] does not match the inferred shape [2, 3]}}
  %0 = axon.div %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @max_dynamic_mismatch(%a: tensor<?x3xf32>, %b: tensor<2x5xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{shapes [?, 3] and [2, 5] do not broadcast: dimension 3 vs 5}}
  %0 = axon.max %a, %b : tensor<?x3xf32>, tensor<2x5xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @unary_type(%a: tensor<3xf32>) -> tensor<3xf64> {
  // expected-error@+1 {{requires the same type for all operands and results}}
  %0 = "axon.exp"(%a) : (tensor<3xf32>) -> tensor<3xf64>
  return %0 : tensor<3xf64>
}

// -----

func.func @cmp_element_types(%a: tensor<3xf32>, %b: tensor<3xi32>) -> tensor<3xi1> {
  // expected-error@+1 {{failed to verify that all of {lhs, rhs} have same element type}}
  %0 = axon.cmp lt, %a, %b : tensor<3xf32>, tensor<3xi32> -> tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

func.func @cmp_broadcast(%a: tensor<3xf32>, %b: tensor<2xf32>) -> tensor<3xi1> {
  // expected-error@+1 {{shapes [3] and [2] do not broadcast: dimension 3 vs 2}}
  %0 = axon.cmp eq, %a, %b : tensor<3xf32>, tensor<2xf32> -> tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

func.func @cmp_result_shape(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<3xi1> {
  // expected-error@+1 {{result shape [3] does not match the inferred shape [2, 3]}}
  %0 = axon.cmp gt, %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

func.func @cmp_result_i1(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error@+1 {{result #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<3xf32>'}}
  %0 = axon.cmp eq, %a, %b : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @cmp_bad_predicate(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<3xi1> {
  // expected-error@+1 {{custom op 'axon.cmp' expected string or keyword containing one of the following enum values for attribute 'predicate' [eq, ne, lt, le, gt, ge]}}
  %0 = axon.cmp foo, %a, %b : tensor<3xf32>, tensor<3xf32> -> tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

func.func @select_cond_type(%c: tensor<3xf32>, %a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error@+1 {{operand #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<3xf32>'}}
  %0 = axon.select %c, %a, %a : tensor<3xf32>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @select_element_types(%c: tensor<3xi1>, %a: tensor<3xf32>, %b: tensor<3xf64>) -> tensor<3xf32> {
  // expected-error@+1 {{failed to verify that all of {on_true, on_false, result} have same element type}}
  %0 = axon.select %c, %a, %b : tensor<3xi1>, tensor<3xf32>, tensor<3xf64> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @select_cond_shape(%c: tensor<2xi1>, %a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error@+1 {{shapes [2] and [3] do not broadcast: dimension 2 vs 3}}
  %0 = axon.select %c, %a, %a : tensor<2xi1>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @select_result_shape(%c: tensor<2x1xi1>, %a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error@+1 {{result shape [3] does not match the inferred shape [2, 3]}}
  %0 = axon.select %c, %a, %a : tensor<2x1xi1>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @cast_shape(%a: tensor<2x3xf32>) -> tensor<6xi32> {
  // expected-error@+1 {{all non-scalar operands/results must have the same shape and base type}}
  %0 = axon.cast %a : tensor<2x3xf32> -> tensor<6xi32>
  return %0 : tensor<6xi32>
}

// -----

func.func @matmul_inner(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error@+1 {{'axon.matmul' op matmul inner dimensions do not agree: [2, 3] @ [4, 5] (3 vs 4)}}
  %0 = axon.matmul %a, %b : tensor<2x3xf32>, tensor<4x5xf32> -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @matmul_inner_dynamic(%a: tensor<?x784xf32>, %b: tensor<785x10xf32>) -> tensor<?x10xf32> {
  // expected-error@+1 {{'axon.matmul' op matmul inner dimensions do not agree: [?, 784] @ [785, 10] (784 vs 785)}}
  %0 = axon.matmul %a, %b : tensor<?x784xf32>, tensor<785x10xf32> -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

func.func @matmul_rank(%a: tensor<3xf32>, %b: tensor<3x5xf32>) -> tensor<5xf32> {
  // expected-error@+1 {{matmul needs operands of rank >= 2, got [3] and [3, 5]}}
  %0 = axon.matmul %a, %b : tensor<3xf32>, tensor<3x5xf32> -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

func.func @matmul_batch(%a: tensor<2x4x3xf32>, %b: tensor<3x3x5xf32>) -> tensor<2x4x5xf32> {
  // expected-error@+1 {{matmul batch dimensions: shapes [2] and [3] do not broadcast: dimension 2 vs 3}}
  %0 = axon.matmul %a, %b : tensor<2x4x3xf32>, tensor<3x3x5xf32> -> tensor<2x4x5xf32>
  return %0 : tensor<2x4x5xf32>
}

// -----

func.func @matmul_result(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) -> tensor<5x2xf32> {
  // expected-error@+1 {{result shape [5, 2] does not match the inferred shape [2, 5]}}
  %0 = axon.matmul %a, %b : tensor<2x3xf32>, tensor<3x5xf32> -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

// -----

func.func @matmul_int(%a: tensor<2x3xi32>, %b: tensor<3x5xi32>) -> tensor<2x5xi32> {
  // expected-error@+1 {{operand #0 must be ranked tensor of floating-point values, but got 'tensor<2x3xi32>'}}
  %0 = axon.matmul %a, %b : tensor<2x3xi32>, tensor<3x5xi32> -> tensor<2x5xi32>
  return %0 : tensor<2x5xi32>
}

// -----

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %k: tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error@+1 {{conv2d input has 3 channels but the filter expects 2 (2 x 1 groups)}}
  %0 = axon.conv2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32> -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_group_channels(%x: tensor<1x6x8x8xf32>, %k: tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error@+1 {{conv2d input has 6 channels but the filter expects 4 (2 x 2 groups)}}
  %0 = axon.conv2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 2 : i64} : tensor<1x6x8x8xf32>, tensor<4x2x3x3xf32> -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_groups_out(%x: tensor<1x4x8x8xf32>, %k: tensor<3x2x3x3xf32>) -> tensor<1x3x6x6xf32> {
  // expected-error@+1 {{conv2d output channels 3 are not divisible by groups 2}}
  %0 = axon.conv2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 2 : i64} : tensor<1x4x8x8xf32>, tensor<3x2x3x3xf32> -> tensor<1x3x6x6xf32>
  return %0 : tensor<1x3x6x6xf32>
}

// -----

func.func @conv_groups_zero(%x: tensor<1x4x8x8xf32>, %k: tensor<4x4x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error@+1 {{groups must be >= 1}}
  %0 = axon.conv2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 0 : i64} : tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_rank(%x: tensor<3x8x8xf32>, %k: tensor<4x3x3x3xf32>) -> tensor<4x6x6xf32> {
  // expected-error@+1 {{conv2d needs a [N, C, H, W] input and a [O, C, KH, KW] filter, got [3, 8, 8] and [4, 3, 3, 3]}}
  %0 = axon.conv2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilations = array<i64: 1, 1>} : tensor<3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<4x6x6xf32>
  return %0 : tensor<4x6x6xf32>
}

// -----

func.func @conv_strides_count(%x: tensor<1x3x8x8xf32>, %k: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error@+1 {{strides needs 2 values (h, w), got 1}}
  %0 = axon.conv2d %x, %k {strides = array<i64: 1>, padding = array<i64: 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_padding_negative(%x: tensor<1x3x8x8xf32>, %k: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error@+1 {{padding must be >= 0, got -1}}
  %0 = axon.conv2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, -1>, dilations = array<i64: 1, 1>} : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_dilation_zero(%x: tensor<1x3x8x8xf32>, %k: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error@+1 {{dilations must be >= 1, got 0}}
  %0 = axon.conv2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilations = array<i64: 0, 1>} : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_dynamic_kernel(%x: tensor<1x3x8x8xf32>, %k: tensor<4x3x?x3xf32>) -> tensor<1x4x?x6xf32> {
  // expected-error@+1 {{conv2d filter height and width must be static}}
  %0 = axon.conv2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x3x8x8xf32>, tensor<4x3x?x3xf32> -> tensor<1x4x?x6xf32>
  return %0 : tensor<1x4x?x6xf32>
}

// -----

func.func @conv_filter_too_large(%x: tensor<1x3x4x4xf32>, %k: tensor<4x3x5x5xf32>) -> tensor<1x4x1x1xf32> {
  // expected-error@+1 {{conv2d filter [4, 3, 5, 5] is larger than the padded input [1, 3, 4, 4]}}
  %0 = axon.conv2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x3x4x4xf32>, tensor<4x3x5x5xf32> -> tensor<1x4x1x1xf32>
  return %0 : tensor<1x4x1x1xf32>
}

// -----

func.func @conv_result(%x: tensor<1x3x8x8xf32>, %k: tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error@+1 {{result shape [1, 4, 8, 8] does not match the inferred shape [1, 4, 6, 6]}}
  %0 = axon.conv2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @conv_missing_attr(%x: tensor<1x3x8x8xf32>, %k: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error@+1 {{requires attribute 'dilations'}}
  %0 = axon.conv2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @convt_channels(%x: tensor<1x3x4x4xf32>, %k: tensor<4x2x3x3xf32>) -> tensor<1x2x6x6xf32> {
  // expected-error@+1 {{conv_transpose2d channels do not agree: input [1, 3, 4, 4], filter [4, 2, 3, 3]}}
  %0 = axon.conv_transpose2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, output_padding = array<i64: 0, 0>} : tensor<1x3x4x4xf32>, tensor<4x2x3x3xf32> -> tensor<1x2x6x6xf32>
  return %0 : tensor<1x2x6x6xf32>
}

// -----

func.func @convt_output_padding(%x: tensor<1x3x4x4xf32>, %k: tensor<3x2x3x3xf32>) -> tensor<1x2x7x7xf32> {
  // expected-error@+1 {{output_padding must be smaller than the stride}}
  %0 = axon.conv_transpose2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, output_padding = array<i64: 1, 1>} : tensor<1x3x4x4xf32>, tensor<3x2x3x3xf32> -> tensor<1x2x7x7xf32>
  return %0 : tensor<1x2x7x7xf32>
}

// -----

func.func @convt_empty(%x: tensor<1x3x1x1xf32>, %k: tensor<3x2x2x2xf32>) -> tensor<1x2x0x0xf32> {
  // expected-error@+1 {{conv_transpose2d output would be empty}}
  %0 = axon.conv_transpose2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 1, 1>, output_padding = array<i64: 0, 0>} : tensor<1x3x1x1xf32>, tensor<3x2x2x2xf32> -> tensor<1x2x0x0xf32>
  return %0 : tensor<1x2x0x0xf32>
}

// -----

func.func @convt_groups_zero(%x: tensor<1x3x4x4xf32>, %k: tensor<3x2x3x3xf32>) -> tensor<1x2x6x6xf32> {
  // expected-error@+1 {{groups must be >= 1}}
  %0 = axon.conv_transpose2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, output_padding = array<i64: 0, 0>, groups = 0 : i64} : tensor<1x3x4x4xf32>, tensor<3x2x3x3xf32> -> tensor<1x2x6x6xf32>
  return %0 : tensor<1x2x6x6xf32>
}

// -----

func.func @convt_dynamic_kernel(%x: tensor<1x3x4x4xf32>, %k: tensor<3x2x3x?xf32>) -> tensor<1x2x6x?xf32> {
  // expected-error@+1 {{conv_transpose2d filter height and width must be static}}
  %0 = axon.conv_transpose2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, output_padding = array<i64: 0, 0>} : tensor<1x3x4x4xf32>, tensor<3x2x3x?xf32> -> tensor<1x2x6x?xf32>
  return %0 : tensor<1x2x6x?xf32>
}

// -----

func.func @convt_result(%x: tensor<1x3x4x4xf32>, %k: tensor<3x2x3x3xf32>) -> tensor<1x2x4x4xf32> {
  // expected-error@+1 {{result shape [1, 2, 4, 4] does not match the inferred shape [1, 2, 6, 6]}}
  %0 = axon.conv_transpose2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, output_padding = array<i64: 0, 0>} : tensor<1x3x4x4xf32>, tensor<3x2x3x3xf32> -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----

func.func @convt_rank(%x: tensor<3x4x4xf32>, %k: tensor<3x2x3x3xf32>) -> tensor<2x6x6xf32> {
  // expected-error@+1 {{conv_transpose2d needs a [N, C, H, W] input and a [C, O, KH, KW] filter, got [3, 4, 4] and [3, 2, 3, 3]}}
  %0 = axon.conv_transpose2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, output_padding = array<i64: 0, 0>} : tensor<3x4x4xf32>, tensor<3x2x3x3xf32> -> tensor<2x6x6xf32>
  return %0 : tensor<2x6x6xf32>
}

// -----

func.func @pool_window(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32> {
  // expected-error@+1 {{pooling window is larger than the input [1, 1, 2, 2]}}
  %0 = axon.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
  return %0 : tensor<1x1x1x1xf32>
}

// -----

func.func @pool_padding(%x: tensor<1x1x8x8xf32>) -> tensor<1x1x5x5xf32> {
  // expected-error@+1 {{padding must be at most half the kernel}}
  %0 = axon.avg_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 2, 2>} : tensor<1x1x8x8xf32> -> tensor<1x1x5x5xf32>
  return %0 : tensor<1x1x5x5xf32>
}

// -----

func.func @pool_rank(%x: tensor<8x8xf32>) -> tensor<4x4xf32> {
  // expected-error@+1 {{pooling needs a [N, C, H, W] input, got [8, 8]}}
  %0 = axon.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<8x8xf32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @pool_kernel_count(%x: tensor<1x1x8x8xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error@+1 {{kernel needs 2 values (h, w), got 3}}
  %0 = axon.max_pool2d %x {kernel = array<i64: 2, 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x8x8xf32> -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

func.func @pool_stride_zero(%x: tensor<1x1x8x8xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error@+1 {{strides must be >= 1, got 0}}
  %0 = axon.avg_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 0, 2>, padding = array<i64: 0, 0>} : tensor<1x1x8x8xf32> -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

func.func @pool_result(%x: tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32> {
  // expected-error@+1 {{result shape [1, 1, 8, 8] does not match the inferred shape [1, 1, 4, 4]}}
  %0 = axon.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x8x8xf32> -> tensor<1x1x8x8xf32>
  return %0 : tensor<1x1x8x8xf32>
}

// -----

func.func @pool_grad_shape(%x: tensor<1x1x8x8xf32>, %g: tensor<1x1x3x3xf32>) -> tensor<1x1x8x8xf32> {
  // expected-error@+1 {{gradient shape [1, 1, 3, 3] does not match the pooled shape [1, 1, 4, 4]}}
  %0 = axon.max_pool2d_grad %x, %g {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x8x8xf32>, tensor<1x1x3x3xf32> -> tensor<1x1x8x8xf32>
  return %0 : tensor<1x1x8x8xf32>
}

// -----

func.func @pool_grad_result(%x: tensor<1x1x8x8xf32>, %g: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error@+1 {{result shape [1, 1, 4, 4] does not match the inferred shape [1, 1, 8, 8]}}
  %0 = axon.avg_pool2d_grad %x, %g {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x8x8xf32>, tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

func.func @reduce_axis(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = axon.sum %x {axes = array<i64: 2>} : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @reduce_axis_negative(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{axis -3 is out of range for rank 2}}
  %0 = axon.reduce_max %x {axes = array<i64: -3>} : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @reduce_repeated(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{axis -1 is repeated}}
  %0 = axon.sum %x {axes = array<i64: 1, -1>} : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @reduce_keepdims(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{result shape [2] does not match the inferred shape [2, 1]}}
  %0 = axon.mean %x {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @mean_int(%x: tensor<2x3xi32>) -> tensor<i32> {
  // expected-error@+1 {{mean needs a floating-point result}}
  %0 = axon.mean %x {axes = array<i64>} : tensor<2x3xi32> -> tensor<i32>
  return %0 : tensor<i32>
}

// -----

func.func @argmax_axis(%x: tensor<2x3xf32>) -> tensor<2xi64> {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = axon.argmax %x {axis = 2 : i64} : tensor<2x3xf32> -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

func.func @argmax_float(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{result #0 must be ranked tensor of signless integer values, but got 'tensor<2xf32>'}}
  %0 = axon.argmax %x {axis = 1 : i64} : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @argmax_result(%x: tensor<2x3xf32>) -> tensor<3xi64> {
  // expected-error@+1 {{result shape [3] does not match the inferred shape [2]}}
  %0 = axon.argmax %x {axis = 1 : i64} : tensor<2x3xf32> -> tensor<3xi64>
  return %0 : tensor<3xi64>
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{axis 2 is out of range}}
  %0 = axon.softmax %x {axis = 2 : i64} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @log_softmax_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{axis 5 is out of range}}
  %0 = axon.log_softmax %x {axis = 5 : i64} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @softmax_int(%x: tensor<2x3xi32>) -> tensor<2x3xi32> {
  // expected-error@+1 {{operand #0 must be ranked tensor of floating-point values, but got 'tensor<2x3xi32>'}}
  %0 = axon.softmax %x {axis = 1 : i64} : tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) -> tensor<4x2xf32> {
  // expected-error@+1 {{cannot reshape [2, 3] (6 elements) to [4, 2] (8 elements)}}
  %0 = axon.reshape %x : tensor<2x3xf32> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @reshape_dynamic_count(%x: tensor<?x3xf32>) -> tensor<?xf32> {
  // expected-error@+1 {{result has 1 dynamic dims but 0 extents are given}}
  %0 = axon.reshape %x : tensor<?x3xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @reshape_dynamic_extra(%x: tensor<2x3xf32>, %n: tensor<i64>) -> tensor<6xf32> {
  // expected-error@+1 {{result has 0 dynamic dims but 1 extents are given}}
  %0 = axon.reshape %x [%n] : tensor<2x3xf32> -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

func.func @reshape_constant_extent(%x: tensor<2x3xf32>) -> tensor<?x2xf32> {
  %n = axon.constant dense<5> : tensor<i64>
  // expected-error@+1 {{cannot reshape [2, 3] (6 elements) to [5, 2] (10 elements)}}
  %0 = axon.reshape %x [%n] : tensor<2x3xf32> -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @reshape_element_type(%x: tensor<2x3xf32>) -> tensor<6xf64> {
  // expected-error@+1 {{failed to verify that all of {input, result} have same element type}}
  %0 = axon.reshape %x : tensor<2x3xf32> -> tensor<6xf64>
  return %0 : tensor<6xf64>
}

// -----

func.func @reshape_extent_type(%x: tensor<2x3xf32>, %n: tensor<i32>) -> tensor<?xf32> {
  // expected-error@+1 {{operand #1 must be variadic of 0D tensor of 64-bit signless integer values, but got 'tensor<i32>'}}
  %0 = "axon.reshape"(%x, %n) : (tensor<2x3xf32>, tensor<i32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @broadcast_shape(%x: tensor<3xf32>) -> tensor<2x4xf32> {
  // expected-error@+1 {{cannot broadcast [3] to [2, 4]}}
  %0 = axon.broadcast %x : tensor<3xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @broadcast_rank(%x: tensor<2x3xf32>) -> tensor<3xf32> {
  // expected-error@+1 {{cannot broadcast [2, 3] to [3]}}
  %0 = axon.broadcast %x : tensor<2x3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @broadcast_dynamic_count(%x: tensor<3xf32>, %n: tensor<i64>) -> tensor<?x?x3xf32> {
  // expected-error@+1 {{result has 2 dynamic dims but 1 extents are given}}
  %0 = axon.broadcast %x [%n] : tensor<3xf32> -> tensor<?x?x3xf32>
  return %0 : tensor<?x?x3xf32>
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error@+1 {{transpose permutation is not a permutation of 0..1}}
  %0 = axon.transpose %x {perm = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @transpose_perm_range(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error@+1 {{transpose permutation is not a permutation of 0..1}}
  %0 = axon.transpose %x {perm = array<i64: 2, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @transpose_perm_size(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error@+1 {{transpose permutation has 3 entries for rank 2}}
  %0 = axon.transpose %x {perm = array<i64: 1, 0, 2>} : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @transpose_result(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{result shape [2, 3] does not match the inferred shape [3, 2]}}
  %0 = axon.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @slice_range(%x: tensor<4x3xf32>) -> tensor<5x3xf32> {
  // expected-error@+1 {{slice [0, 5) is outside axis 0 of extent 4}}
  %0 = axon.slice %x {axis = 0 : i64, start = 0 : i64, limit = 5 : i64} : tensor<4x3xf32> -> tensor<5x3xf32>
  return %0 : tensor<5x3xf32>
}

// -----

func.func @slice_start_past_end(%x: tensor<4x3xf32>) -> tensor<0x3xf32> {
  // expected-error@+1 {{slice [5, -1) is outside axis 0 of extent 4}}
  %0 = axon.slice %x {axis = 0 : i64, start = 5 : i64, limit = -1 : i64} : tensor<4x3xf32> -> tensor<0x3xf32>
  return %0 : tensor<0x3xf32>
}

// -----

func.func @slice_stride(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  // expected-error@+1 {{slice stride must be >= 1}}
  %0 = axon.slice %x {axis = 0 : i64, start = 0 : i64, limit = 4 : i64, stride = 0 : i64} : tensor<4x3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @slice_order(%x: tensor<4x3xf32>) -> tensor<1x3xf32> {
  // expected-error@+1 {{slice needs 0 <= start <= limit}}
  %0 = axon.slice %x {axis = 0 : i64, start = 3 : i64, limit = 2 : i64} : tensor<4x3xf32> -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}

// -----

func.func @slice_axis(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = axon.slice %x {axis = 2 : i64, start = 0 : i64, limit = 1 : i64} : tensor<4x3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @slice_result(%x: tensor<4x3xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{result shape [2, 3] does not match the inferred shape [4, 3]}}
  %0 = axon.slice %x {axis = 0 : i64, start = 0 : i64, limit = 4 : i64} : tensor<4x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @insert_slice_result(%t: tensor<8x3xf32>, %u: tensor<2x3xf32>) -> tensor<?x3xf32> {
  // expected-error@+1 {{result type must equal the target type}}
  %0 = axon.insert_slice %u into %t {axis = 0 : i64, start = 0 : i64} : tensor<2x3xf32>, tensor<8x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @insert_slice_past_end(%t: tensor<8x3xf32>, %u: tensor<3x3xf32>) -> tensor<8x3xf32> {
  // expected-error@+1 {{update [3, 3] runs past the end of axis 0 of [8, 3]}}
  %0 = axon.insert_slice %u into %t {axis = 0 : i64, start = 2 : i64, stride = 3 : i64} : tensor<3x3xf32>, tensor<8x3xf32> -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

func.func @insert_slice_rank(%t: tensor<8x3xf32>, %u: tensor<3xf32>) -> tensor<8x3xf32> {
  // expected-error@+1 {{insert_slice needs an in-range axis and an update of the target's rank}}
  %0 = axon.insert_slice %u into %t {axis = 0 : i64, start = 2 : i64} : tensor<3xf32>, tensor<8x3xf32> -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

func.func @insert_slice_axis(%t: tensor<8x3xf32>, %u: tensor<8x3xf32>) -> tensor<8x3xf32> {
  // expected-error@+1 {{insert_slice needs an in-range axis and an update of the target's rank}}
  %0 = axon.insert_slice %u into %t {axis = 2 : i64, start = 0 : i64} : tensor<8x3xf32>, tensor<8x3xf32> -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

func.func @insert_slice_other_dims(%t: tensor<8x3xf32>, %u: tensor<2x4xf32>) -> tensor<8x3xf32> {
  // expected-error@+1 {{update [2, 4] does not fit target [8, 3]}}
  %0 = axon.insert_slice %u into %t {axis = 0 : i64, start = 2 : i64} : tensor<2x4xf32>, tensor<8x3xf32> -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

func.func @insert_slice_stride(%t: tensor<8x3xf32>, %u: tensor<2x3xf32>) -> tensor<8x3xf32> {
  // expected-error@+1 {{insert_slice needs start >= 0 and stride >= 1}}
  %0 = axon.insert_slice %u into %t {axis = 0 : i64, start = 2 : i64, stride = 0 : i64} : tensor<2x3xf32>, tensor<8x3xf32> -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

func.func @concat_rank(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x6xf32> {
  // expected-error@+1 {{concat operands have different ranks: [2, 3] and [3]}}
  %0 = axon.concat %a, %b {axis = 1 : i64} : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @concat_other_dims(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) -> tensor<2x6xf32> {
  // expected-error@+1 {{concat operands [2, 3] and [4, 3] differ outside axis 1}}
  %0 = axon.concat %a, %b {axis = 1 : i64} : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @concat_axis(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x6xf32> {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = axon.concat %a, %b {axis = 2 : i64} : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @concat_element_types(%a: tensor<2x3xf32>, %b: tensor<2x3xf64>) -> tensor<2x6xf32> {
  // expected-error@+1 {{requires the same element type for all operands and results}}
  %0 = axon.concat %a, %b {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x3xf64> -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @concat_result(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x5xf32> {
  // expected-error@+1 {{result shape [2, 5] does not match the inferred shape [2, 6]}}
  %0 = axon.concat %a, %b {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @concat_empty() -> tensor<2xf32> {
  // expected-error@+1 {{concat needs at least one operand}}
  %0 = "axon.concat"() {axis = 0 : i64} : () -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @gather_axis(%t: tensor<10x4xf32>, %i: tensor<3xi64>) -> tensor<3x4xf32> {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = axon.gather %t[%i] {axis = 2 : i64} : tensor<10x4xf32>, tensor<3xi64> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @gather_result(%t: tensor<10x4xf32>, %i: tensor<3xi64>) -> tensor<3x10xf32> {
  // expected-error@+1 {{result shape [3, 10] does not match the inferred shape [3, 4]}}
  %0 = axon.gather %t[%i] : tensor<10x4xf32>, tensor<3xi64> -> tensor<3x10xf32>
  return %0 : tensor<3x10xf32>
}

// -----

func.func @gather_float_indices(%t: tensor<10x4xf32>, %i: tensor<3xf32>) -> tensor<3x4xf32> {
  // expected-error@+1 {{operand #1 must be ranked tensor of signless integer values, but got 'tensor<3xf32>'}}
  %0 = axon.gather %t[%i] : tensor<10x4xf32>, tensor<3xf32> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @gather_element_type(%t: tensor<10x4xf32>, %i: tensor<3xi64>) -> tensor<3x4xf64> {
  // expected-error@+1 {{failed to verify that all of {table, result} have same element type}}
  %0 = axon.gather %t[%i] : tensor<10x4xf32>, tensor<3xi64> -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// -----

func.func @scatter_updates(%t: tensor<10x4xf32>, %i: tensor<3xi64>, %u: tensor<3x5xf32>) -> tensor<10x4xf32> {
  // expected-error@+1 {{updates shape [3, 5] does not match the gathered shape [3, 4]}}
  %0 = axon.scatter_add %t[%i], %u : tensor<10x4xf32>, tensor<3xi64>, tensor<3x5xf32> -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @scatter_result(%t: tensor<10x4xf32>, %i: tensor<3xi64>, %u: tensor<3x4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{result type must equal the target type}}
  %0 = axon.scatter_add %t[%i], %u : tensor<10x4xf32>, tensor<3xi64>, tensor<3x4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @scatter_axis(%t: tensor<10x4xf32>, %i: tensor<3xi64>, %u: tensor<3x4xf32>) -> tensor<10x4xf32> {
  // expected-error@+1 {{axis -3 is out of range for rank 2}}
  %0 = axon.scatter_add %t[%i], %u {axis = -3 : i64} : tensor<10x4xf32>, tensor<3xi64>, tensor<3x4xf32> -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @scatter_element_type(%t: tensor<10x4xf32>, %i: tensor<3xi64>, %u: tensor<3x4xf64>) -> tensor<10x4xf32> {
  // expected-error@+1 {{failed to verify that all of {target, updates, result} have same element type}}
  %0 = axon.scatter_add %t[%i], %u : tensor<10x4xf32>, tensor<3xi64>, tensor<3x4xf64> -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// -----

func.func @one_hot_depth(%i: tensor<4xi64>) -> tensor<4x0xf32> {
  // expected-error@+1 {{one_hot depth must be >= 1}}
  %0 = axon.one_hot %i {depth = 0 : i64} : tensor<4xi64> -> tensor<4x0xf32>
  return %0 : tensor<4x0xf32>
}

// -----

func.func @one_hot_result(%i: tensor<4xi64>) -> tensor<4x3xf32> {
  // expected-error@+1 {{result shape [4, 3] does not match the inferred shape [4, 10]}}
  %0 = axon.one_hot %i {depth = 10 : i64} : tensor<4xi64> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @one_hot_float(%i: tensor<4xf32>) -> tensor<4x10xf32> {
  // expected-error@+1 {{operand #0 must be ranked tensor of signless integer values, but got 'tensor<4xf32>'}}
  %0 = axon.one_hot %i {depth = 10 : i64} : tensor<4xf32> -> tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}

// -----

func.func @dim_axis(%x: tensor<?x3xf32>) -> tensor<i64> {
  // expected-error@+1 {{axis 2 is out of range}}
  %0 = axon.dim %x {axis = 2 : i64} : tensor<?x3xf32>
  return %0 : tensor<i64>
}

// -----

func.func @dim_result_type(%x: tensor<3xf32>) -> tensor<i32> {
  // expected-error@+1 {{result #0 must be 0D tensor of 64-bit signless integer values, but got 'tensor<i32>'}}
  %0 = "axon.dim"(%x) {axis = 0 : i64} : (tensor<3xf32>) -> tensor<i32>
  return %0 : tensor<i32>
}

// -----

func.func @constant_not_elements() -> tensor<f32> {
  %0 = axon.constant 1.0 : f32
  // expected-error@+1 {{custom op 'axon.constant' expected a dense elements attribute}}
  return %0 : tensor<f32>
}

// -----

func.func @constant_type() -> tensor<2xf32> {
  // expected-error@+1 {{value type does not match the result type}}
  %0 = "axon.constant"() {value = dense<1.0> : tensor<3xf32>} : () -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @fill_dynamic_count(%n: tensor<i64>) -> tensor<?x?xf32> {
  // expected-error@+1 {{result has 2 dynamic dims but 1 extents are given}}
  %0 = axon.fill [%n] {value = 1.0 : f64} : tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @fill_dynamic_extra(%n: tensor<i64>) -> tensor<3xf32> {
  // expected-error@+1 {{result has 0 dynamic dims but 1 extents are given}}
  %0 = axon.fill [%n] {value = 1.0 : f64} : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @uniform_bounds(%s: tensor<i64>) -> tensor<3xf32> {
  // expected-error@+1 {{low must not exceed high}}
  %0 = axon.random_uniform %s {seed = 0 : i64, low = 1.0 : f64, high = 0.0 : f64} : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @normal_std(%s: tensor<i64>) -> tensor<3xf32> {
  // expected-error@+1 {{std must be >= 0}}
  %0 = axon.random_normal %s {seed = 0 : i64, std = -1.0 : f64} : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @bernoulli_p_high(%s: tensor<i64>) -> tensor<3xf32> {
  // expected-error@+1 {{p must be in [0, 1]}}
  %0 = axon.random_bernoulli %s {seed = 0 : i64, p = 1.5 : f64} : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @bernoulli_p_low(%s: tensor<i64>) -> tensor<3xf32> {
  // expected-error@+1 {{p must be in [0, 1]}}
  %0 = axon.random_bernoulli %s {seed = 0 : i64, p = -0.1 : f64} : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @random_dynamic_count(%s: tensor<i64>) -> tensor<?xf32> {
  // expected-error@+1 {{result has 1 dynamic dims but 0 extents are given}}
  %0 = axon.random_normal %s {seed = 0 : i64} : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @random_int(%s: tensor<i64>) -> tensor<3xi32> {
  // expected-error@+1 {{result #0 must be ranked tensor of floating-point values, but got 'tensor<3xi32>'}}
  %0 = axon.random_uniform %s {seed = 0 : i64} : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

func.func @random_counter(%s: tensor<2xi64>) -> tensor<3xf32> {
  // expected-error@+1 {{operand #0 must be 0D tensor of 64-bit signless integer values, but got 'tensor<2xi64>'}}
  %0 = "axon.random_uniform"(%s) {seed = 0 : i64, operandSegmentSizes = array<i32: 1, 0>} : (tensor<2xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @random_missing_seed(%s: tensor<i64>) -> tensor<3xf32> {
  // expected-error@+1 {{requires attribute 'seed'}}
  %0 = axon.random_uniform %s : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// expected-error@+1 {{parameter type must be a statically shaped tensor}}
axon.param @w : tensor<?x10xf32> = zeros

// -----

// expected-error@+1 {{parameter element type must be floating-point}}
axon.param @w : tensor<10xi32> = zeros

// -----

// expected-error@+1 {{parameter type must be a statically shaped tensor}}
axon.param @w : f32 = zeros

// -----

// expected-error@+1 {{custom op 'axon.param' expected string or keyword containing one of the following enum values for attribute 'init' [zeros, ones, constant, uniform, normal, glorot_uniform, glorot_normal, he_uniform, he_normal]}}
axon.param @w : tensor<10xf32> = xavier

// -----

func.func @param_ref_unknown() -> tensor<10xf32> {
  // expected-error@+1 {{'nope' does not name an axon.param}}
  %0 = axon.param_ref @nope : tensor<10xf32>
  return %0 : tensor<10xf32>
}

// -----

func.func @f() {
  return
}
func.func @param_ref_function() -> tensor<10xf32> {
  // expected-error@+1 {{'f' does not name an axon.param}}
  %0 = axon.param_ref @f : tensor<10xf32>
  return %0 : tensor<10xf32>
}

// -----

axon.param @w : tensor<10xf32> = zeros
func.func @param_ref_type() -> tensor<?xf32> {
  // expected-error@+1 {{type 'tensor<?xf32>' does not match parameter type 'tensor<10xf32>'}}
  %0 = axon.param_ref @w : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

axon.param @w : tensor<10xf32> = zeros
func.func @param_ref_element_type() -> tensor<10xf64> {
  // expected-error@+1 {{type 'tensor<10xf64>' does not match parameter type 'tensor<10xf32>'}}
  %0 = axon.param_ref @w : tensor<10xf64>
  return %0 : tensor<10xf64>
}

// -----

func.func @param_store_unknown(%v: tensor<10xf32>) {
  // expected-error@+1 {{'nope' does not name an axon.param}}
  axon.param_store %v into @nope : tensor<10xf32>
  return
}

// -----

axon.param @w : tensor<10xf32> = zeros
func.func @param_store_type(%v: tensor<10xf64>) {
  // expected-error@+1 {{value type 'tensor<10xf64>' does not match parameter type 'tensor<10xf32>'}}
  axon.param_store %v into @w : tensor<10xf64>
  return
}

// -----

func.func @f() {
  return
}
func.func @param_store_function(%v: tensor<10xf32>) {
  // expected-error@+1 {{'f' does not name an axon.param}}
  axon.param_store %v into @f : tensor<10xf32>
  return
}

// -----

// expected-error@+1 {{'nope' does not name a function}}
axon.train @nope {}

// -----

axon.param @w : tensor<10xf32> = zeros
// expected-error@+1 {{'w' does not name a function}}
axon.train @w {}

// -----

func.func @loss(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
// expected-error@+1 {{loss function 'loss' must return a scalar}}
axon.train @loss <optimizer = sgd(lr = 1.000000e-01)>

// -----

func.func @loss(%x: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  return %x, %x : tensor<f32>, tensor<f32>
}
// expected-error@+1 {{loss function 'loss' must return a scalar}}
axon.train @loss {}

// -----

func.func @loss(%x: tensor<f32>) {
  return
}
// expected-error@+1 {{loss function 'loss' must return a scalar}}
axon.train @loss {}

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+1 {{step_fn 'nope' does not name a function}}
axon.train @loss {step_fn = @nope}

// -----

func.func @loop_carried_type(%h: tensor<4xf32>, %n: tensor<i64>) -> tensor<4xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  // expected-error@+1 {{carried value types must match across init, body and results}}
  %r = axon.loop %lo to %n carry(%h : tensor<4xf32>) {
  ^bb0(%t: tensor<i64>, %x: tensor<?xf32>):
    axon.yield %x : tensor<?xf32>
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @loop_result_type(%h: tensor<4xf32>, %n: tensor<i64>) -> tensor<4xf64> {
  %lo = axon.constant dense<0> : tensor<i64>
  // expected-error@+1 {{carried value types must match across init, body and results}}
  %r = axon.loop %lo to %n carry(%h : tensor<4xf32>) {
  ^bb0(%t: tensor<i64>, %x: tensor<4xf32>):
    axon.yield %x : tensor<4xf32>
  } -> tensor<4xf64>
  return %r : tensor<4xf64>
}

// -----

func.func @loop_yield_type(%h: tensor<4xf32>, %n: tensor<i64>) -> tensor<4xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  // expected-error@+1 {{yield must give one value per carried value, of the same type}}
  %r = axon.loop %lo to %n carry(%h : tensor<4xf32>) {
  ^bb0(%t: tensor<i64>, %x: tensor<4xf32>):
    %c = axon.cast %x : tensor<4xf32> -> tensor<?xf32>
    axon.yield %c : tensor<?xf32>
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @loop_yield_count(%h: tensor<4xf32>, %n: tensor<i64>) -> tensor<4xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  // expected-error@+1 {{yield must give one value per carried value, of the same type}}
  %r = axon.loop %lo to %n carry(%h : tensor<4xf32>) {
  ^bb0(%t: tensor<i64>, %x: tensor<4xf32>):
    axon.yield
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @loop_body_args(%h: tensor<4xf32>, %n: tensor<i64>) -> tensor<4xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  // expected-error@+1 {{body must take the step and one value per carried value}}
  %r = axon.loop %lo to %n carry(%h : tensor<4xf32>) {
  ^bb0(%x: tensor<4xf32>):
    axon.yield %x : tensor<4xf32>
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @loop_no_block_args(%n: tensor<i64>) {
  // expected-error@+1 {{body must take the step and one value per carried value}}
  axon.loop %n to %n {
  }
  return
}

// -----

func.func @loop_no_block(%n: tensor<i64>) {
  // expected-error@+1 {{region #0 ('body') failed to verify constraint: region with 1 blocks}}
  "axon.loop"(%n, %n) ({}) : (tensor<i64>, tensor<i64>) -> ()
  return
}

// -----

func.func @loop_step_type(%h: tensor<4xf32>, %n: tensor<i64>) -> tensor<4xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  // expected-error@+1 {{first body argument must be the rank-0 i64 step}}
  %r = axon.loop %lo to %n carry(%h : tensor<4xf32>) {
  ^bb0(%t: tensor<i32>, %x: tensor<4xf32>):
    axon.yield %x : tensor<4xf32>
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @loop_result_count(%h: tensor<4xf32>, %n: tensor<i64>) {
  %lo = axon.constant dense<0> : tensor<i64>
  // expected-error@+1 {{one result per carried value}}
  axon.loop %lo to %n carry(%h : tensor<4xf32>) {
  ^bb0(%t: tensor<i64>, %x: tensor<4xf32>):
    axon.yield %x : tensor<4xf32>
  }
  return
}

// -----

func.func @loop_bound_type(%n: tensor<i32>, %h: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{operand #0 must be 0D tensor of 64-bit signless integer values, but got 'tensor<i32>'}}
  %r = "axon.loop"(%n, %n, %h) ({
  ^bb0(%t: tensor<i64>, %x: tensor<4xf32>):
    axon.yield %x : tensor<4xf32>
  }) : (tensor<i32>, tensor<i32>, tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @yield_outside(%x: tensor<4xf32>) {
  // expected-error@+1 {{expects parent op 'axon.loop'}}
  axon.yield %x : tensor<4xf32>
}

// -----

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

// Reductions keep the input's element type (SameOperandsAndResultElementType).
func.func @sum_element_type(%x: tensor<4xf32>) -> tensor<i32> {
  // expected-error@+1 {{requires the same element type for all operands and results}}
  %0 = axon.sum %x {axes = array<i64>} : tensor<4xf32> -> tensor<i32>
  return %0 : tensor<i32>
}

// -----

func.func @mean_element_type(%x: tensor<4xf32>) -> tensor<f64> {
  // expected-error@+1 {{requires the same element type for all operands and results}}
  %0 = axon.mean %x {axes = array<i64>} : tensor<4xf32> -> tensor<f64>
  return %0 : tensor<f64>
}

// -----

func.func @reduce_max_element_type(%x: tensor<4xi32>) -> tensor<f32> {
  // expected-error@+1 {{requires the same element type for all operands and results}}
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

// -----

func.func @kernel_arg_types(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{body must take one argument per input, of the same type}}
  %r = axon.kernel "k" "injective" (%x : tensor<4xf32>) {
  ^bb0(%i: tensor<5xf32>):
    %e = axon.exp %i : tensor<5xf32>
    axon.kernel_yield %e : tensor<5xf32>
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @kernel_yield_types(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{kernel_yield must give one value per result, of the same type}}
  %r = axon.kernel "k" "injective" (%x : tensor<4xf32>) {
  ^bb0(%i: tensor<4xf32>):
    axon.kernel_yield %i, %i : tensor<4xf32>, tensor<4xf32>
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @kernel_name(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{needs a name}}
  %r = axon.kernel "" "injective" (%x : tensor<4xf32>) {
  ^bb0(%i: tensor<4xf32>):
    axon.kernel_yield %i : tensor<4xf32>
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @kernel_isolated(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note@+1 {{required by region isolation constraints}}
  %r = axon.kernel "k" "injective" {
    // expected-error@+1 {{using value defined outside the region}}
    %e = axon.exp %x : tensor<4xf32>
    axon.kernel_yield %e : tensor<4xf32>
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @kernel_unknown_kind(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{unknown kernel kind 'elementwise'}}
  %r = axon.kernel "k" "elementwise" (%x : tensor<4xf32>) {
  ^bb0(%a: tensor<4xf32>):
    axon.kernel_yield %a : tensor<4xf32>
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
