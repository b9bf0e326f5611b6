// RUN: axon-opt %s --axon-infer-shapes --canonicalize -split-input-file | FileCheck %s

// A static argument flows through symbolic-shaped ops; the return keeps the
// function's declared type through one cast.
// CHECK-LABEL: func.func @mlp_layer
// CHECK: axon.matmul %arg0, %arg1 : tensor<4x784xf32>, tensor<784x10xf32> -> tensor<4x10xf32>
// CHECK: axon.add %{{.*}}, %arg2 : tensor<4x10xf32>, tensor<10xf32> -> tensor<4x10xf32>
// CHECK: %[[R:.*]] = axon.relu %{{.*}} : tensor<4x10xf32>
// CHECK: %[[C:.*]] = axon.cast %[[R]] : tensor<4x10xf32> -> tensor<?x10xf32>
// CHECK: return %[[C]] : tensor<?x10xf32>
func.func @mlp_layer(%x: tensor<4x784xf32>, %w: tensor<784x10xf32>, %b: tensor<10xf32>) -> tensor<?x10xf32> {
  %c = axon.cast %x : tensor<4x784xf32> -> tensor<?x784xf32>
  %y = axon.matmul %c, %w : tensor<?x784xf32>, tensor<784x10xf32> -> tensor<?x10xf32>
  %z = axon.add %y, %b : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  %r = axon.relu %z : tensor<?x10xf32>
  return %r : tensor<?x10xf32>
}

// -----

// Rules for reductions, pooling and convolution; a dimension only run time
// knows stays `?`.
// CHECK-LABEL: func.func @cnn
// CHECK: axon.conv2d {{.*}} -> tensor<2x6x24x24xf32>
// CHECK: axon.max_pool2d {{.*}} -> tensor<2x6x12x12xf32>
// CHECK: axon.sum {{.*}} -> tensor<2x6xf32>
// CHECK: axon.mean {{.*}}%arg2 {{.*}} -> tensor<?xf32>
func.func @cnn(%x: tensor<2x1x28x28xf32>, %k: tensor<6x1x5x5xf32>, %u: tensor<?x3xf32>) -> (tensor<?x?xf32>, tensor<?xf32>) {
  %c = axon.conv2d %x, %k {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilations = array<i64: 1, 1>} : tensor<2x1x28x28xf32>, tensor<6x1x5x5xf32> -> tensor<?x6x?x?xf32>
  %p = axon.max_pool2d %c {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<?x6x?x?xf32> -> tensor<?x?x?x?xf32>
  %s = axon.sum %p {axes = array<i64: 2, 3>} : tensor<?x?x?x?xf32> -> tensor<?x?xf32>
  %m = axon.mean %u {axes = array<i64: 1>} : tensor<?x3xf32> -> tensor<?xf32>
  return %s, %m : tensor<?x?xf32>, tensor<?xf32>
}

// -----

// Values carried by a loop keep their declared type.
// CHECK-LABEL: func.func @loop
// CHECK: %[[E:.*]] = axon.exp %arg0 : tensor<3xf32>
// CHECK: %[[C:.*]] = axon.cast %[[E]] : tensor<3xf32> -> tensor<?xf32>
// CHECK: axon.loop {{.*}} carry(%[[C]] : tensor<?xf32>)
func.func @loop(%x: tensor<3xf32>, %n: tensor<i64>) -> tensor<?xf32> {
  %c = axon.cast %x : tensor<3xf32> -> tensor<?xf32>
  %e = axon.exp %c : tensor<?xf32>
  %lo = axon.constant dense<0> : tensor<i64>
  %r = axon.loop %lo to %n carry(%e : tensor<?xf32>) {
  ^bb0(%t: tensor<i64>, %h: tensor<?xf32>):
    %h2 = axon.tanh %h : tensor<?xf32>
    axon.yield %h2 : tensor<?xf32>
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}
