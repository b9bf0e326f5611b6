// RUN: axon-opt %s --axon-lower-train -split-input-file | FileCheck %s

// SGD: W <- W - lr * dW, reading the gradient function's results.
// CHECK: axon.train @loss <optimizer = sgd(lr = 0.5)> {grad_fn = @loss_grad, step_fn = @loss_train_step}
// CHECK-LABEL: func.func @loss_train_step(%arg0: tensor<?x3xf32>, %arg1: tensor<i64>) -> tensor<f32>
// CHECK-SAME: axon.arg_names = ["x", "step"]
// CHECK: %[[R:.*]]:2 = call @loss_grad(%arg0)
// CHECK: %[[W:.*]] = axon.param_ref @W
// CHECK: %[[LR:.*]] = axon.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[STEP:.*]] = axon.mul %[[LR]], %[[R]]#1
// CHECK: %[[NEW:.*]] = axon.sub %[[W]], %[[STEP]]
// CHECK: axon.param_store %[[NEW]] into @W
// CHECK: return %[[R]]#0
axon.param @W : tensor<3xf32> = zeros
func.func @loss(%x: tensor<?x3xf32>) -> tensor<f32> attributes {axon.arg_names = ["x"]} {
  %w = axon.param_ref @W : tensor<3xf32>
  %y = axon.mul %x, %w : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %s = axon.sum %y {axes = array<i64>} : tensor<?x3xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func private @loss_grad(tensor<?x3xf32>) -> (tensor<f32>, tensor<3xf32>) attributes {axon.grad_of = @loss, axon.wrt = ["W"]}
axon.train @loss <optimizer = sgd(lr = 0.5)> {grad_fn = @loss_grad}

// -----

// Momentum keeps a velocity per parameter as optimizer state.
// CHECK: axon.param @W : tensor<3xf32> = zeros
// CHECK-NEXT: axon.param @W.loss.velocity : tensor<3xf32> = zeros {optimizer_state}
// CHECK-LABEL: func.func @loss_train_step
// CHECK: %[[V:.*]] = axon.param_ref @W.loss.velocity
// CHECK: %[[BV:.*]] = axon.mul %{{.*}}, %[[V]]
// CHECK: %[[V2:.*]] = axon.add %[[BV]], %{{.*}}#1
// CHECK: axon.param_store %[[V2]] into @W.loss.velocity
// CHECK: axon.param_store %{{.*}} into @W
axon.param @W : tensor<3xf32> = zeros
func.func @loss(%x: tensor<?x3xf32>) -> tensor<f32> attributes {axon.arg_names = ["x"]} {
  %w = axon.param_ref @W : tensor<3xf32>
  %y = axon.mul %x, %w : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %s = axon.sum %y {axes = array<i64>} : tensor<?x3xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func private @loss_grad(tensor<?x3xf32>) -> (tensor<f32>, tensor<3xf32>) attributes {axon.grad_of = @loss, axon.wrt = ["W"]}
axon.train @loss <optimizer = momentum(lr = 0.1, beta = 0.9)> {grad_fn = @loss_grad}
