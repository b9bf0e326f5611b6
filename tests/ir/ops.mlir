// Every axon op prints and parses back to the same IR, with static and
// dynamic extents, optional attributes and optional operand lists.
// RUN: axon-opt %s | axon-opt | FileCheck %s

// Every initialiser; `a`, `b` and `seed` print only when not the default.
// CHECK: axon.param @w : tensor<784x10xf32> = glorot_uniform {seed = 7 : i64}
// CHECK-NEXT: axon.param @b : tensor<10xf32> = zeros
// CHECK-NEXT: axon.param @c : tensor<3xf32> = constant {a = 5.000000e-01 : f64}
// CHECK-NEXT: axon.param @u : tensor<3xf32> = uniform {a = -1.000000e+00 : f64, b = 1.000000e+00 : f64}
// CHECK-NEXT: axon.param @n : tensor<3xf32> = normal {b = 1.000000e-01 : f64}
// CHECK-NEXT: axon.param @m : tensor<784x10xf32> = zeros {optimizer_state}
// CHECK-NEXT: axon.param @o : tensor<2xf64> = ones
// CHECK-NEXT: axon.param @gn : tensor<2x2xf32> = glorot_normal
// CHECK-NEXT: axon.param @hu : tensor<4x1x3x3xf32> = he_uniform
// CHECK-NEXT: axon.param @hn : tensor<4x1x3x3xf32> = he_normal
axon.param @w : tensor<784x10xf32> = glorot_uniform {seed = 7 : i64}
axon.param @b : tensor<10xf32> = zeros
axon.param @c : tensor<3xf32> = constant {a = 0.5 : f64}
axon.param @u : tensor<3xf32> = uniform {a = -1.0 : f64, b = 1.0 : f64}
axon.param @n : tensor<3xf32> = normal {a = 0.0 : f64, b = 0.1 : f64}
axon.param @m : tensor<784x10xf32> = zeros {optimizer_state}
axon.param @o : tensor<2xf64> = ones
axon.param @gn : tensor<2x2xf32> = glorot_normal
axon.param @hu : tensor<4x1x3x3xf32> = he_uniform
axon.param @hn : tensor<4x1x3x3xf32> = he_normal

// CHECK-LABEL: func.func @unary
// CHECK-SAME: (%arg0: tensor<2x?xf32>) -> tensor<2x?xf32>
func.func @unary(%x: tensor<2x?xf32>) -> tensor<2x?xf32> {
  // CHECK-NEXT: %[[V0:.*]] = axon.neg %arg0 : tensor<2x?xf32>
  %0 = axon.neg %x : tensor<2x?xf32>
  // CHECK-NEXT: %[[V1:.*]] = axon.exp %[[V0]] : tensor<2x?xf32>
  %1 = axon.exp %0 : tensor<2x?xf32>
  // CHECK-NEXT: %[[V2:.*]] = axon.log %[[V1]] : tensor<2x?xf32>
  %2 = axon.log %1 : tensor<2x?xf32>
  // CHECK-NEXT: %[[V3:.*]] = axon.sqrt %[[V2]] : tensor<2x?xf32>
  %3 = axon.sqrt %2 : tensor<2x?xf32>
  // CHECK-NEXT: %[[V4:.*]] = axon.abs %[[V3]] : tensor<2x?xf32>
  %4 = axon.abs %3 : tensor<2x?xf32>
  // CHECK-NEXT: %[[V5:.*]] = axon.sin %[[V4]] : tensor<2x?xf32>
  %5 = axon.sin %4 : tensor<2x?xf32>
  // CHECK-NEXT: %[[V6:.*]] = axon.cos %[[V5]] : tensor<2x?xf32>
  %6 = axon.cos %5 : tensor<2x?xf32>
  // CHECK-NEXT: %[[V7:.*]] = axon.tanh %[[V6]] : tensor<2x?xf32>
  %7 = axon.tanh %6 : tensor<2x?xf32>
  // CHECK-NEXT: %[[V8:.*]] = axon.sigmoid %[[V7]] : tensor<2x?xf32>
  %8 = axon.sigmoid %7 : tensor<2x?xf32>
  // CHECK-NEXT: %[[V9:.*]] = axon.relu %[[V8]] : tensor<2x?xf32>
  %9 = axon.relu %8 : tensor<2x?xf32>
  // CHECK-NEXT: %[[V10:.*]] = axon.softplus %[[V9]] : tensor<2x?xf32>
  %10 = axon.softplus %9 : tensor<2x?xf32>
  // CHECK-NEXT: %[[V11:.*]] = axon.sign %[[V10]] : tensor<2x?xf32>
  %11 = axon.sign %10 : tensor<2x?xf32>
  // CHECK-NEXT: %[[V12:.*]] = axon.erf %[[V11]] : tensor<2x?xf32>
  %12 = axon.erf %11 : tensor<2x?xf32>
  // CHECK-NEXT: return %[[V12]] : tensor<2x?xf32>
  return %12 : tensor<2x?xf32>
}

