// RUN: axon-opt %s --axon-lower-train --axon-autodiff --axon-resolve-mode | FileCheck %s
// RUN: axon-opt %s --axon-lower-train --axon-autodiff --axon-resolve-mode --canonicalize | FileCheck %s --check-prefix=FOLDED

// @forward runs in both modes: the train step gets its own copy (its calls
// inlined), where axon.training is true and the draw's counter gains the
// step * 2^24; everywhere else axon.training is false.
// CHECK-LABEL: func.func @forward
// CHECK: %[[OFF:.*]] = axon.constant dense<false> : tensor<i1>
// CHECK: axon.select %[[OFF]]
// CHECK-LABEL: func.func @loss_train_step
// CHECK-SAME: %[[STEP:[^:]*]]: tensor<i64>
// CHECK: %[[SCALE:.*]] = axon.constant dense<16777216> : tensor<i64>
// CHECK: %[[SHIFTED:.*]] = axon.mul %[[STEP]], %[[SCALE]]
// CHECK-NOT: call @
// CHECK: %[[C:.*]] = axon.add %{{.*}}, %[[SHIFTED]] : tensor<i64>, tensor<i64> -> tensor<i64>
// CHECK: axon.random_bernoulli %[[C]]
// CHECK: %[[ON:.*]] = axon.constant dense<true> : tensor<i1>
// CHECK: axon.select %[[ON]]
// CHECK-NOT: axon.training

// Folded: inference is the identity and draws nothing; the step's forward
// is the masked branch (the gradient's select of a zero scalar stays until
// axon-specialize makes shapes static).
// FOLDED-LABEL: func.func @forward
// FOLDED-NOT: axon.random_bernoulli
// FOLDED-NOT: axon.select
// FOLDED: return
// FOLDED-LABEL: func.func @predict
// FOLDED-NOT: axon.random_bernoulli
// FOLDED: return
// FOLDED-LABEL: func.func @loss_train_step
// FOLDED: %[[M:.*]] = axon.random_bernoulli
// FOLDED-NEXT: %[[D:.*]] = axon.mul %{{.*}}, %[[M]]
// FOLDED-NEXT: axon.sum %[[D]]
axon.param @W : tensor<4xf32> = ones
func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {axon.arg_names = ["x"]} {
  %w = axon.param_ref @W : tensor<4xf32>
  %y = axon.mul %x, %w : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %c = axon.constant dense<0> : tensor<i64>
  %n = axon.dim %x {axis = 0 : i64} : tensor<?x4xf32>
  %m = axon.random_bernoulli %c [%n] {seed = 7 : i64, p = 0.75 : f64} : tensor<?x4xf32>
  %k = axon.mul %y, %m : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %mode = axon.training : tensor<i1>
  %r = axon.select %mode, %k, %y : tensor<i1>, tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}
func.func @predict(%x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {axon.arg_names = ["x"]} {
  %r = call @forward(%x) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}
func.func @loss(%x: tensor<?x4xf32>) -> tensor<f32> attributes {axon.arg_names = ["x"]} {
  %f = call @forward(%x) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %s = axon.sum %f {axes = array<i64>} : tensor<?x4xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func private @loss_grad(tensor<?x4xf32>) -> (tensor<f32>, tensor<4xf32>) attributes {axon.grad_of = @loss, axon.wrt = ["W"]}
axon.train @loss <optimizer = sgd(lr = 0.5)> {grad_fn = @loss_grad}
