// RUN: not axon-opt %s --axon-specialize="function=f arg-types=tensor<4x2xf32> name=s" 2>&1 | FileCheck %s --check-prefix=FIT
// RUN: not axon-opt %s --axon-specialize="function=f arg-types=i32 name=s" 2>&1 | FileCheck %s --check-prefix=TENSOR
// RUN: not axon-opt %s --axon-specialize="function=f arg-types=tensor<4x3xf32>,tensor<4x3xf32> name=s" 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not axon-opt %s --axon-specialize="function=nope arg-types=tensor<4x3xf32> name=s" 2>&1 | FileCheck %s --check-prefix=NOFN
// RUN: not axon-opt %s --axon-specialize="function=g arg-types=tensor<2xf32>,tensor<i64> name=s" 2>&1 | FileCheck %s --check-prefix=BOUND
// RUN: not axon-opt %s --axon-specialize="function=h arg-types=tensor<6xf32>,tensor<i64> name=s" 2>&1 | FileCheck %s --check-prefix=EXTENT
// RUN: not axon-opt %s --axon-specialize 2>&1 | FileCheck %s --check-prefix=OPTIONS
// RUN: not axon-opt %s --axon-specialize="function=f arg-types=tensor<4x name=s" 2>&1 | FileCheck %s --check-prefix=PARSE

// FIT: error: argument 0 of 'f' is 'tensor<?x3xf32>', got 'tensor<4x2xf32>'
// TENSOR: error: argument 0 of 'f' is 'tensor<?x3xf32>', got 'i32'
// COUNT: error: 'f' takes 1 arguments, got 2
// NOFN: error: no function 'nope' with a body
// OPTIONS: error: axon-specialize needs function=<name> and name=<name of the copy>
// PARSE: error: axon-specialize: arg-types: 'tensor<4x' is not a type
func.func @f(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %t = axon.tanh %x : tensor<?x3xf32>
  return %t : tensor<?x3xf32>
}

// The trip count is an argument's value.
// BOUND: error: 'axon.loop' op cannot compile 'g': the loop's trip count is only known at run time; use constant bounds (for t in 0..5)
func.func @g(%x: tensor<2xf32>, %n: tensor<i64>) -> tensor<2xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  %r = axon.loop %lo to %n carry(%x : tensor<2xf32>) {
  ^bb0(%i: tensor<i64>, %h: tensor<2xf32>):
    %t = axon.tanh %h : tensor<2xf32>
    axon.yield %t : tensor<2xf32>
  } -> tensor<2xf32>
  return %r : tensor<2xf32>
}

// An extent is an argument's value.
// EXTENT: error: cannot compile 'h': an extent of this op's result is only known at run time ('tensor<?x3xf32>')
func.func @h(%x: tensor<6xf32>, %n: tensor<i64>) -> tensor<?x3xf32> {
  %r = axon.reshape %x[%n] : tensor<6xf32> -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}