// Binary ops broadcast: a dynamic extent against a static one, rank-0
// against rank-2.
// CHECK-LABEL: func.func @binary
func.func @binary(%a: tensor<4x?xf32>, %b: tensor<?xf32>, %s: tensor<f32>) -> tensor<4x?xf32> {
  // CHECK-NEXT: %[[V0:.*]] = axon.add %arg0, %arg1 : tensor<4x?xf32>, tensor<?xf32> -> tensor<4x?xf32>
  %0 = axon.add %a, %b : tensor<4x?xf32>, tensor<?xf32> -> tensor<4x?xf32>
  // CHECK-NEXT: %[[V1:.*]] = axon.sub %[[V0]], %arg2 : tensor<4x?xf32>, tensor<f32> -> tensor<4x?xf32>
  %1 = axon.sub %0, %s : tensor<4x?xf32>, tensor<f32> -> tensor<4x?xf32>
  // CHECK-NEXT: %[[V2:.*]] = axon.mul %[[V1]], %arg0 : tensor<4x?xf32>, tensor<4x?xf32> -> tensor<4x?xf32>
  %2 = axon.mul %1, %a : tensor<4x?xf32>, tensor<4x?xf32> -> tensor<4x?xf32>
  // CHECK-NEXT: %[[V3:.*]] = axon.div %[[V2]], %arg1 : tensor<4x?xf32>, tensor<?xf32> -> tensor<4x?xf32>
  %3 = axon.div %2, %b : tensor<4x?xf32>, tensor<?xf32> -> tensor<4x?xf32>
  // CHECK-NEXT: %[[V4:.*]] = axon.pow %[[V3]], %arg2 : tensor<4x?xf32>, tensor<f32> -> tensor<4x?xf32>
  %4 = axon.pow %3, %s : tensor<4x?xf32>, tensor<f32> -> tensor<4x?xf32>
  // CHECK-NEXT: %[[V5:.*]] = axon.max %[[V4]], %arg0 : tensor<4x?xf32>, tensor<4x?xf32> -> tensor<4x?xf32>
  %5 = axon.max %4, %a : tensor<4x?xf32>, tensor<4x?xf32> -> tensor<4x?xf32>
  // CHECK-NEXT: %[[V6:.*]] = axon.min %[[V5]], %arg1 : tensor<4x?xf32>, tensor<?xf32> -> tensor<4x?xf32>
  %6 = axon.min %5, %b : tensor<4x?xf32>, tensor<?xf32> -> tensor<4x?xf32>
  // CHECK-NEXT: return %[[V6]]
  return %6 : tensor<4x?xf32>
}

// Extents of 1 stretch on both sides; missing leading dims act as 1.
// CHECK-LABEL: func.func @broadcast_static
func.func @broadcast_static(%a: tensor<3x1x5xf32>, %b: tensor<4x1xf32>, %i: tensor<3xi32>, %j: tensor<2x1xi32>) -> (tensor<3x4x5xf32>, tensor<2x3xi32>) {
  // CHECK-NEXT: axon.add %arg0, %arg1 : tensor<3x1x5xf32>, tensor<4x1xf32> -> tensor<3x4x5xf32>
  %0 = axon.add %a, %b : tensor<3x1x5xf32>, tensor<4x1xf32> -> tensor<3x4x5xf32>
  // CHECK-NEXT: axon.sub %arg2, %arg3 : tensor<3xi32>, tensor<2x1xi32> -> tensor<2x3xi32>
  %1 = axon.sub %i, %j : tensor<3xi32>, tensor<2x1xi32> -> tensor<2x3xi32>
  return %0, %1 : tensor<3x4x5xf32>, tensor<2x3xi32>
}

// CHECK-LABEL: func.func @cmp_select
func.func @cmp_select(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %i: tensor<?xi64>) -> (tensor<2x3xf32>, tensor<?xi1>) {
  // CHECK-NEXT: axon.cmp eq, %arg0, %arg1 : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  %eq = axon.cmp eq, %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK-NEXT: axon.cmp ne, %arg0, %arg1 : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  %ne = axon.cmp ne, %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK-NEXT: axon.cmp lt, %arg0, %arg1 : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  %lt = axon.cmp lt, %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK-NEXT: axon.cmp le, %arg0, %arg1 : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  %le = axon.cmp le, %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK-NEXT: axon.cmp gt, %arg0, %arg1 : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  %gt = axon.cmp gt, %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK-NEXT: %[[GE:.*]] = axon.cmp ge, %arg1, %arg0 : tensor<3xf32>, tensor<2x3xf32> -> tensor<2x3xi1>
  %ge = axon.cmp ge, %b, %a : tensor<3xf32>, tensor<2x3xf32> -> tensor<2x3xi1>
  // CHECK-NEXT: %[[IEQ:.*]] = axon.cmp eq, %arg2, %arg2 : tensor<?xi64>, tensor<?xi64> -> tensor<?xi1>
  %ieq = axon.cmp eq, %i, %i : tensor<?xi64>, tensor<?xi64> -> tensor<?xi1>
  // CHECK-NEXT: %[[S:.*]] = axon.select %[[GE]], %arg0, %arg1 : tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %s = axon.select %ge, %a, %b : tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: return %[[S]], %[[IEQ]]
  return %s, %ieq : tensor<2x3xf32>, tensor<?xi1>
}

