// RUN: axon-opt %s --axon-autodiff -split-input-file -verify-diagnostics

// expected-note@+1 {{while differentiating 'f'}}
func.func @f(%x: tensor<1x1x4x4xf32>, %g: tensor<1x1x2x2xf32>) -> tensor<f32> attributes {axon.arg_names = ["x", "g"]} {
  // expected-error@+1 {{cannot differentiate through 'axon.max_pool2d_grad'}}
  %p = axon.max_pool2d_grad %x, %g {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
  %s = axon.sum %p {axes = array<i64>} : tensor<1x1x4x4xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func private @f_grad(tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>) -> (tensor<f32>, tensor<1x1x4x4xf32>) attributes {axon.grad_of = @f, axon.wrt = ["x"]}

// -----

func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> attributes {axon.arg_names = ["x"]} {
  return %x : tensor<2xf32>
}
// expected-error@+1 {{can only differentiate a function returning one floating-point scalar}}
func.func private @f_grad(tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) attributes {axon.grad_of = @f, axon.wrt = ["x"]}

// -----

func.func @f(%x: tensor<2xf32>) -> tensor<f32> attributes {axon.arg_names = ["x"]} {
  %s = axon.sum %x {axes = array<i64>} : tensor<2xf32> -> tensor<f32>
  return %s : tensor<f32>
}
// expected-error@+1 {{'y' is neither an argument of 'f' nor a parameter}}
func.func private @f_grad(tensor<2xf32>) -> (tensor<f32>, tensor<2xf32>) attributes {axon.grad_of = @f, axon.wrt = ["y"]}
