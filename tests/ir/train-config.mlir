// RUN: axon-opt %s -split-input-file | FileCheck %s
// RUN: axon-opt %s -split-input-file | axon-opt -split-input-file | FileCheck %s
// RUN: axon-opt %s -split-input-file -mlir-print-op-generic | axon-opt -split-input-file | FileCheck %s

// Every setting of a train block, typed, printed in the settings' order as
// the model file writes it; settings at their defaults (shuffle = true,
// Adam's betas) are left out, and lr is always shown.
// CHECK: axon.train @loss <data = csv("train.csv", label = -1), eval_data = idx("images.gz", "labels.gz"), optimizer = adam(lr = 0.002, weight_decay = 0.0001, beta2 = 0.99), batch = 7, epochs = 33, seed = 42, shuffle = false, log = "run.jsonl", eval_fn = @loss, params = [@W, @b], normalize = normalize(mean = 0.5, std = 0.25), one_hot = 10>
axon.param @W : tensor<3xf32> = zeros
axon.param @b : tensor<f32> = zeros
func.func @loss(%x: tensor<?x3xf32>) -> tensor<f32> {
  %w = axon.param_ref @W : tensor<3xf32>
  %y = axon.mul %x, %w : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %s = axon.sum %y {axes = array<i64>} : tensor<?x3xf32> -> tensor<f32>
  return %s : tensor<f32>
}
axon.train @loss <one_hot = 10, normalize = normalize(mean = 0.5, std = 0.25), params = [@W, @b], eval_fn = @loss, log = "run.jsonl", shuffle = false, seed = 42, epochs = 33, batch = 7, optimizer = adam(weight_decay = 1.0e-4, beta2 = 0.99, lr = 2.0e-3, beta1 = 0.9), eval_data = idx("images.gz", "labels.gz"), data = csv("train.csv", label = -1)>

// -----

// Each optimizer prints the settings it takes that differ from their defaults.
// CHECK: axon.train @loss <optimizer = sgd(lr = 0.01)>
// CHECK: axon.train @loss <optimizer = momentum(lr = 0.01, clip_norm = 1.0, beta = 0.95), normalize = standard>
// CHECK: axon.train @loss <optimizer = adam(lr = 0.001, eps = 1.0e-06)>
func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
axon.train @loss <optimizer = sgd()>
axon.train @loss <optimizer = momentum(beta = 0.95, clip_norm = 1), normalize = standard>
axon.train @loss <optimizer = adam(eps = 1.0e-6)>

// -----

// Learning-rate schedules: a plain number is a constant rate without
// warm-up; the others print their rate first, then their settings.
// CHECK: axon.train @loss <optimizer = sgd(lr = 0.1)>
// CHECK: axon.train @loss <optimizer = sgd(lr = constant(0.1, warmup = 5))>
// CHECK: axon.train @loss <optimizer = adam(lr = cosine(0.001, warmup = 100, steps = 5000, min = 1.0e-05))>
// CHECK: axon.train @loss <optimizer = momentum(lr = linear(0.05, steps = 7))>
// CHECK: axon.train @loss <optimizer = sgd(lr = step_decay(0.1, every = 30, factor = 0.5))>
func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
axon.train @loss <optimizer = sgd(lr = constant(0.1))>
axon.train @loss <optimizer = sgd(lr = constant(0.1, warmup = 5))>
axon.train @loss <optimizer = adam(lr = cosine(1.0e-3, steps = 5000, min = 0.00001, warmup = 100))>
axon.train @loss <optimizer = momentum(lr = linear(0.05, steps = 7))>
axon.train @loss <optimizer = sgd(lr = step_decay(0.1, factor = 0.5, every = 30))>