// Cast changes the element type, and/or turns extents static <-> dynamic.
// CHECK-LABEL: func.func @cast
func.func @cast(%x: tensor<4x8xf32>, %m: tensor<4xi1>) -> (tensor<?x8xi32>, tensor<4xf32>, tensor<4x8xf32>) {
  // CHECK-NEXT: %[[C0:.*]] = axon.cast %arg0 : tensor<4x8xf32> -> tensor<?x8xi32>
  %0 = axon.cast %x : tensor<4x8xf32> -> tensor<?x8xi32>
  // CHECK-NEXT: axon.cast %arg1 : tensor<4xi1> -> tensor<4xf32>
  %1 = axon.cast %m : tensor<4xi1> -> tensor<4xf32>
  // CHECK-NEXT: axon.cast %[[C0]] : tensor<?x8xi32> -> tensor<4x8xf32>
  %2 = axon.cast %0 : tensor<?x8xi32> -> tensor<4x8xf32>
  return %0, %1, %2 : tensor<?x8xi32>, tensor<4xf32>, tensor<4x8xf32>
}

// Plain, dynamic-batch and batched matmul whose batch dims broadcast
// ([2, 1] with [3] -> [2, 3]).
// CHECK-LABEL: func.func @matmul
func.func @matmul(%a: tensor<?x784xf32>, %w: tensor<784x10xf32>, %x: tensor<2x1x4x8xf32>, %y: tensor<3x8x5xf32>, %p: tensor<?x?xf64>, %q: tensor<?x7xf64>) -> (tensor<?x10xf32>, tensor<2x3x4x5xf32>, tensor<?x7xf64>) {
  // CHECK-NEXT: axon.matmul %arg0, %arg1 : tensor<?x784xf32>, tensor<784x10xf32> -> tensor<?x10xf32>
  %0 = axon.matmul %a, %w : tensor<?x784xf32>, tensor<784x10xf32> -> tensor<?x10xf32>
  // CHECK-NEXT: axon.matmul %arg2, %arg3 : tensor<2x1x4x8xf32>, tensor<3x8x5xf32> -> tensor<2x3x4x5xf32>
  %1 = axon.matmul %x, %y : tensor<2x1x4x8xf32>, tensor<3x8x5xf32> -> tensor<2x3x4x5xf32>
  // CHECK-NEXT: axon.matmul %arg4, %arg5 : tensor<?x?xf64>, tensor<?x7xf64> -> tensor<?x7xf64>
  %2 = axon.matmul %p, %q : tensor<?x?xf64>, tensor<?x7xf64> -> tensor<?x7xf64>
  return %0, %1, %2 : tensor<?x10xf32>, tensor<2x3x4x5xf32>, tensor<?x7xf64>
}

// conv2d with every attribute set (groups printed only when not 1), and with
// dynamic batch and spatial extents; conv_transpose2d with output_padding.
// CHECK-LABEL: func.func @conv
func.func @conv(%x: tensor<2x4x28x28xf32>, %k: tensor<8x2x3x3xf32>, %t: tensor<2x8x7x7xf32>, %kt: tensor<8x3x4x4xf32>, %d: tensor<?x4x?x?xf32>, %k1: tensor<6x4x5x5xf32>) -> (tensor<2x8x15x13xf32>, tensor<2x3x14x14xf32>, tensor<?x8x?x?xf32>, tensor<2x3x15x15xf32>, tensor<2x6x24x24xf32>) {
  // CHECK-NEXT: axon.conv2d %arg0, %arg1 {dilations = array<i64: 1, 2>, groups = 2 : i64, padding = array<i64: 2, 1>, strides = array<i64: 2, 2>} : tensor<2x4x28x28xf32>, tensor<8x2x3x3xf32> -> tensor<2x8x15x13xf32>
  %0 = axon.conv2d %x, %k {dilations = array<i64: 1, 2>, groups = 2 : i64, padding = array<i64: 2, 1>, strides = array<i64: 2, 2>} : tensor<2x4x28x28xf32>, tensor<8x2x3x3xf32> -> tensor<2x8x15x13xf32>
  // CHECK-NEXT: axon.conv_transpose2d %arg2, %arg3 {output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, strides = array<i64: 2, 2>} : tensor<2x8x7x7xf32>, tensor<8x3x4x4xf32> -> tensor<2x3x14x14xf32>
  %1 = axon.conv_transpose2d %t, %kt {output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, strides = array<i64: 2, 2>} : tensor<2x8x7x7xf32>, tensor<8x3x4x4xf32> -> tensor<2x3x14x14xf32>
  // CHECK-NEXT: axon.conv2d %arg4, %arg1 {dilations = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>} : tensor<?x4x?x?xf32>, tensor<8x2x3x3xf32> -> tensor<?x8x?x?xf32>
  %2 = axon.conv2d %d, %k {dilations = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>} : tensor<?x4x?x?xf32>, tensor<8x2x3x3xf32> -> tensor<?x8x?x?xf32>
  // CHECK-NEXT: axon.conv_transpose2d %arg2, %arg3 {output_padding = array<i64: 1, 1>, padding = array<i64: 1, 1>, strides = array<i64: 2, 2>} : tensor<2x8x7x7xf32>, tensor<8x3x4x4xf32> -> tensor<2x3x15x15xf32>
  %3 = axon.conv_transpose2d %t, %kt {output_padding = array<i64: 1, 1>, padding = array<i64: 1, 1>, strides = array<i64: 2, 2>, groups = 1 : i64} : tensor<2x8x7x7xf32>, tensor<8x3x4x4xf32> -> tensor<2x3x15x15xf32>
  // CHECK-NEXT: axon.conv2d %arg0, %arg5 {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>} : tensor<2x4x28x28xf32>, tensor<6x4x5x5xf32> -> tensor<2x6x24x24xf32>
  %4 = axon.conv2d %x, %k1 {dilations = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>} : tensor<2x4x28x28xf32>, tensor<6x4x5x5xf32> -> tensor<2x6x24x24xf32>
  return %0, %1, %2, %3, %4 : tensor<2x8x15x13xf32>, tensor<2x3x14x14xf32>, tensor<?x8x?x?xf32>, tensor<2x3x15x15xf32>, tensor<2x6x24x24xf32>
}

