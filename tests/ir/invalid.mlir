// Verifier errors of the axon ops, each from its shape rule or attribute check.
// RUN: axon-opt %s -split-input-file -verify-diagnostics

func.func @f(%a: tensor<8x3xf32>, %b: tensor<4xf32>) {
  // expected-error@+1 {{shapes [8, 3] and [4] do not broadcast: dimension 3 vs 4}}
  %0 = axon.add %a, %b : tensor<8x3xf32>, tensor<4xf32> -> tensor<8x3xf32>
  return
}

// -----

func.func @f(%a: tensor<?x784xf32>, %b: tensor<785x10xf32>) {
  // expected-error@+1 {{matmul inner dimensions do not agree: [?, 784] @ [785, 10] (784 vs 785)}}
  %0 = axon.matmul %a, %b : tensor<?x784xf32>, tensor<785x10xf32> -> tensor<?x10xf32>
  return
}

// -----

func.func @f(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{result shape [2, 4] does not match the inferred shape [2, 3]}}
  %0 = axon.add %a, %a : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @f(%a: tensor<2x3xf32>, %b: tensor<2x3xf64>) {
  // expected-error@+1 {{element types differ}}
  %0 = axon.mul %a, %b : tensor<2x3xf32>, tensor<2x3xf64> -> tensor<2x3xf32>
  return
}

// -----

func.func @f(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error@+1 {{conv2d input has 3 channels but the filter expects 2}}
  %0 = axon.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @f(%x: tensor<1x1x2x2xf32>) {
  // expected-error@+1 {{pooling window is larger than the input}}
  %0 = axon.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
  return
}

// -----

func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = axon.sum %x {axes = array<i64: 2>} : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @f(%x: tensor<4x6xf32>) {
  // expected-error@+1 {{cannot reshape [4, 6] (24 elements) to [5, 5] (25 elements)}}
  %0 = axon.reshape %x : tensor<4x6xf32> -> tensor<5x5xf32>
  return
}

// -----

func.func @f(%x: tensor<?x6xf32>) {
  // expected-error@+1 {{result has 1 dynamic dims but 0 extents are given}}
  %0 = axon.reshape %x : tensor<?x6xf32> -> tensor<?x3x2xf32>
  return
}

// -----

func.func @f(%x: tensor<2x3xf32>) {
  // expected-error@+1 {{transpose permutation is not a permutation of 0..1}}
  %0 = axon.transpose %x {perm = array<i64: 0, 0>} : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @f(%x: tensor<10xf32>) {
  // expected-error@+1 {{slice [2, 11) is outside axis 0 of extent 10}}
  %0 = axon.slice %x {axis = 0 : i64, start = 2 : i64, limit = 11 : i64} : tensor<10xf32> -> tensor<9xf32>
  return
}

// -----

func.func @f(%a: tensor<2x3xf32>, %b: tensor<2x3x1xf32>) {
  // expected-error@+1 {{concat operands have different ranks}}
  %0 = axon.concat %a, %b {axis = 0 : i64} : tensor<2x3xf32>, tensor<2x3x1xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @f(%t: tensor<5x3xf32>, %i: tensor<4xi32>, %u: tensor<4x2xf32>) {
  // expected-error@+1 {{updates shape [4, 2] does not match the gathered shape [4, 3]}}
  %0 = axon.scatter_add %t[%i], %u : tensor<5x3xf32>, tensor<4xi32>, tensor<4x2xf32> -> tensor<5x3xf32>
  return
}

// -----

func.func @f(%i: tensor<4xi32>) {
  // expected-error@+1 {{one_hot depth must be >= 1}}
  %0 = axon.one_hot %i {depth = 0 : i64} : tensor<4xi32> -> tensor<4x0xf32>
  return
}

// -----

func.func @f(%c: tensor<i64>) {
  // expected-error@+1 {{p must be in [0, 1]}}
  %0 = axon.random_bernoulli %c {seed = 1 : i64, p = 1.5 : f64} : tensor<4xf32>
  return
}

// -----

// expected-error@+1 {{parameter type must be a statically shaped tensor}}
axon.param @W : tensor<?x4xf32> = zeros

// -----

func.func @f() {
  // expected-error@+1 {{'V' does not name an axon.param}}
  %0 = axon.param_ref @V : tensor<4xf32>
  return
}

// -----

axon.param @W : tensor<4xf32> = zeros
func.func @f(%x: tensor<3xf32>) {
  // expected-error@+1 {{value type 'tensor<3xf32>' does not match parameter type 'tensor<4xf32>'}}
  axon.param_store %x into @W : tensor<3xf32>
  return
}

// -----

func.func @loss(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
// expected-error@+1 {{loss function 'loss' must return a scalar}}
axon.train @loss {optimizer = {kind = "sgd"}}

// -----

func.func @f(%x: tensor<2xf32>, %n: tensor<i64>) {
  %lo = axon.constant dense<0> : tensor<i64>
  // expected-error@+1 {{carried value types must match across init, body and results}}
  %r = axon.loop %lo to %n carry(%x : tensor<2xf32>) {
  ^bb0(%t: tensor<i64>, %h: tensor<3xf32>):
    axon.yield %h : tensor<3xf32>
  } -> tensor<2xf32>
  return
}
