// RUN: axon-opt %s -split-input-file -verify-diagnostics

// The train configuration's verifiers: what the frontend refuses in a
// model file is refused in the IR too. A setting refused while parsing
// also gets the struct parser's "failed to parse" error.

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+2 {{'adam' has no setting 'beta'}}
// expected-error@+1 {{failed to parse Axon_TrainConfigAttr parameter 'optimizer'}}
axon.train @loss <optimizer = adam(beta = 0.9)>

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+2 {{'lr' must be a non-negative number}}
// expected-error@+1 {{failed to parse Axon_TrainConfigAttr parameter 'optimizer'}}
axon.train @loss <optimizer = sgd(lr = -1.0)>

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+2 {{expected sgd, momentum or adam}}
// expected-error@+1 {{failed to parse Axon_TrainConfigAttr parameter 'optimizer'}}
axon.train @loss <optimizer = rmsprop(lr = 1.0)>

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+2 {{unknown data format 'hdf5'}}
// expected-error@+1 {{failed to parse Axon_TrainConfigAttr parameter 'data'}}
axon.train @loss <data = hdf5("a.h5", "b.h5")>

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+2 {{npy(...) takes 2 file names}}
// expected-error@+1 {{failed to parse Axon_TrainConfigAttr parameter 'data'}}
axon.train @loss <data = npy("inputs.npy")>

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+2 {{text(...) takes at least one file name}}
// expected-error@+1 {{failed to parse Axon_TrainConfigAttr parameter 'data'}}
axon.train @loss <data = text(seq = 8)>

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+2 {{idx(...) has no setting 'label'}}
// expected-error@+1 {{failed to parse Axon_TrainConfigAttr parameter 'data'}}
axon.train @loss <data = idx("a", "b", label = 0)>

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+2 {{'label' must be: label = column number (negative: from the end)}}
// expected-error@+1 {{failed to parse Axon_TrainConfigAttr parameter 'data'}}
axon.train @loss <data = csv("a.csv", label = "last")>

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+1 {{'batch' must be a positive integer}}
axon.train @loss <batch = 0>

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+2 {{'std' must be positive}}
// expected-error@+1 {{failed to parse Axon_TrainConfigAttr parameter 'normalize'}}
axon.train @loss <normalize = normalize(mean = 0.0, std = 0.0)>

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+1 {{eval_fn 'nope' does not name a function}}
axon.train @loss <eval_fn = @nope>

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+1 {{params: 'loss' does not name an axon.param}}
axon.train @loss <params = [@loss]>

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+1 {{grad_fn 'nope' does not name a function}}
axon.train @loss {grad_fn = @nope}

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+2 {{cosine(...) needs steps = S, the step its decay ends at, after the warm-up (steps > warmup = 10)}}
// expected-error@+1 {{failed to parse Axon_TrainConfigAttr parameter 'optimizer'}}
axon.train @loss <optimizer = sgd(lr = cosine(0.1, warmup = 10, steps = 10))>

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+2 {{'linear' has no setting 'every'}}
// expected-error@+1 {{failed to parse Axon_TrainConfigAttr parameter 'optimizer'}}
axon.train @loss <optimizer = sgd(lr = linear(0.1, steps = 10, every = 2))>

// -----

func.func @loss(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
// expected-error@+2 {{'min' must be a number in [0, lr]}}
// expected-error@+1 {{failed to parse Axon_TrainConfigAttr parameter 'optimizer'}}
axon.train @loss <optimizer = sgd(lr = cosine(0.1, steps = 10, min = 0.5))>
