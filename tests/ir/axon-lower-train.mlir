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

// -----

// A learning-rate schedule is computed in the step from the step counter:
// cosine(0.1, warmup = 10, steps = 110, min = 0.001) is
// (min + (lr - min) (1 + cos(pi p)) / 2) * min(1, (t + 1) / warmup) with
// p = min(1, max(0, (t - warmup) / (steps - warmup))), t = f32(%step).
// CHECK-LABEL: func.func @loss_train_step(%arg0: tensor<?x3xf32>, %arg1: tensor<i64>) -> tensor<f32>
// CHECK: %[[T:.*]] = axon.cast %arg1 : tensor<i64> -> tensor<f32>
// CHECK: %[[W:.*]] = axon.constant dense<1.000000e+01> : tensor<f32>
// CHECK: %[[SINCE:.*]] = axon.sub %[[T]], %[[W]]
// CHECK: %[[SPAN:.*]] = axon.constant dense<1.000000e+02> : tensor<f32>
// CHECK: %[[P0:.*]] = axon.div %[[SINCE]], %[[SPAN]]
// CHECK: %[[P1:.*]] = axon.max %{{.*}}, %[[P0]]
// CHECK: %[[P:.*]] = axon.min %{{.*}}, %[[P1]]
// CHECK: %[[PI:.*]] = axon.constant dense<3.14159274> : tensor<f32>
// CHECK: %[[ANGLE:.*]] = axon.mul %[[PI]], %[[P]]
// CHECK: %[[COS:.*]] = axon.cos %[[ANGLE]]
// CHECK: %[[ONE_COS:.*]] = axon.add %{{.*}}, %[[COS]]
// CHECK: %[[HALF:.*]] = axon.mul %{{.*}}, %[[ONE_COS]]
// CHECK: %[[SCALED:.*]] = axon.mul %{{.*}}, %[[HALF]]
// CHECK: %[[DECAY:.*]] = axon.add %{{.*}}, %[[SCALED]]
// CHECK: %[[T1:.*]] = axon.add %[[T]], %{{.*}}
// CHECK: %[[RAMP0:.*]] = axon.div %[[T1]], %{{.*}}
// CHECK: %[[RAMP:.*]] = axon.min %{{.*}}, %[[RAMP0]]
// CHECK: %[[LR:.*]] = axon.mul %[[DECAY]], %[[RAMP]]
// CHECK: %[[STEP:.*]] = axon.mul %[[LR]], %{{.*}}#1
// CHECK: axon.sub %{{.*}}, %[[STEP]]
axon.param @W : tensor<3xf32> = zeros
func.func @loss(%x: tensor<?x3xf32>) -> tensor<f32> attributes {axon.arg_names = ["x"]} {
  %w = axon.param_ref @W : tensor<3xf32>
  %y = axon.mul %x, %w : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %s = axon.sum %y {axes = array<i64>} : tensor<?x3xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func private @loss_grad(tensor<?x3xf32>) -> (tensor<f32>, tensor<3xf32>) attributes {axon.grad_of = @loss, axon.wrt = ["W"]}
axon.train @loss <optimizer = sgd(lr = cosine(0.1, warmup = 10, steps = 110, min = 0.001))> {grad_fn = @loss_grad}

// -----

// step_decay counts its decays with i64 division of the step counter.
// CHECK-LABEL: func.func @loss_train_step
// CHECK-NOT: axon.cast %arg1
// CHECK: %[[SINCE:.*]] = axon.sub %arg1, %{{.*}} : tensor<i64>, tensor<i64> -> tensor<i64>
// CHECK: %[[CLAMP:.*]] = axon.max %[[SINCE]], %{{.*}} : tensor<i64>, tensor<i64> -> tensor<i64>
// CHECK: %[[K:.*]] = axon.div %[[CLAMP]], %{{.*}} : tensor<i64>, tensor<i64> -> tensor<i64>
// CHECK: %[[KF:.*]] = axon.cast %[[K]] : tensor<i64> -> tensor<f32>
// CHECK: %[[DECAY:.*]] = axon.pow %{{.*}}, %[[KF]]
// CHECK: axon.mul %{{.*}}, %[[DECAY]]
axon.param @W : tensor<3xf32> = zeros
func.func @loss(%x: tensor<?x3xf32>) -> tensor<f32> attributes {axon.arg_names = ["x"]} {
  %w = axon.param_ref @W : tensor<3xf32>
  %y = axon.mul %x, %w : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %s = axon.sum %y {axes = array<i64>} : tensor<?x3xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func private @loss_grad(tensor<?x3xf32>) -> (tensor<f32>, tensor<3xf32>) attributes {axon.grad_of = @loss, axon.wrt = ["W"]}
axon.train @loss <optimizer = sgd(lr = step_decay(0.1, every = 30, factor = 0.5))> {grad_fn = @loss_grad}