// CHECK-LABEL: func.func @pools
func.func @pools(%x: tensor<1x3x8x8xf32>, %g: tensor<1x3x4x4xf32>, %d: tensor<?x3x?x?xf32>) -> (tensor<1x3x4x4xf32>, tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>, tensor<?x3x?x?xf32>) {
  // CHECK-NEXT: axon.max_pool2d %arg0 {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, strides = array<i64: 2, 2>} : tensor<1x3x8x8xf32> -> tensor<1x3x4x4xf32>
  %0 = axon.max_pool2d %x {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, strides = array<i64: 2, 2>} : tensor<1x3x8x8xf32> -> tensor<1x3x4x4xf32>
  // CHECK-NEXT: %[[AVG:.*]] = axon.avg_pool2d %arg0 {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, strides = array<i64: 2, 2>} : tensor<1x3x8x8xf32> -> tensor<1x3x4x4xf32>
  %1 = axon.avg_pool2d %x {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, strides = array<i64: 2, 2>} : tensor<1x3x8x8xf32> -> tensor<1x3x4x4xf32>
  // CHECK-NEXT: axon.max_pool2d_grad %arg0, %arg1 {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, strides = array<i64: 2, 2>} : tensor<1x3x8x8xf32>, tensor<1x3x4x4xf32> -> tensor<1x3x8x8xf32>
  %2 = axon.max_pool2d_grad %x, %g {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, strides = array<i64: 2, 2>} : tensor<1x3x8x8xf32>, tensor<1x3x4x4xf32> -> tensor<1x3x8x8xf32>
  // CHECK-NEXT: axon.avg_pool2d_grad %arg0, %[[AVG]] {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, strides = array<i64: 2, 2>} : tensor<1x3x8x8xf32>, tensor<1x3x4x4xf32> -> tensor<1x3x8x8xf32>
  %3 = axon.avg_pool2d_grad %x, %1 {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, strides = array<i64: 2, 2>} : tensor<1x3x8x8xf32>, tensor<1x3x4x4xf32> -> tensor<1x3x8x8xf32>
  // CHECK-NEXT: axon.max_pool2d %arg2 {kernel = array<i64: 2, 2>, padding = array<i64: 1, 1>, strides = array<i64: 1, 1>} : tensor<?x3x?x?xf32> -> tensor<?x3x?x?xf32>
  %4 = axon.max_pool2d %d {kernel = array<i64: 2, 2>, padding = array<i64: 1, 1>, strides = array<i64: 1, 1>} : tensor<?x3x?x?xf32> -> tensor<?x3x?x?xf32>
  return %0, %2, %3, %4 : tensor<1x3x4x4xf32>, tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>, tensor<?x3x?x?xf32>
}

// Empty `axes` reduces everything; negative axes count from the end;
// `keepdims = false` is the default and is not printed.
// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<2x?x4xf32>, %i: tensor<5xi32>) -> (tensor<f32>, tensor<2x1x1xf32>, tensor<2x?xf32>, tensor<?x4xi64>, tensor<2x?x1xi32>, tensor<i32>, tensor<1x1x1xf32>) {
  // CHECK-NEXT: axon.sum %arg0 {axes = array<i64>} : tensor<2x?x4xf32> -> tensor<f32>
  %0 = axon.sum %x {axes = array<i64>} : tensor<2x?x4xf32> -> tensor<f32>
  // CHECK-NEXT: axon.mean %arg0 {axes = array<i64: 1, -1>, keepdims = true} : tensor<2x?x4xf32> -> tensor<2x1x1xf32>
  %1 = axon.mean %x {axes = array<i64: 1, -1>, keepdims = true} : tensor<2x?x4xf32> -> tensor<2x1x1xf32>
  // CHECK-NEXT: axon.reduce_max %arg0 {axes = array<i64: 2>} : tensor<2x?x4xf32> -> tensor<2x?xf32>
  %2 = axon.reduce_max %x {axes = array<i64: 2>, keepdims = false} : tensor<2x?x4xf32> -> tensor<2x?xf32>
  // CHECK-NEXT: axon.argmax %arg0 {axis = 0 : i64} : tensor<2x?x4xf32> -> tensor<?x4xi64>
  %3 = axon.argmax %x {axis = 0 : i64} : tensor<2x?x4xf32> -> tensor<?x4xi64>
  // CHECK-NEXT: axon.argmax %arg0 {axis = -1 : i64, keepdims = true} : tensor<2x?x4xf32> -> tensor<2x?x1xi32>
  %4 = axon.argmax %x {axis = -1 : i64, keepdims = true} : tensor<2x?x4xf32> -> tensor<2x?x1xi32>
  // CHECK-NEXT: axon.sum %arg1 {axes = array<i64: 0>} : tensor<5xi32> -> tensor<i32>
  %5 = axon.sum %i {axes = array<i64: 0>} : tensor<5xi32> -> tensor<i32>
  // CHECK-NEXT: axon.sum %arg0 {axes = array<i64>, keepdims = true} : tensor<2x?x4xf32> -> tensor<1x1x1xf32>
  %6 = axon.sum %x {axes = array<i64>, keepdims = true} : tensor<2x?x4xf32> -> tensor<1x1x1xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<f32>, tensor<2x1x1xf32>, tensor<2x?xf32>, tensor<?x4xi64>, tensor<2x?x1xi32>, tensor<i32>, tensor<1x1x1xf32>
}

