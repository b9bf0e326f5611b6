// RUN: axon-opt %s --axon-autodiff --canonicalize --cse -split-input-file | FileCheck %s

// The gradient of sum(x * x) is 2 * x after canonicalisation: the two uses
// of x accumulate, and the seed's ones fold away.
// CHECK-LABEL: func.func @sq_grad(%arg0: tensor<4xf32>) -> (tensor<f32>, tensor<4xf32>)
// CHECK-DAG: %[[TWO:.*]] = axon.constant dense<2.000000e+00> : tensor<f32>
// CHECK-DAG: %[[V:.*]] = axon.sum
// CHECK: %[[G:.*]] = axon.mul %arg0, %[[TWO]] : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
// CHECK: return %[[V]], %[[G]]
func.func @sq(%x: tensor<4xf32>) -> tensor<f32> attributes {axon.arg_names = ["x"]} {
  %m = axon.mul %x, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %s = axon.sum %m {axes = array<i64>} : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func private @sq_grad(tensor<4xf32>) -> (tensor<f32>, tensor<4xf32>) attributes {axon.grad_of = @sq, axon.wrt = ["x"]}

// -----

// A broadcast bias gets the gradient summed over the batch; a parameter
// read twice accumulates; an unused parameter gets zeros.
// CHECK-LABEL: func.func @bias_grad
// CHECK: %[[S:.*]] = axon.sum %{{.*}} {axes = array<i64: 0>} : tensor<?x3xf32> -> tensor<3xf32>
// CHECK: axon.fill {value = 0.000000e+00 : f64} : tensor<2xf32>
// CHECK: return %{{.*}}, %[[S]], %{{.*}} : tensor<f32>, tensor<3xf32>, tensor<2xf32>
axon.param @b : tensor<3xf32> = zeros
axon.param @unused : tensor<2xf32> = zeros
func.func @bias(%x: tensor<?x3xf32>) -> tensor<f32> attributes {axon.arg_names = ["x"]} {
  %b = axon.param_ref @b : tensor<3xf32>
  %y = axon.add %x, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %t = axon.tanh %y : tensor<?x3xf32>
  %s = axon.sum %t {axes = array<i64>} : tensor<?x3xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func private @bias_grad(tensor<?x3xf32>) -> (tensor<f32>, tensor<3xf32>, tensor<2xf32>) attributes {axon.grad_of = @bias, axon.wrt = ["b", "unused"]}

// -----

// Calls are inlined and constant-trip loops unrolled (backprop through
// time over plain SSA values); comparisons pass no gradient.
// CHECK-LABEL: func.func @rnn_grad
// CHECK-NOT: axon.loop
// CHECK-NOT: call
// CHECK-COUNT-3: axon.tanh
// CHECK: return
func.func @cell(%h: tensor<2xf32>) -> tensor<2xf32> attributes {axon.arg_names = ["h"]} {
  %t = axon.tanh %h : tensor<2xf32>
  return %t : tensor<2xf32>
}
func.func @rnn(%x: tensor<2xf32>) -> tensor<f32> attributes {axon.arg_names = ["x"]} {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<3> : tensor<i64>
  %r = axon.loop %lo to %hi carry(%x : tensor<2xf32>) {
  ^bb0(%i: tensor<i64>, %h: tensor<2xf32>):
    %n = func.call @cell(%h) : (tensor<2xf32>) -> tensor<2xf32>
    axon.yield %n : tensor<2xf32>
  } -> tensor<2xf32>
  %z = axon.constant dense<0.0> : tensor<f32>
  %c = axon.cmp gt, %r, %z : tensor<2xf32>, tensor<f32> -> tensor<2xi1>
  %w = axon.select %c, %r, %z : tensor<2xi1>, tensor<2xf32>, tensor<f32> -> tensor<2xf32>
  %s = axon.sum %w {axes = array<i64>} : tensor<2xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func private @rnn_grad(tensor<2xf32>) -> (tensor<f32>, tensor<2xf32>) attributes {axon.grad_of = @rnn, axon.wrt = ["x"]}
