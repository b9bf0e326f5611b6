// RUN: axon-opt %s --axon-autodiff --canonicalize --cse -split-input-file | FileCheck %s

// The gradient of sum(x * x) is 2 * x after canonicalisation: the two uses
// of x accumulate, and the seed's ones fold away.
// CHECK-LABEL: func.func @sq_grad(%arg0: tensor<4xf32>) -> (tensor<f32>, tensor<4xf32>)
// CHECK-DAG: %[[TWO:.*]] = axon.constant dense<2.000000e+00> : tensor<f32>
// CHECK-DAG: %[[V:.*]] = axon.sum
// CHECK: %[[G:.*]] = axon.mul %arg0, %[[TWO]] : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
// CHECK: return %[[V]], %[[G]]
func.func @sq(%x: tensor<4xf32>) -> tensor<f32> attributes {axon.arg_names = ["x"]} {
  %m = axon.mul %x, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %s = axon.sum %m {axes = array<i64>} : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func private @sq_grad(tensor<4xf32>) -> (tensor<f32>, tensor<4xf32>) attributes {axon.grad_of = @sq, axon.wrt = ["x"]}

// -----

// A broadcast bias gets the gradient summed over the batch; a parameter
// read twice accumulates; an unused parameter gets zeros.
// CHECK-LABEL: func.func @bias_grad
// CHECK: %[[S:.*]] = axon.sum %{{.*}} {axes = array<i64: 0>} : tensor<?x3xf32> -> tensor<3xf32>
// CHECK: axon.fill {value = 0.000000e+00 : f64} : tensor<2xf32>
// CHECK: return %{{.*}}, %[[S]], %{{.*}} : tensor<f32>, tensor<3xf32>, tensor<2xf32>
axon.param @b : tensor<3xf32> = zeros
axon.param @unused : tensor<2xf32> = zeros
func.func @bias(%x: tensor<?x3xf32>) -> tensor<f32> attributes {axon.arg_names = ["x"]} {
  %b = axon.param_ref @b : tensor<3xf32>
  %y = axon.add %x, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %t = axon.tanh %y : tensor<?x3xf32>
  %s = axon.sum %t {axes = array<i64>} : tensor<?x3xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func private @bias_grad(tensor<?x3xf32>) -> (tensor<f32>, tensor<3xf32>, tensor<2xf32>) attributes {axon.grad_of = @bias, axon.wrt = ["b", "unused"]}

// -----

// Calls are inlined; a loop stays a loop (backprop through time): the
// forward loop stores the tanh's result, whose gradient reads it, as row t
// of a [3, 2] tensor (one row written per step); h itself is not stored,
// as nothing in the gradient reads it. The reverse loop over the same
// bounds reads the row back (step 2 - s) instead of recomputing the tanh
// and carries the gradient back to x. Comparisons pass no gradient.
// CHECK-LABEL: func.func @rnn_grad
// CHECK-NOT: call
// CHECK-DAG: %[[LAST:.*]] = axon.constant dense<2> : tensor<i64>
// CHECK-DAG: %[[LO:.*]] = axon.constant dense<0> : tensor<i64>
// CHECK-DAG: %[[HI:.*]] = axon.constant dense<3> : tensor<i64>
// CHECK: %[[EMPTY:.*]] = axon.fill {value = 0.000000e+00 : f64} : tensor<3x2xf32>
// CHECK: %[[FWD:.*]]:2 = axon.loop %[[LO]] to %[[HI]] carry(%arg0, %[[EMPTY]] : tensor<2xf32>, tensor<3x2xf32>) {
// CHECK-NEXT: ^bb0(%[[T:arg[0-9]+]]: tensor<i64>, %[[H:arg[0-9]+]]: tensor<2xf32>, %[[TANHS:arg[0-9]+]]: tensor<3x2xf32>):
// CHECK-NEXT: %[[N:.*]] = axon.tanh %[[H]]
// CHECK-NEXT: %[[KEPT:.*]] = axon.dynamic_update_row %[[TANHS]][%[[T]]], %[[N]] : tensor<3x2xf32>, tensor<2xf32>
// CHECK-NEXT: axon.yield %[[N]], %[[KEPT]]
// CHECK: %[[REV:.*]] = axon.loop %[[LO]] to %[[HI]] carry(%{{.*}} : tensor<2xf32>) {
// CHECK-NEXT: ^bb0(%[[S:.*]]: tensor<i64>, %[[G:.*]]: tensor<2xf32>):
// CHECK-NEXT: %[[STEP:.*]] = axon.sub %[[LAST]], %[[S]]
// CHECK-NEXT: %[[Y:.*]] = axon.dynamic_row %[[FWD]]#1[%[[STEP]]] : tensor<3x2xf32> -> tensor<2xf32>
// CHECK-NOT: axon.tanh
// CHECK: axon.mul %[[Y]], %[[Y]]
// CHECK-NOT: axon.tanh
// CHECK: axon.yield
// CHECK: return %{{.*}}, %[[REV]]
func.func @cell(%h: tensor<2xf32>) -> tensor<2xf32> attributes {axon.arg_names = ["h"]} {
  %t = axon.tanh %h : tensor<2xf32>
  return %t : tensor<2xf32>
}
func.func @rnn(%x: tensor<2xf32>) -> tensor<f32> attributes {axon.arg_names = ["x"]} {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<3> : tensor<i64>
  %r = axon.loop %lo to %hi carry(%x : tensor<2xf32>) {
  ^bb0(%i: tensor<i64>, %h: tensor<2xf32>):
    %n = func.call @cell(%h) : (tensor<2xf32>) -> tensor<2xf32>
    axon.yield %n : tensor<2xf32>
  } -> tensor<2xf32>
  %z = axon.constant dense<0.0> : tensor<f32>
  %c = axon.cmp gt, %r, %z : tensor<2xf32>, tensor<f32> -> tensor<2xi1>
  %w = axon.select %c, %r, %z : tensor<2xi1>, tensor<2xf32>, tensor<f32> -> tensor<2xf32>
  %s = axon.sum %w {axes = array<i64>} : tensor<2xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func private @rnn_grad(tensor<2xf32>) -> (tensor<f32>, tensor<2xf32>) attributes {axon.grad_of = @rnn, axon.wrt = ["x"]}

// -----

// A trip count known only at run time (the extent of x): the stored
// values are a tensor<?x2xf32> of max(n - 0, 0) = max(n, 0) rows (none
// when the upper bound is below the lower one: no step runs, and no
// negative extent is made); the parameter read in the
// body moves out of it and its gradient is summed over the steps in a
// carried accumulator of the reverse loop.
// CHECK-LABEL: func.func @steps_grad
// CHECK: %[[W:.*]] = axon.param_ref @W
// CHECK: %[[N:.*]] = axon.dim %arg0 {axis = 0 : i64}
// CHECK: %[[ROWS:.*]] = axon.max %[[N]], %{{.*}} : tensor<i64>, tensor<i64> -> tensor<i64>
// CHECK: %[[EMPTY:.*]] = axon.fill[%[[ROWS]]] {value = 0.000000e+00 : f64} : tensor<?x2xf32>
// CHECK: %[[FWD:.*]]:3 = axon.loop %{{.*}} to %[[N]] carry(%arg1, %[[EMPTY]], %[[EMPTY]] : tensor<2xf32>, tensor<?x2xf32>, tensor<?x2xf32>)
// CHECK-NEXT: ^bb0(%[[T:arg[0-9]+]]: tensor<i64>, %[[H:arg[0-9]+]]: tensor<2xf32>, %[[STACK:arg[0-9]+]]: tensor<?x2xf32>, %{{.*}}: tensor<?x2xf32>):
// CHECK-NEXT: axon.dynamic_update_row %[[STACK]][%[[T]]], %[[H]] : tensor<?x2xf32>, tensor<2xf32>
// CHECK: axon.matmul %{{.*}}, %[[W]]
// CHECK-NOT: scatter_add
// CHECK: %[[ZERO:.*]] = axon.fill {value = 0.000000e+00 : f64} : tensor<2x2xf32>
// CHECK: %[[REV:.*]]:2 = axon.loop %{{.*}} to %[[N]] carry(%{{.*}}, %[[ZERO]] : tensor<2xf32>, tensor<2x2xf32>)
// CHECK-NEXT: ^bb0(%{{.*}}: tensor<i64>, %{{.*}}: tensor<2xf32>, %[[ACC:.*]]: tensor<2x2xf32>):
// CHECK: axon.dynamic_row %[[FWD]]#1
// CHECK: %[[SUM:.*]] = axon.add %[[ACC]], %{{.*}} : tensor<2x2xf32>, tensor<2x2xf32>
// CHECK: axon.yield %{{.*}}, %[[SUM]]
// CHECK: return %{{.*}}, %[[REV]]#0, %[[REV]]#1
axon.param @W : tensor<2x2xf32> = zeros
func.func @steps(%x: tensor<?x3xf32>, %h0: tensor<2xf32>) -> tensor<f32> attributes {axon.arg_names = ["x", "h0"]} {
  %lo = axon.constant dense<0> : tensor<i64>
  %n = axon.dim %x {axis = 0 : i64} : tensor<?x3xf32>
  %r = axon.loop %lo to %n carry(%h0 : tensor<2xf32>) {
  ^bb0(%i: tensor<i64>, %h: tensor<2xf32>):
    %W = axon.param_ref @W : tensor<2x2xf32>
    %h2 = axon.reshape %h : tensor<2xf32> -> tensor<1x2xf32>
    %m = axon.matmul %h2, %W : tensor<1x2xf32>, tensor<2x2xf32> -> tensor<1x2xf32>
    %m2 = axon.reshape %m : tensor<1x2xf32> -> tensor<2xf32>
    %t = axon.tanh %m2 : tensor<2xf32>
    axon.yield %t : tensor<2xf32>
  } -> tensor<2xf32>
  %s = axon.sum %r {axes = array<i64>} : tensor<2xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func private @steps_grad(tensor<?x3xf32>, tensor<2xf32>) -> (tensor<f32>, tensor<2xf32>, tensor<2x2xf32>) attributes {axon.grad_of = @steps, axon.wrt = ["h0", "W"]}

// -----

// A stack the body only row-writes (`s = update(s, t, h)`) is not stored
// per step: the forward loop carries the tanh's stack and s, no [3, 3, 2]
// tensor;
// the reverse loop carries s's gradient, zeroes its row t (the write's
// target gradient) and reads that row for h; the recomputed write is gone.
// CHECK-LABEL: func.func @states_grad
// CHECK-NOT: tensor<3x3x2xf32>
// CHECK: %[[FWD:.*]]:3 = axon.loop %{{.*}} to %{{.*}} carry(%arg0, %{{.*}}, %{{.*}} : tensor<2xf32>, tensor<3x2xf32>, tensor<3x2xf32>)
// CHECK: axon.loop
// CHECK-NEXT: ^bb0(%[[S:.*]]: tensor<i64>, %[[GH:.*]]: tensor<2xf32>, %[[GS:.*]]: tensor<3x2xf32>):
// CHECK-DAG: axon.dynamic_row %[[GS]][%{{.*}}] : tensor<3x2xf32> -> tensor<2xf32>
// CHECK-DAG: axon.dynamic_update_row %[[GS]][%{{.*}}], %{{.*}} : tensor<3x2xf32>, tensor<2xf32>
// CHECK-NOT: axon.dynamic_update_row
// CHECK: axon.yield
// CHECK-NOT: tensor<3x3x2xf32>
func.func @states(%x: tensor<2xf32>) -> tensor<f32> attributes {axon.arg_names = ["x"]} {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<3> : tensor<i64>
  %z = axon.fill {value = 0.0 : f64} : tensor<3x2xf32>
  %r:2 = axon.loop %lo to %hi carry(%x, %z : tensor<2xf32>, tensor<3x2xf32>) {
  ^bb0(%i: tensor<i64>, %h: tensor<2xf32>, %s: tensor<3x2xf32>):
    %n = axon.tanh %h : tensor<2xf32>
    %w = axon.dynamic_update_row %s[%i], %n : tensor<3x2xf32>, tensor<2xf32>
    axon.yield %n, %w : tensor<2xf32>, tensor<3x2xf32>
  } -> tensor<2xf32>, tensor<3x2xf32>
  %m = axon.mul %r#1, %r#1 : tensor<3x2xf32>, tensor<3x2xf32> -> tensor<3x2xf32>
  %t = axon.sum %m {axes = array<i64>} : tensor<3x2xf32> -> tensor<f32>
  return %t : tensor<f32>
}
func.func private @states_grad(tensor<2xf32>) -> (tensor<f32>, tensor<2xf32>) attributes {axon.grad_of = @states, axon.wrt = ["x"]}

// -----

// An LSTM-like cell over a batch known at run time: the gates' sigmoid and
// tanh results are stored per step in [3, ?, 2] stacks whose batch extent
// is read before the loop (x's first axis, through the gather and the
// matmuls that made them), and the reverse loop reads them back: it
// computes no sigmoid or tanh (its only matmuls are the gradients').
// CHECK-LABEL: func.func @cell_grad
// CHECK: %[[B:.*]] = axon.dim %arg0 {axis = 0 : i64} : tensor<?x3x4xf32>
// CHECK: %[[ROWS:.*]] = axon.fill[%[[B]]] {value = 0.000000e+00 : f64} : tensor<3x?x2xf32>
// CHECK: %[[FWD:.*]]:5 = axon.loop %{{.*}} to %{{.*}} carry(%arg1, %{{.*}}, %[[ROWS]], %[[ROWS]], %[[ROWS]] :
// CHECK: axon.sigmoid
// CHECK: axon.tanh
// CHECK: axon.tanh
// CHECK: axon.loop
// CHECK-NOT: axon.sigmoid
// CHECK-NOT: axon.tanh
// CHECK: axon.dynamic_row %[[FWD]]#3
// CHECK-NOT: axon.sigmoid
// CHECK-NOT: axon.tanh
// CHECK: axon.yield
axon.param @W : tensor<4x2xf32> = zeros
axon.param @U : tensor<2x2xf32> = zeros
func.func @cell(%x: tensor<?x3x4xf32>, %h0: tensor<?x2xf32>) -> tensor<f32> attributes {axon.arg_names = ["x", "h0"]} {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<3> : tensor<i64>
  %r = axon.loop %lo to %hi carry(%h0 : tensor<?x2xf32>) {
  ^bb0(%t: tensor<i64>, %h: tensor<?x2xf32>):
    %W = axon.param_ref @W : tensor<4x2xf32>
    %U = axon.param_ref @U : tensor<2x2xf32>
    %xt = axon.gather %x[%t] {axis = 1 : i64} : tensor<?x3x4xf32>, tensor<i64> -> tensor<?x4xf32>
    %a = axon.matmul %xt, %W : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x2xf32>
    %b = axon.matmul %h, %U : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
    %z = axon.add %a, %b : tensor<?x2xf32>, tensor<?x2xf32> -> tensor<?x2xf32>
    %g = axon.sigmoid %z : tensor<?x2xf32>
    %c = axon.tanh %z : tensor<?x2xf32>
    %m = axon.mul %g, %c : tensor<?x2xf32>, tensor<?x2xf32> -> tensor<?x2xf32>
    %n = axon.tanh %m : tensor<?x2xf32>
    axon.yield %n : tensor<?x2xf32>
  } -> tensor<?x2xf32>
  %s = axon.sum %r {axes = array<i64>} : tensor<?x2xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func private @cell_grad(tensor<?x3x4xf32>, tensor<?x2xf32>) -> (tensor<f32>, tensor<4x2xf32>, tensor<2x2xf32>) attributes {axon.grad_of = @cell, axon.wrt = ["W", "U"]}