// CHECK-LABEL: func.func @softmax
func.func @softmax(%x: tensor<?x10xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>) {
  // CHECK-NEXT: axon.softmax %arg0 {axis = 1 : i64} : tensor<?x10xf32>
  %0 = axon.softmax %x {axis = 1 : i64} : tensor<?x10xf32>
  // CHECK-NEXT: axon.log_softmax %arg0 {axis = -1 : i64} : tensor<?x10xf32>
  %1 = axon.log_softmax %x {axis = -1 : i64} : tensor<?x10xf32>
  return %0, %1 : tensor<?x10xf32>, tensor<?x10xf32>
}

// reshape and broadcast take one rank-0 i64 operand per `?` of the result.
// CHECK-LABEL: func.func @movement
func.func @movement(%x: tensor<?x4x6xf32>, %n: tensor<i64>, %v: tensor<6xf32>, %m: tensor<i64>) -> (tensor<?x24xf32>, tensor<3x?x6xf32>, tensor<6x?x4xf32>, tensor<4x6xf32>, tensor<?x?xf32>, tensor<?x4x6xf32>) {
  // CHECK-NEXT: axon.reshape %arg0[%arg1] : tensor<?x4x6xf32> -> tensor<?x24xf32>
  %0 = axon.reshape %x [%n] : tensor<?x4x6xf32> -> tensor<?x24xf32>
  // CHECK-NEXT: axon.broadcast %arg2[%arg1] : tensor<6xf32> -> tensor<3x?x6xf32>
  %1 = axon.broadcast %v [%n] : tensor<6xf32> -> tensor<3x?x6xf32>
  // CHECK-NEXT: axon.transpose %arg0 {perm = array<i64: 2, 0, 1>} : tensor<?x4x6xf32> -> tensor<6x?x4xf32>
  %2 = axon.transpose %x {perm = array<i64: 2, 0, 1>} : tensor<?x4x6xf32> -> tensor<6x?x4xf32>
  // CHECK-NEXT: axon.broadcast %arg2 : tensor<6xf32> -> tensor<4x6xf32>
  %3 = axon.broadcast %v : tensor<6xf32> -> tensor<4x6xf32>
  // CHECK-NEXT: axon.reshape %arg0[%arg1, %arg3] : tensor<?x4x6xf32> -> tensor<?x?xf32>
  %4 = axon.reshape %x [%n, %m] : tensor<?x4x6xf32> -> tensor<?x?xf32>
  // CHECK-NEXT: axon.broadcast %arg2[%arg3] : tensor<6xf32> -> tensor<?x4x6xf32>
  %5 = axon.broadcast %v [%m] : tensor<6xf32> -> tensor<?x4x6xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<?x24xf32>, tensor<3x?x6xf32>, tensor<6x?x4xf32>, tensor<4x6xf32>, tensor<?x?xf32>, tensor<?x4x6xf32>
}

// CHECK-LABEL: func.func @reshape_static
func.func @reshape_static(%x: tensor<2x3x4xf32>, %s: tensor<1xf32>) -> (tensor<6x4xf32>, tensor<f32>) {
  // CHECK-NEXT: axon.reshape %arg0 : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %0 = axon.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  // CHECK-NEXT: axon.reshape %arg1 : tensor<1xf32> -> tensor<f32>
  %1 = axon.reshape %s : tensor<1xf32> -> tensor<f32>
  return %0, %1 : tensor<6x4xf32>, tensor<f32>
}

