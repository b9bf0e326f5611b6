// Every axon op prints and parses back to the same IR.
// RUN: axon-opt %s | axon-opt | FileCheck %s

// CHECK: axon.param @W : tensor<4x3xf32> = glorot_uniform {seed = 7 : i64}
// CHECK: axon.param @M : tensor<4x3xf32> = zeros {optimizer_state}
axon.param @W : tensor<4x3xf32> = glorot_uniform {seed = 7 : i64}
axon.param @M : tensor<4x3xf32> = zeros {optimizer_state}

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<?x3xf32>, %b: tensor<3xf32>, %i: tensor<?xi32>) -> tensor<?x3xf32> {
  // CHECK: axon.neg %{{.*}} : tensor<?x3xf32>
  %0 = axon.neg %a : tensor<?x3xf32>
  // CHECK: axon.softplus
  %1 = axon.softplus %0 : tensor<?x3xf32>
  // CHECK: axon.pow %{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %2 = axon.pow %1, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  // CHECK: axon.cmp ge, %{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xi1>
  %3 = axon.cmp ge, %2, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xi1>
  // CHECK: axon.select
  %4 = axon.select %3, %2, %b : tensor<?x3xi1>, tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  // CHECK: axon.cast %{{.*}} : tensor<?xi32> -> tensor<?xf32>
  %5 = axon.cast %i : tensor<?xi32> -> tensor<?xf32>
  return %4 : tensor<?x3xf32>
}

// CHECK-LABEL: func.func @structured
func.func @structured(%x: tensor<2x1x6x6xf32>, %k: tensor<4x1x3x3xf32>, %t: tensor<5x3xf32>, %i: tensor<2xi64>) -> tensor<2x4x2x2xf32> {
  // CHECK: axon.conv2d %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, padding = array<i64: 1, 1>, strides = array<i64: 2, 2>}
  %c = axon.conv2d %x, %k {strides = array<i64: 2, 2>, padding = array<i64: 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<2x1x6x6xf32>, tensor<4x1x3x3xf32> -> tensor<2x4x3x3xf32>
  // CHECK: axon.conv_transpose2d
  %ct = axon.conv_transpose2d %c, %k {strides = array<i64: 2, 2>, padding = array<i64: 1, 1>, output_padding = array<i64: 1, 1>} : tensor<2x4x3x3xf32>, tensor<4x1x3x3xf32> -> tensor<2x1x6x6xf32>
  // CHECK: axon.avg_pool2d
  %p = axon.avg_pool2d %c {kernel = array<i64: 2, 2>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<2x4x3x3xf32> -> tensor<2x4x2x2xf32>
  // CHECK: axon.max_pool2d_grad
  %pg = axon.max_pool2d_grad %c, %p {kernel = array<i64: 2, 2>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<2x4x3x3xf32>, tensor<2x4x2x2xf32> -> tensor<2x4x3x3xf32>
  // CHECK: axon.reduce_max %{{.*}} {axes = array<i64: 1>, keepdims = true}
  %m = axon.reduce_max %pg {axes = array<i64: 1>, keepdims = true} : tensor<2x4x3x3xf32> -> tensor<2x1x3x3xf32>
  // CHECK: axon.argmax %{{.*}} {axis = 1 : i64} : tensor<5x3xf32> -> tensor<5xi32>
  %am = axon.argmax %t {axis = 1 : i64} : tensor<5x3xf32> -> tensor<5xi32>
  // CHECK: axon.log_softmax %{{.*}} {axis = 0 : i64}
  %ls = axon.log_softmax %t {axis = 0 : i64} : tensor<5x3xf32>
  // CHECK: axon.gather %{{.*}}[%{{.*}}] : tensor<5x3xf32>, tensor<2xi64> -> tensor<2x3xf32>
  %g = axon.gather %ls[%i] : tensor<5x3xf32>, tensor<2xi64> -> tensor<2x3xf32>
  // CHECK: axon.scatter_add %{{.*}}[%{{.*}}], %{{.*}} : tensor<5x3xf32>, tensor<2xi64>, tensor<2x3xf32> -> tensor<5x3xf32>
  %sa = axon.scatter_add %t[%i], %g : tensor<5x3xf32>, tensor<2xi64>, tensor<2x3xf32> -> tensor<5x3xf32>
  // CHECK: axon.insert_slice %{{.*}} into %{{.*}} {axis = 0 : i64, start = 1 : i64, stride = 2 : i64}
  %is = axon.insert_slice %g into %sa {axis = 0 : i64, start = 1 : i64, stride = 2 : i64} : tensor<2x3xf32>, tensor<5x3xf32> -> tensor<5x3xf32>
  // CHECK: axon.concat
  %cc = axon.concat %is, %g {axis = 0 : i64} : tensor<5x3xf32>, tensor<2x3xf32> -> tensor<7x3xf32>
  // CHECK: axon.one_hot %{{.*}} {depth = 4 : i64} : tensor<5xi32> -> tensor<5x4xf32>
  %oh = axon.one_hot %am {depth = 4 : i64} : tensor<5xi32> -> tensor<5x4xf32>
  return %p : tensor<2x4x2x2xf32>
}

// CHECK-LABEL: func.func @creation
func.func @creation(%x: tensor<?x4xf32>) {
  // CHECK: %[[N:.*]] = axon.dim %arg0 {axis = 0 : i64} : tensor<?x4xf32>
  %n = axon.dim %x {axis = 0 : i64} : tensor<?x4xf32>
  // CHECK: axon.fill[%[[N]]] {value = 1.500000e+00 : f64} : tensor<?x4xf32>
  %f = axon.fill [%n] {value = 1.5 : f64} : tensor<?x4xf32>
  %c = axon.constant dense<3> : tensor<i64>
  // CHECK: axon.random_normal %{{.*}}[%[[N]]] {mean = 1.000000e+00 : f64, seed = 5 : i64, std = 2.000000e+00 : f64} : tensor<?x4xf32>
  %r = axon.random_normal %c [%n] {seed = 5 : i64, mean = 1.0 : f64, std = 2.0 : f64} : tensor<?x4xf32>
  // CHECK: axon.broadcast %{{.*}}[%[[N]]] : tensor<4xf32> -> tensor<?x4xf32>
  %w = axon.param_ref @W : tensor<4x3xf32>
  %row = axon.slice %w {axis = 1 : i64, start = 0 : i64, limit = 1 : i64} : tensor<4x3xf32> -> tensor<4x1xf32>
  %flat = axon.reshape %row : tensor<4x1xf32> -> tensor<4xf32>
  %b = axon.broadcast %flat [%n] : tensor<4xf32> -> tensor<?x4xf32>
  // CHECK: axon.param_store %{{.*}} into @W : tensor<4x3xf32>
  axon.param_store %w into @W : tensor<4x3xf32>
  return
}
