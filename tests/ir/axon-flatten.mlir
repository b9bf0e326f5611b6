// RUN: axon-opt %s --axon-flatten -split-input-file | FileCheck %s
// RUN: axon-opt %s --axon-flatten="functions=outer" -split-input-file | FileCheck %s --check-prefix=ONLY

// Calls are inlined through MLIR's inliner, callees of callees too; the
// callees themselves stay.
// CHECK-LABEL: func.func @inner
// CHECK-NEXT: axon.tanh %arg0
// CHECK-LABEL: func.func @middle
// CHECK-NOT: call
// CHECK: %[[T:.*]] = axon.tanh %arg0 : tensor<2xf32>
// CHECK-NEXT: %[[E:.*]] = axon.exp %[[T]] : tensor<2xf32>
// CHECK-NEXT: return %[[E]]
// CHECK-LABEL: func.func @outer
// CHECK-NOT: call
// CHECK: %[[A:.*]] = axon.tanh %arg0 : tensor<2xf32>
// CHECK-NEXT: %[[B:.*]] = axon.exp %[[A]] : tensor<2xf32>
// CHECK-NEXT: %[[C:.*]] = axon.neg %[[B]] : tensor<2xf32>
// CHECK-NEXT: return %[[C]]
// Only the functions named: @middle keeps its call.
// ONLY-LABEL: func.func @middle
// ONLY: call @inner
// ONLY-LABEL: func.func @outer
// ONLY-NOT: call
// ONLY: axon.neg
func.func @inner(%h: tensor<2xf32>) -> tensor<2xf32> {
  %t = axon.tanh %h : tensor<2xf32>
  return %t : tensor<2xf32>
}
func.func @middle(%h: tensor<2xf32>) -> tensor<2xf32> {
  %t = func.call @inner(%h) : (tensor<2xf32>) -> tensor<2xf32>
  %e = axon.exp %t : tensor<2xf32>
  return %e : tensor<2xf32>
}
func.func @outer(%x: tensor<2xf32>) -> tensor<2xf32> {
  %m = func.call @middle(%x) : (tensor<2xf32>) -> tensor<2xf32>
  %n = axon.neg %m : tensor<2xf32>
  return %n : tensor<2xf32>
}

// -----

// A loop with constant bounds is unrolled: each step reads its step number
// as a constant and the previous step's carried values; a call in the body
// is inlined in every copy.
// CHECK-LABEL: func.func @cell
// CHECK-LABEL: func.func @outer
// CHECK-NOT: axon.loop
// CHECK-NOT: call
// CHECK: axon.constant dense<3> : tensor<i64>
// CHECK-NEXT: axon.constant dense<1> : tensor<i64>
// CHECK-NEXT: %[[T1:.*]] = axon.tanh %arg0
// CHECK-NEXT: %[[S1:.*]] = axon.add %[[T1]], %arg1
// CHECK-NEXT: axon.constant dense<2> : tensor<i64>
// CHECK-NEXT: %[[T2:.*]] = axon.tanh %[[S1]]
// CHECK-NEXT: %[[S2:.*]] = axon.add %[[T2]], %arg1
// CHECK-NEXT: return %[[S2]], %[[T2]]
// ONLY-LABEL: func.func @outer
// ONLY-NOT: axon.loop
// ONLY: return
func.func @cell(%h: tensor<2xf32>) -> tensor<2xf32> {
  %t = axon.tanh %h : tensor<2xf32>
  return %t : tensor<2xf32>
}
func.func @outer(%x: tensor<2xf32>, %b: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %lo = axon.constant dense<1> : tensor<i64>
  %hi = axon.constant dense<3> : tensor<i64>
  %r:2 = axon.loop %lo to %hi carry(%x, %x : tensor<2xf32>, tensor<2xf32>) {
  ^bb0(%i: tensor<i64>, %h: tensor<2xf32>, %last: tensor<2xf32>):
    %t = func.call @cell(%h) : (tensor<2xf32>) -> tensor<2xf32>
    %s = axon.add %t, %b : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
    axon.yield %s, %t : tensor<2xf32>, tensor<2xf32>
  } -> tensor<2xf32>, tensor<2xf32>
  return %r#0, %r#1 : tensor<2xf32>, tensor<2xf32>
}