// `stride = 1` is the default and is not printed; `limit = -1` is the end.
// CHECK-LABEL: func.func @slices
func.func @slices(%x: tensor<8x?xf32>, %u: tensor<3x?xf32>) -> (tensor<3x?xf32>, tensor<8x?xf32>, tensor<8x?xf32>, tensor<6x?xf32>) {
  // CHECK-NEXT: axon.slice %arg0 {axis = 0 : i64, limit = 7 : i64, start = 1 : i64, stride = 2 : i64} : tensor<8x?xf32> -> tensor<3x?xf32>
  %0 = axon.slice %x {axis = 0 : i64, limit = 7 : i64, start = 1 : i64, stride = 2 : i64} : tensor<8x?xf32> -> tensor<3x?xf32>
  // CHECK-NEXT: axon.slice %arg0 {axis = 1 : i64, limit = -1 : i64, start = 2 : i64} : tensor<8x?xf32> -> tensor<8x?xf32>
  %1 = axon.slice %x {axis = 1 : i64, limit = -1 : i64, start = 2 : i64} : tensor<8x?xf32> -> tensor<8x?xf32>
  // CHECK-NEXT: axon.insert_slice %arg1 into %arg0 {axis = 0 : i64, start = 1 : i64, stride = 2 : i64} : tensor<3x?xf32>, tensor<8x?xf32> -> tensor<8x?xf32>
  %2 = axon.insert_slice %u into %x {axis = 0 : i64, start = 1 : i64, stride = 2 : i64} : tensor<3x?xf32>, tensor<8x?xf32> -> tensor<8x?xf32>
  // CHECK-NEXT: axon.slice %arg0 {axis = -2 : i64, limit = -1 : i64, start = 2 : i64} : tensor<8x?xf32> -> tensor<6x?xf32>
  %3 = axon.slice %x {axis = -2 : i64, limit = -1 : i64, start = 2 : i64, stride = 1 : i64} : tensor<8x?xf32> -> tensor<6x?xf32>
  return %0, %1, %2, %3 : tensor<3x?xf32>, tensor<8x?xf32>, tensor<8x?xf32>, tensor<6x?xf32>
}

