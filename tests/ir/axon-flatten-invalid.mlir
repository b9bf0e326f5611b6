// RUN: axon-opt %s --axon-flatten -split-input-file -verify-diagnostics
// RUN: not axon-opt %s --axon-flatten="functions=nope" -split-input-file 2>&1 | FileCheck %s --check-prefix=NAMED

// NAMED: error: axon-flatten: no function 'nope' with a body

func.func private @external(tensor<2xf32>) -> tensor<2xf32>
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{cannot flatten a call of 'external', which has no body}}
  %y = func.call @external(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @f(%x: tensor<2xf32>, %n: tensor<i64>) -> tensor<2xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  // expected-error@+1 {{cannot flatten a loop whose trip count is only known at run time}}
  %r = axon.loop %lo to %n carry(%x : tensor<2xf32>) {
  ^bb0(%i: tensor<i64>, %h: tensor<2xf32>):
    %t = axon.tanh %h : tensor<2xf32>
    axon.yield %t : tensor<2xf32>
  } -> tensor<2xf32>
  return %r : tensor<2xf32>
}

// -----

// Recursion never runs out of calls to inline. Flattening @g inlines @f,
// whose call of @g (keeping its location) is then one in @g itself.
func.func @g(%x: tensor<2xf32>) -> tensor<2xf32> {
  %y = func.call @f(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{cannot flatten a recursive call of 'g'}}
  %y = func.call @g(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}