// CHECK-LABEL: func.func @concat
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %c: tensor<2x?xf32>, %d: tensor<?x3xf32>) -> (tensor<2x8xf32>, tensor<2x?xf32>, tensor<?x3xf32>, tensor<2x3xf32>) {
  // CHECK-NEXT: axon.concat %arg0, %arg1 {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x5xf32> -> tensor<2x8xf32>
  %0 = axon.concat %a, %b {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x5xf32> -> tensor<2x8xf32>
  // CHECK-NEXT: axon.concat %arg0, %arg1, %arg2 {axis = -1 : i64} : tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x?xf32> -> tensor<2x?xf32>
  %1 = axon.concat %a, %b, %c {axis = -1 : i64} : tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x?xf32> -> tensor<2x?xf32>
  // CHECK-NEXT: axon.concat %arg0, %arg3 {axis = 0 : i64} : tensor<2x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %2 = axon.concat %a, %d {axis = 0 : i64} : tensor<2x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  // CHECK-NEXT: axon.concat %arg0 {axis = 0 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
  %3 = axon.concat %a {axis = 0 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0, %1, %2, %3 : tensor<2x8xf32>, tensor<2x?xf32>, tensor<?x3xf32>, tensor<2x3xf32>
}

// `axis = 0` is the default of gather and scatter_add and is not printed.
// CHECK-LABEL: func.func @gather_scatter
func.func @gather_scatter(%table: tensor<100x16xf32>, %ids: tensor<?x5xi64>, %g: tensor<?x5x16xf32>, %t: tensor<4x100xf32>, %j: tensor<7xi32>, %u: tensor<4x7xf32>) -> (tensor<?x5x16xf32>, tensor<100x16xf32>, tensor<4x7xf32>, tensor<4x100xf32>) {
  // CHECK-NEXT: axon.gather %arg0[%arg1] : tensor<100x16xf32>, tensor<?x5xi64> -> tensor<?x5x16xf32>
  %0 = axon.gather %table[%ids] {axis = 0 : i64} : tensor<100x16xf32>, tensor<?x5xi64> -> tensor<?x5x16xf32>
  // CHECK-NEXT: axon.scatter_add %arg0[%arg1], %arg2 : tensor<100x16xf32>, tensor<?x5xi64>, tensor<?x5x16xf32> -> tensor<100x16xf32>
  %1 = axon.scatter_add %table[%ids], %g : tensor<100x16xf32>, tensor<?x5xi64>, tensor<?x5x16xf32> -> tensor<100x16xf32>
  // CHECK-NEXT: axon.gather %arg3[%arg4] {axis = 1 : i64} : tensor<4x100xf32>, tensor<7xi32> -> tensor<4x7xf32>
  %2 = axon.gather %t[%j] {axis = 1 : i64} : tensor<4x100xf32>, tensor<7xi32> -> tensor<4x7xf32>
  // CHECK-NEXT: axon.scatter_add %arg3[%arg4], %arg5 {axis = -1 : i64} : tensor<4x100xf32>, tensor<7xi32>, tensor<4x7xf32> -> tensor<4x100xf32>
  %3 = axon.scatter_add %t[%j], %u {axis = -1 : i64} : tensor<4x100xf32>, tensor<7xi32>, tensor<4x7xf32> -> tensor<4x100xf32>
  return %0, %1, %2, %3 : tensor<?x5x16xf32>, tensor<100x16xf32>, tensor<4x7xf32>, tensor<4x100xf32>
}

// CHECK-LABEL: func.func @one_hot_dim
func.func @one_hot_dim(%labels: tensor<?xi64>, %l2: tensor<2x3xi32>) -> (tensor<?x10xf32>, tensor<i64>, tensor<2x3x4xf64>, tensor<i64>) {
  // CHECK-NEXT: axon.one_hot %arg0 {depth = 10 : i64} : tensor<?xi64> -> tensor<?x10xf32>
  %0 = axon.one_hot %labels {depth = 10 : i64} : tensor<?xi64> -> tensor<?x10xf32>
  // CHECK-NEXT: axon.dim %arg0 {axis = 0 : i64} : tensor<?xi64>
  %1 = axon.dim %labels {axis = 0 : i64} : tensor<?xi64>
  // CHECK-NEXT: axon.one_hot %arg1 {depth = 4 : i64} : tensor<2x3xi32> -> tensor<2x3x4xf64>
  %2 = axon.one_hot %l2 {depth = 4 : i64} : tensor<2x3xi32> -> tensor<2x3x4xf64>
  // CHECK-NEXT: axon.dim %arg1 {axis = -1 : i64} : tensor<2x3xi32>
  %3 = axon.dim %l2 {axis = -1 : i64} : tensor<2x3xi32>
  return %0, %1, %2, %3 : tensor<?x10xf32>, tensor<i64>, tensor<2x3x4xf64>, tensor<i64>
}

// Constants print their value and type only; the random ops print their
// distribution parameters only when not the default.
// CHECK-LABEL: func.func @creation
func.func @creation(%n: tensor<i64>, %step: tensor<i64>) -> (tensor<2x2xf32>, tensor<i64>, tensor<?x3xf32>, tensor<4xf32>, tensor<?x3xf32>, tensor<2x2xf64>, tensor<?xf32>, tensor<3xi1>, tensor<2xf32>, tensor<f32>) {
  // CHECK-NEXT: axon.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
  %0 = axon.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // CHECK-NEXT: axon.constant dense<0> : tensor<i64>
  %1 = axon.constant dense<0> : tensor<i64>
  // CHECK-NEXT: axon.fill[%arg0] {value = 0.000000e+00 : f64} : tensor<?x3xf32>
  %2 = axon.fill [%n] {value = 0.0 : f64} : tensor<?x3xf32>
  // CHECK-NEXT: axon.random_uniform %arg1 {low = -1.000000e+00 : f64, seed = 1 : i64} : tensor<4xf32>
  %3 = axon.random_uniform %step {high = 1.0 : f64, low = -1.0 : f64, seed = 1 : i64} : tensor<4xf32>
  // CHECK-NEXT: axon.random_normal %arg1[%arg0] {seed = 2 : i64, std = 1.000000e-02 : f64} : tensor<?x3xf32>
  %4 = axon.random_normal %step [%n] {mean = 0.0 : f64, seed = 2 : i64, std = 0.01 : f64} : tensor<?x3xf32>
  // CHECK-NEXT: axon.random_bernoulli %arg1 {p = 9.000000e-01 : f64, seed = 3 : i64} : tensor<2x2xf64>
  %5 = axon.random_bernoulli %step {p = 0.9 : f64, seed = 3 : i64} : tensor<2x2xf64>
  // CHECK-NEXT: axon.random_uniform %arg1[%arg0] {seed = 4 : i64} : tensor<?xf32>
  %6 = axon.random_uniform %step [%n] {seed = 4 : i64} : tensor<?xf32>
  // CHECK-NEXT: axon.constant dense<[true, false, true]> : tensor<3xi1>
  %7 = axon.constant dense<[true, false, true]> : tensor<3xi1>
  // CHECK-NEXT: axon.fill {value = -2.500000e+00 : f64} : tensor<2xf32>
  %8 = axon.fill {value = -2.5 : f64} : tensor<2xf32>
  // CHECK-NEXT: axon.random_normal %arg1 {mean = 1.000000e+00 : f64, seed = 5 : i64} : tensor<f32>
  %9 = axon.random_normal %step {mean = 1.0 : f64, seed = 5 : i64} : tensor<f32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9 : tensor<2x2xf32>, tensor<i64>, tensor<?x3xf32>, tensor<4xf32>, tensor<?x3xf32>, tensor<2x2xf64>, tensor<?xf32>, tensor<3xi1>, tensor<2xf32>, tensor<f32>
}

// CHECK-LABEL: func.func @params
func.func @params(%x: tensor<?x784xf32>) -> tensor<?x10xf32> {
  // CHECK-NEXT: %[[W:.*]] = axon.param_ref @w : tensor<784x10xf32>
  %w = axon.param_ref @w : tensor<784x10xf32>
  // CHECK-NEXT: %[[B:.*]] = axon.param_ref @b : tensor<10xf32>
  %b = axon.param_ref @b : tensor<10xf32>
  // CHECK-NEXT: %[[Y:.*]] = axon.matmul %arg0, %[[W]]
  %y = axon.matmul %x, %w : tensor<?x784xf32>, tensor<784x10xf32> -> tensor<?x10xf32>
  // CHECK-NEXT: axon.add %[[Y]], %[[B]]
  %z = axon.add %y, %b : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  return %z : tensor<?x10xf32>
}

// CHECK-LABEL: func.func @update
func.func @update(%g: tensor<10xf32>) {
  // CHECK-NEXT: %[[B:.*]] = axon.param_ref @b : tensor<10xf32>
  %b = axon.param_ref @b : tensor<10xf32>
  // CHECK-NEXT: %[[NB:.*]] = axon.sub %[[B]], %arg0
  %nb = axon.sub %b, %g : tensor<10xf32>, tensor<10xf32> -> tensor<10xf32>
  // CHECK-NEXT: axon.param_store %[[NB]] into @b : tensor<10xf32>
  axon.param_store %nb into @b : tensor<10xf32>
  return
}

// CHECK-LABEL: func.func @loss
func.func @loss(%x: tensor<?x784xf32>, %y: tensor<?x10xf32>) -> tensor<f32> {
  %p = call @params(%x) : (tensor<?x784xf32>) -> tensor<?x10xf32>
  %d = axon.sub %p, %y : tensor<?x10xf32>, tensor<?x10xf32> -> tensor<?x10xf32>
  %l = axon.mean %d {axes = array<i64>} : tensor<?x10xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// The train configuration is typed (tests/ir/train-config.mlir has every
// setting); it prints in the settings' order, as the model file writes them.
// CHECK: axon.train @loss <optimizer = sgd(lr = 0.1), batch = 32, epochs = 3>
axon.train @loss <batch = 32, epochs = 3, optimizer = sgd(lr = 0.1)>
// A block that sets nothing prints no configuration.
// CHECK: axon.train @loss {tag = "empty"}
axon.train @loss {tag = "empty"}
// Once lowered, the train block names its step function.
// CHECK: axon.train @loss {step_fn = @loss}
axon.train @loss {step_fn = @loss}

// CHECK-LABEL: func.func @loop
func.func @loop(%h0: tensor<4xf32>, %c0: tensor<4xf32>, %n: tensor<i64>) -> (tensor<4xf32>, tensor<4xf32>) {
  // CHECK-NEXT: %[[LO:.*]] = axon.constant dense<0> : tensor<i64>
  %lo = axon.constant dense<0> : tensor<i64>
  // CHECK-NEXT: %[[R:.*]]:2 = axon.loop %[[LO]] to %arg2 carry(%arg0, %arg1 : tensor<4xf32>, tensor<4xf32>) {
  // CHECK-NEXT: ^bb0(%[[T:.*]]: tensor<i64>, %[[H:.*]]: tensor<4xf32>, %[[C:.*]]: tensor<4xf32>):
  // CHECK-NEXT:   %[[NH:.*]] = axon.tanh %[[H]] : tensor<4xf32>
  // CHECK-NEXT:   %[[NC:.*]] = axon.add %[[C]], %[[NH]]
  // CHECK-NEXT:   axon.yield %[[NH]], %[[NC]] : tensor<4xf32>, tensor<4xf32>
  // CHECK-NEXT: } -> tensor<4xf32>, tensor<4xf32>
  %r:2 = axon.loop %lo to %n carry(%h0, %c0 : tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%t: tensor<i64>, %h: tensor<4xf32>, %c: tensor<4xf32>):
    %nh = axon.tanh %h : tensor<4xf32>
    %nc = axon.add %c, %nh : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
    axon.yield %nh, %nc : tensor<4xf32>, tensor<4xf32>
  } -> tensor<4xf32>, tensor<4xf32>
  // CHECK-NEXT: return %[[R]]#0, %[[R]]#1
  return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
}

// The step can be used in the body; a loop with dynamic carried shapes.
// CHECK-LABEL: func.func @loop_step
func.func @loop_step(%x: tensor<?xf32>, %lo: tensor<i64>, %hi: tensor<i64>) -> tensor<?xf32> {
  // CHECK-NEXT: axon.loop %arg1 to %arg2 carry(%arg0 : tensor<?xf32>) {
  // CHECK-NEXT: ^bb0(%[[T:.*]]: tensor<i64>, %[[H:.*]]: tensor<?xf32>):
  // CHECK-NEXT:   %[[TF:.*]] = axon.cast %[[T]] : tensor<i64> -> tensor<f32>
  // CHECK-NEXT:   %[[S:.*]] = axon.mul %[[H]], %[[TF]]
  // CHECK-NEXT:   axon.yield %[[S]] : tensor<?xf32>
  // CHECK-NEXT: } -> tensor<?xf32>
  %r = axon.loop %lo to %hi carry(%x : tensor<?xf32>) {
  ^bb0(%t: tensor<i64>, %h: tensor<?xf32>):
    %tf = axon.cast %t : tensor<i64> -> tensor<f32>
    %s = axon.mul %h, %tf : tensor<?xf32>, tensor<f32> -> tensor<?xf32>
    axon.yield %s : tensor<?xf32>
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// With no carried values the terminator is implicit and not printed.
// CHECK-LABEL: func.func @loop_no_carry
func.func @loop_no_carry(%n: tensor<i64>) {
  // CHECK-NEXT: %[[LO:.*]] = axon.constant dense<0> : tensor<i64>
  // CHECK-NEXT: axon.loop %[[LO]] to %arg0 {
  // CHECK-NEXT: ^bb0(%{{.*}}: tensor<i64>):
  // CHECK-NEXT: }
  // CHECK-NEXT: return
  %lo = axon.constant dense<0> : tensor<i64>
  axon.loop %lo to %n {
  ^bb0(%t: tensor<i64>):
    axon.yield
  }
  return
}
