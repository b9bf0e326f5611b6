// RUN: axon-opt %s --axon-fuse -split-input-file | FileCheck %s
// The output parses and verifies again (and prints the same).
// RUN: axon-opt %s --axon-fuse -split-input-file | axon-opt -split-input-file | FileCheck %s
// The decisions and their reasons, for the functions after EXPLAIN-BEGIN:
// RUN: sed -n '/^\/\/ EXPLAIN-BEGIN/,$p' %s | axon-opt --axon-fuse=explain -split-input-file -verify-diagnostics

// Matmul, bias and activation: one contraction kernel, the bias (broadcast)
// read as an input.
// CHECK-LABEL: func.func @mlp_layer
// CHECK-NEXT: %[[K:.*]] = axon.kernel "mlp_layer_k0" "contraction"(%arg0, %arg1, %arg2 : tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<8x16xf32>, %[[B:.*]]: tensor<16xf32>):
// CHECK-NEXT: %[[M:.*]] = axon.matmul %[[X]], %[[W]]
// CHECK-NEXT: %[[A:.*]] = axon.add %[[M]], %[[B]]
// CHECK-NEXT: %[[R:.*]] = axon.relu %[[A]]
// CHECK-NEXT: axon.kernel_yield %[[R]] : tensor<4x16xf32>
// CHECK-NEXT: } -> tensor<4x16xf32>
// CHECK-NEXT: return %[[K]]
func.func @mlp_layer(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %0 = axon.matmul %x, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %1 = axon.add %0, %b : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
  %2 = axon.relu %1 : tensor<4x16xf32>
  return %2 : tensor<4x16xf32>
}

// -----

// Elementwise ops and data movement: one injective kernel. Two chains that
// meet (exp/mul and tanh) merge at the sub.
// CHECK-LABEL: func.func @chain
// CHECK-NEXT: %[[K:.*]] = axon.kernel "chain_k0" "injective"(%arg0, %arg2, %arg1 : tensor<4x8xf32>, tensor<f32>, tensor<4x8xf32>) {
// CHECK: axon.exp
// CHECK-NEXT: axon.mul
// CHECK-NEXT: axon.tanh
// CHECK-NEXT: axon.sub
// CHECK-NEXT: axon.transpose
// CHECK-NEXT: %[[R:.*]] = axon.reshape
// CHECK-NEXT: axon.kernel_yield %[[R]]
// CHECK-NEXT: } -> tensor<4x8xf32>
// CHECK-NEXT: return %[[K]]
// CHECK-NOT: axon.kernel
func.func @chain(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>, %s: tensor<f32>) -> tensor<4x8xf32> {
  %0 = axon.exp %x : tensor<4x8xf32>
  %1 = axon.mul %0, %s : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xf32>
  %2 = axon.tanh %y : tensor<4x8xf32>
  %3 = axon.sub %1, %2 : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %4 = axon.transpose %3 {perm = array<i64: 1, 0>} : tensor<4x8xf32> -> tensor<8x4xf32>
  %5 = axon.reshape %4 : tensor<8x4xf32> -> tensor<4x8xf32>
  return %5 : tensor<4x8xf32>
}

// -----

// Softmax written out: the max is one reduction; sub and exp are the
// prologue of the sum, whose kernel also gives exp's value (two results);
// the division, of another shape than the sum, is a kernel of its own. A
// softmax op followed by an elementwise op is one kernel (epilogue).
// CHECK-LABEL: func.func @softmax
// CHECK-NEXT: %[[MAX:.*]] = axon.kernel "softmax_k0" "reduction"(%arg0 : tensor<4x8xf32>) {
// CHECK: axon.reduce_max
// CHECK: %[[SUM:.*]]:2 = axon.kernel "softmax_k1" "reduction"(%arg0, %[[MAX]] : tensor<4x8xf32>, tensor<4x1xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: axon.sub
// CHECK-NEXT: %[[E:.*]] = axon.exp
// CHECK-NEXT: %[[Z:.*]] = axon.sum %[[E]]
// CHECK-NEXT: axon.kernel_yield %[[E]], %[[Z]] : tensor<4x8xf32>, tensor<4x1xf32>
// CHECK: %[[DIV:.*]] = axon.kernel "softmax_k2" "injective"(%[[SUM]]#0, %[[SUM]]#1 : tensor<4x8xf32>, tensor<4x1xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: axon.div
// CHECK-NEXT: axon.kernel_yield
// CHECK: axon.kernel "softmax_k3" "reduction"(%arg0 : tensor<4x8xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: axon.softmax
// CHECK-NEXT: axon.mul
// CHECK-NEXT: axon.kernel_yield
func.func @softmax(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %m = axon.reduce_max %x {axes = array<i64: 1>, keepdims = true} : tensor<4x8xf32> -> tensor<4x1xf32>
  %s = axon.sub %x, %m : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  %e = axon.exp %s : tensor<4x8xf32>
  %z = axon.sum %e {axes = array<i64: 1>, keepdims = true} : tensor<4x8xf32> -> tensor<4x1xf32>
  %y = axon.div %e, %z : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  %p = axon.softmax %x {axis = 1 : i64} : tensor<4x8xf32>
  %q = axon.mul %p, %x : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  return %y, %q : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// sqrt(sum(x * x)) over a dynamic batch: prologue, reduction and epilogue in
// one kernel.
// CHECK-LABEL: func.func @norm
// CHECK-NEXT: %[[K:.*]] = axon.kernel "norm_k0" "reduction"(%arg0 : tensor<?x4xf32>) {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<?x4xf32>):
// CHECK-NEXT: %[[SQ:.*]] = axon.mul %[[X]], %[[X]]
// CHECK-NEXT: %[[S:.*]] = axon.sum %[[SQ]]
// CHECK-NEXT: %[[R:.*]] = axon.sqrt %[[S]]
// CHECK-NEXT: axon.kernel_yield %[[R]] : tensor<?xf32>
// CHECK-NEXT: } -> tensor<?xf32>
// CHECK-NEXT: return %[[K]]
func.func @norm(%x: tensor<?x4xf32>) -> tensor<?xf32> {
  %0 = axon.mul %x, %x : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %1 = axon.sum %0 {axes = array<i64: 1>} : tensor<?x4xf32> -> tensor<?xf32>
  %2 = axon.sqrt %1 : tensor<?xf32>
  return %2 : tensor<?xf32>
}

// -----

// A weight gradient h^T @ g: the transpose is the matmul's prologue. The
// second transpose is also returned, so it stays a kernel of its own and the
// matmul reads its result.
// CHECK-LABEL: func.func @grad_w
// CHECK-NEXT: %[[K0:.*]] = axon.kernel "grad_w_k0" "contraction"(%arg0, %arg1 : tensor<?x16xf32>, tensor<?x4xf32>) {
// CHECK-NEXT: ^bb0(%[[H:.*]]: tensor<?x16xf32>, %[[G:.*]]: tensor<?x4xf32>):
// CHECK-NEXT: %[[T:.*]] = axon.transpose %[[H]]
// CHECK-NEXT: %[[DW:.*]] = axon.matmul %[[T]], %[[G]]
// CHECK-NEXT: axon.kernel_yield %[[DW]] : tensor<16x4xf32>
// CHECK: %[[K1:.*]] = axon.kernel "grad_w_k1" "injective"(%arg0 : tensor<?x16xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: axon.transpose
// CHECK-NEXT: axon.kernel_yield
// CHECK: %[[K2:.*]] = axon.kernel "grad_w_k2" "contraction"(%[[K1]], %arg1 : tensor<16x?xf32>, tensor<?x4xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: axon.matmul
// CHECK: return %[[K0]], %[[K2]], %[[K1]]
func.func @grad_w(%h: tensor<?x16xf32>, %g: tensor<?x4xf32>) -> (tensor<16x4xf32>, tensor<16x4xf32>, tensor<16x?xf32>) {
  %t = axon.transpose %h {perm = array<i64: 1, 0>} : tensor<?x16xf32> -> tensor<16x?xf32>
  %dw = axon.matmul %t, %g : tensor<16x?xf32>, tensor<?x4xf32> -> tensor<16x4xf32>
  %t2 = axon.transpose %h {perm = array<i64: 1, 0>} : tensor<?x16xf32> -> tensor<16x?xf32>
  %dw2 = axon.matmul %t2, %g : tensor<16x?xf32>, tensor<?x4xf32> -> tensor<16x4xf32>
  return %dw, %dw2, %t2 : tensor<16x4xf32>, tensor<16x4xf32>, tensor<16x?xf32>
}

// -----

// tanh(x) feeds a sum (its prologue) and a matmul, which does not take
// computing prologues: the reduction kernel gives both the sum and tanh(x).
// CHECK-LABEL: func.func @shared
// CHECK-NEXT: %[[A:.*]]:2 = axon.kernel "shared_k0" "reduction"(%arg0 : tensor<4x8xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: %[[T:.*]] = axon.tanh
// CHECK-NEXT: %[[S:.*]] = axon.sum %[[T]]
// CHECK-NEXT: axon.kernel_yield %[[T]], %[[S]] : tensor<4x8xf32>, tensor<4xf32>
// CHECK: %[[M:.*]] = axon.kernel "shared_k1" "contraction"(%[[A]]#0, %arg1 : tensor<4x8xf32>, tensor<8x8xf32>) {
// CHECK: return %[[A]]#1, %[[M]]
func.func @shared(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
  %a = axon.tanh %x : tensor<4x8xf32>
  %s = axon.sum %a {axes = array<i64: 1>} : tensor<4x8xf32> -> tensor<4xf32>
  %m = axon.matmul %a, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  return %s, %m : tensor<4xf32>, tensor<4x8xf32>
}

// -----

// The relu mask of a backward pass: the select is an epilogue of both
// matmuls, but putting it with the first (the mask's) would be a cycle
// (k0 -> second matmul -> k0), so it goes with the second.
// CHECK-LABEL: func.func @relu_grad
// CHECK-NEXT: %[[H:.*]]:2 = axon.kernel "relu_grad_k0" "contraction"(%arg0, %arg1 : tensor<4x8xf32>, tensor<8x8xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: %[[ZERO:.*]] = axon.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[MM:.*]] = axon.matmul
// CHECK-NEXT: %[[C:.*]] = axon.cmp gt, %[[MM]], %[[ZERO]]
// CHECK-NEXT: axon.kernel_yield %[[MM]], %[[C]] : tensor<4x8xf32>, tensor<4x8xi1>
// CHECK: %[[D:.*]] = axon.kernel "relu_grad_k1" "contraction"(%[[H]]#0, %arg2, %[[H]]#1 : tensor<4x8xf32>, tensor<8x8xf32>, tensor<4x8xi1>) {
// CHECK-NEXT: ^bb0(%{{.*}}: tensor<4x8xf32>, %{{.*}}: tensor<8x8xf32>, %[[MASK:.*]]: tensor<4x8xi1>):
// CHECK-NEXT: %[[ZERO2:.*]] = axon.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[G:.*]] = axon.matmul
// CHECK-NEXT: %[[S:.*]] = axon.select %[[MASK]], %[[G]], %[[ZERO2]]
// CHECK-NEXT: axon.kernel_yield %[[S]]
// CHECK: return %[[D]]
func.func @relu_grad(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %v: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %zero = axon.constant dense<0.0> : tensor<f32>
  %h = axon.matmul %x, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %c = axon.cmp gt, %h, %zero : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xi1>
  %g = axon.matmul %h, %v : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  %d = axon.select %c, %g, %zero : tensor<4x8xi1>, tensor<4x8xf32>, tensor<f32> -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}

// -----

// A splat constant is cloned into the kernel that reads it, and gets a
// kernel of its own because it is also returned. The parameter and the
// non-splat constant stay outside as inputs; the stored value is a kernel
// result; a returned argument or param_ref is not wrapped.
// CHECK-LABEL: func.func @consts
// CHECK-NEXT: %[[W:.*]] = axon.param_ref @W : tensor<4xf32>
// CHECK-NEXT: %[[TWO:.*]] = axon.kernel "consts_k0" "injective" {
// CHECK-NEXT: %[[C:.*]] = axon.constant dense<2.000000e+00> : tensor<f32>
// CHECK-NEXT: axon.kernel_yield %[[C]] : tensor<f32>
// CHECK-NEXT: } -> tensor<f32>
// CHECK-NEXT: %[[TABLE:.*]] = axon.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
// CHECK-NEXT: %[[K:.*]] = axon.kernel "consts_k1" "injective"(%arg0, %[[TABLE]], %[[W]] : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<4xf32>, %[[T:.*]]: tensor<4xf32>, %[[WA:.*]]: tensor<4xf32>):
// CHECK-NEXT: %[[C2:.*]] = axon.constant dense<2.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[M:.*]] = axon.mul %[[X]], %[[C2]]
// CHECK-NEXT: %[[A:.*]] = axon.add %[[M]], %[[T]]
// CHECK-NEXT: %[[R:.*]] = axon.mul %[[A]], %[[WA]]
// CHECK-NEXT: axon.kernel_yield %[[R]] : tensor<4xf32>
// CHECK-NEXT: } -> tensor<4xf32>
// CHECK-NEXT: axon.param_store %[[K]] into @W
// CHECK-NEXT: return %[[K]], %[[W]], %[[TWO]], %arg0
axon.param @W : tensor<4xf32> = zeros
func.func @consts(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<4xf32>) {
  %w = axon.param_ref @W : tensor<4xf32>
  %two = axon.constant dense<2.0> : tensor<f32>
  %table = axon.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %0 = axon.mul %x, %two : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %1 = axon.add %0, %table : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %2 = axon.mul %1, %w : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  axon.param_store %2 into @W : tensor<4xf32>
  return %2, %w, %two, %x : tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<4xf32>
}

// -----

// Dynamic shapes: the explicit broadcast of the bias (to the same `?x4`)
// merges into the matmul's kernel at the add; axon.dim stays outside and its
// extent is an input.
// CHECK-LABEL: func.func @dynamic
// CHECK-NEXT: %[[N:.*]] = axon.dim %arg0
// CHECK-NEXT: %[[K:.*]] = axon.kernel "dynamic_k0" "contraction"(%arg2, %[[N]], %arg0, %arg1 : tensor<4xf32>, tensor<i64>, tensor<?x4xf32>, tensor<4x4xf32>) {
// CHECK-NEXT: ^bb0(%[[B:.*]]: tensor<4xf32>, %[[NA:.*]]: tensor<i64>, %{{.*}}: tensor<?x4xf32>, %{{.*}}: tensor<4x4xf32>):
// CHECK-NEXT: %[[BB:.*]] = axon.broadcast %[[B]][%[[NA]]] : tensor<4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: %[[M:.*]] = axon.matmul
// CHECK-NEXT: %[[A:.*]] = axon.add %[[M]], %[[BB]]
// CHECK-NEXT: %[[R:.*]] = axon.relu %[[A]]
// CHECK-NEXT: axon.kernel_yield %[[R]] : tensor<?x4xf32>
// CHECK-NEXT: } -> tensor<?x4xf32>
// CHECK-NEXT: return %[[K]]
func.func @dynamic(%x: tensor<?x4xf32>, %w: tensor<4x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %n = axon.dim %x {axis = 0 : i64} : tensor<?x4xf32>
  %bb = axon.broadcast %b[%n] : tensor<4xf32> -> tensor<?x4xf32>
  %0 = axon.matmul %x, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  %1 = axon.add %0, %bb : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %2 = axon.relu %1 : tensor<?x4xf32>
  return %2 : tensor<?x4xf32>
}

// -----

// scatter_add is alone in a "single" kernel: neither its operand's nor its
// user's elementwise op joins it.
// CHECK-LABEL: func.func @scatter
// CHECK-NEXT: %[[E:.*]] = axon.kernel "scatter_k0" "injective"(%arg2 : tensor<3x4xf32>) {
// CHECK: %[[S:.*]] = axon.kernel "scatter_k1" "single"(%arg0, %arg1, %[[E]] : tensor<10x4xf32>, tensor<3xi32>, tensor<3x4xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: axon.scatter_add
// CHECK-NEXT: axon.kernel_yield
// CHECK: %[[R:.*]] = axon.kernel "scatter_k2" "injective"(%[[S]] : tensor<10x4xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: axon.relu
// CHECK: return %[[R]]
func.func @scatter(%t: tensor<10x4xf32>, %i: tensor<3xi32>, %u: tensor<3x4xf32>) -> tensor<10x4xf32> {
  %0 = axon.exp %u : tensor<3x4xf32>
  %1 = axon.scatter_add %t[%i], %0 : tensor<10x4xf32>, tensor<3xi32>, tensor<3x4xf32> -> tensor<10x4xf32>
  %2 = axon.relu %1 : tensor<10x4xf32>
  return %2 : tensor<10x4xf32>
}

// -----

// Pooling anchors a window kernel; relu is its epilogue.
// CHECK-LABEL: func.func @pool
// CHECK-NEXT: axon.kernel "pool_k0" "window"(%arg0 : tensor<1x3x8x8xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: axon.max_pool2d
// CHECK-NEXT: axon.relu
// CHECK-NEXT: axon.kernel_yield
func.func @pool(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32> {
  %0 = axon.max_pool2d %x {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, strides = array<i64: 2, 2>} : tensor<1x3x8x8xf32> -> tensor<1x3x4x4xf32>
  %1 = axon.relu %0 : tensor<1x3x4x4xf32>
  return %1 : tensor<1x3x4x4xf32>
}

// -----

// A loop stays a loop (the bound constant too); the ops around it become
// kernels, and so do the ops of its body, after the ones around it.
// CHECK-LABEL: func.func @loop
// CHECK-NEXT: %[[LO:.*]] = axon.constant dense<0> : tensor<i64>
// CHECK-NEXT: %[[E:.*]] = axon.kernel "loop_k0" "injective"(%arg0 : tensor<3xf32>) {
// CHECK: %[[L:.*]] = axon.loop %[[LO]] to %arg1 carry(%[[E]] : tensor<3xf32>) {
// CHECK-NEXT: ^bb0(%{{.*}}: tensor<i64>, %[[H:.*]]: tensor<3xf32>):
// CHECK-NEXT: %[[T:.*]] = axon.kernel "loop_k2" "injective"(%[[H]] : tensor<3xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: axon.tanh
// CHECK-NEXT: axon.kernel_yield
// CHECK-NEXT: } -> tensor<3xf32>
// CHECK-NEXT: axon.yield %[[T]] : tensor<3xf32>
// CHECK: axon.kernel "loop_k1" "injective"(%[[L]] : tensor<3xf32>) {
func.func @loop(%x: tensor<3xf32>, %n: tensor<i64>) -> tensor<3xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  %e = axon.exp %x : tensor<3xf32>
  %r = axon.loop %lo to %n carry(%e : tensor<3xf32>) {
  ^bb0(%t: tensor<i64>, %h: tensor<3xf32>):
    %h2 = axon.tanh %h : tensor<3xf32>
    axon.yield %h2 : tensor<3xf32>
  } -> tensor<3xf32>
  %o = axon.neg %r : tensor<3xf32>
  return %o : tensor<3xf32>
}

// -----

// A loop body's kernels read the step, the carried values and values from
// outside the loop as inputs. Splat constants from outside are cloned into
// the body and then into its kernels (no kernel materialises 0.5 outside);
// the bounds stay where they are. A nested loop's body is fused too.
// CHECK-LABEL: func.func @loop_body
// CHECK-NEXT: %[[LO:.*]] = axon.constant dense<0> : tensor<i64>
// CHECK-NEXT: %[[HI:.*]] = axon.constant dense<8> : tensor<i64>
// CHECK-NEXT: %[[E:.*]] = axon.kernel "loop_body_k0" "injective"(%arg0 : tensor<4xf32>)
// CHECK: axon.loop %[[LO]] to %[[HI]] carry(%arg0 : tensor<4xf32>) {
// CHECK-NEXT: ^bb0(%[[T:.*]]: tensor<i64>, %[[H:.*]]: tensor<4xf32>):
// CHECK-NEXT: %[[TF:.*]] = axon.kernel "loop_body_k1" "injective"(%[[T]] : tensor<i64>) {
// CHECK: %[[K:.*]] = axon.kernel "loop_body_k2" "injective"(%[[H]], %[[TF]], %[[E]] : tensor<4xf32>, tensor<f32>, tensor<4xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: axon.constant dense<5.000000e-01> : tensor<f32>
// CHECK: axon.kernel_yield
// CHECK: axon.loop %[[LO]] to %[[HI]] carry(%[[K]] : tensor<4xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: axon.kernel "loop_body_k3" "injective"
// CHECK-NEXT: ^bb0
// CHECK-NEXT: axon.constant dense<5.000000e-01> : tensor<f32>
// CHECK-NEXT: axon.mul
// CHECK-NOT: axon.kernel "loop_body_k4"
func.func @loop_body(%x: tensor<4xf32>) -> tensor<4xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<8> : tensor<i64>
  %half = axon.constant dense<0.5> : tensor<f32>
  %e = axon.exp %x : tensor<4xf32>
  %r = axon.loop %lo to %hi carry(%x : tensor<4xf32>) {
  ^bb0(%t: tensor<i64>, %h: tensor<4xf32>):
    %tf = axon.cast %t : tensor<i64> -> tensor<f32>
    %a = axon.mul %h, %half : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
    %b = axon.add %a, %tf : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
    %c = axon.add %b, %e : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
    %inner = axon.loop %lo to %hi carry(%c : tensor<4xf32>) {
    ^bb1(%s: tensor<i64>, %g: tensor<4xf32>):
      %d = axon.mul %g, %half : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
      axon.yield %d : tensor<4xf32>
    } -> tensor<4xf32>
    axon.yield %inner : tensor<4xf32>
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Adam's update of one parameter, trimmed from `axonc --emit=grad` of
// examples/mlp: the bias corrections (scalars) are one kernel, the update of
// the parameter and both moments one more, with three results to store.
// CHECK-LABEL: func.func @adam_step
// CHECK: %[[BC:.*]]:2 = axon.kernel "adam_step_k0" "injective"(%arg1 : tensor<i64>) {
// CHECK: axon.kernel_yield %{{.*}}, %{{.*}} : tensor<f32>, tensor<f32>
// CHECK: %[[U:.*]]:3 = axon.kernel "adam_step_k1" "injective"(%arg0, %{{.*}}, %{{.*}}, %[[BC]]#0, %[[BC]]#1, %{{.*}} : tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<f32>, tensor<f32>, tensor<256xf32>) {
// CHECK-COUNT-14: axon.{{mul|add|div|sqrt|sub}}
// CHECK-NEXT: axon.kernel_yield
// CHECK-NEXT: } -> tensor<256xf32>, tensor<256xf32>, tensor<256xf32>
// CHECK-NEXT: axon.param_store %[[U]]#0 into @b.m
// CHECK-NEXT: axon.param_store %[[U]]#1 into @b.v
// CHECK-NEXT: axon.param_store %[[U]]#2 into @b
// CHECK-NOT: axon.kernel
axon.param @b : tensor<256xf32> = zeros
axon.param @b.m : tensor<256xf32> = zeros {optimizer_state}
axon.param @b.v : tensor<256xf32> = zeros {optimizer_state}
func.func @adam_step(%grad: tensor<256xf32>, %step: tensor<i64>) {
  %0 = axon.constant dense<9.99999993E-9> : tensor<f32>
  %1 = axon.constant dense<1.000000e-03> : tensor<f32>
  %2 = axon.constant dense<1.000000e-01> : tensor<f32>
  %3 = axon.constant dense<9.990000e-01> : tensor<f32>
  %4 = axon.constant dense<0.899999976> : tensor<f32>
  %5 = axon.constant dense<1.000000e+00> : tensor<f32>
  %8 = axon.param_ref @b : tensor<256xf32>
  %11 = axon.cast %step : tensor<i64> -> tensor<f32>
  %12 = axon.add %11, %5 : tensor<f32>, tensor<f32> -> tensor<f32>
  %13 = axon.pow %4, %12 : tensor<f32>, tensor<f32> -> tensor<f32>
  %14 = axon.sub %5, %13 : tensor<f32>, tensor<f32> -> tensor<f32>
  %15 = axon.pow %3, %12 : tensor<f32>, tensor<f32> -> tensor<f32>
  %16 = axon.sub %5, %15 : tensor<f32>, tensor<f32> -> tensor<f32>
  %33 = axon.param_ref @b.m : tensor<256xf32>
  %34 = axon.param_ref @b.v : tensor<256xf32>
  %35 = axon.mul %grad, %2 : tensor<256xf32>, tensor<f32> -> tensor<256xf32>
  %36 = axon.mul %33, %4 : tensor<256xf32>, tensor<f32> -> tensor<256xf32>
  %37 = axon.add %36, %35 : tensor<256xf32>, tensor<256xf32> -> tensor<256xf32>
  %38 = axon.mul %grad, %grad : tensor<256xf32>, tensor<256xf32> -> tensor<256xf32>
  %39 = axon.mul %38, %1 : tensor<256xf32>, tensor<f32> -> tensor<256xf32>
  %40 = axon.mul %34, %3 : tensor<256xf32>, tensor<f32> -> tensor<256xf32>
  %41 = axon.add %40, %39 : tensor<256xf32>, tensor<256xf32> -> tensor<256xf32>
  %42 = axon.div %37, %14 : tensor<256xf32>, tensor<f32> -> tensor<256xf32>
  %43 = axon.div %41, %16 : tensor<256xf32>, tensor<f32> -> tensor<256xf32>
  %44 = axon.sqrt %43 : tensor<256xf32>
  %45 = axon.add %44, %0 : tensor<256xf32>, tensor<f32> -> tensor<256xf32>
  %46 = axon.div %42, %45 : tensor<256xf32>, tensor<256xf32> -> tensor<256xf32>
  axon.param_store %37 into @b.m : tensor<256xf32>
  axon.param_store %41 into @b.v : tensor<256xf32>
  %47 = axon.mul %46, %1 : tensor<256xf32>, tensor<f32> -> tensor<256xf32>
  %48 = axon.sub %8, %47 : tensor<256xf32>, tensor<256xf32> -> tensor<256xf32>
  axon.param_store %48 into @b : tensor<256xf32>
  return
}

// -----

// EXPLAIN-BEGIN (the RUN line with sed starts here)

// CHECK-LABEL: func.func @explain_grad
func.func @explain_grad(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %v: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<8xf32>) {
  %zero = axon.constant dense<0.0> : tensor<f32>
  // expected-remark@+1 {{starts kernel 'explain_grad_k0' (contraction)}}
  %h = axon.matmul %x, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  // expected-remark@+1 {{joins kernel 'explain_grad_k0': elementwise epilogue of axon.matmul}}
  %c = axon.cmp gt, %h, %zero : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xi1>
  // expected-remark@+1 {{starts kernel 'explain_grad_k1' (contraction): not with operand 0: the producer's kernel already has an anchor (axon.matmul)}}
  %g = axon.matmul %h, %v : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  // expected-remark@+1 {{joins kernel 'explain_grad_k1': elementwise epilogue of axon.matmul; not with the producer of operand 0: would create a cycle between kernels}}
  %d = axon.select %c, %g, %zero : tensor<4x8xi1>, tensor<4x8xf32>, tensor<f32> -> tensor<4x8xf32>
  // expected-remark@+1 {{starts kernel 'explain_grad_k2' (reduction): its operand's kernel already has an anchor (axon.matmul)}}
  %s = axon.sum %d {axes = array<i64: 0>} : tensor<4x8xf32> -> tensor<8xf32>
  return %d, %s : tensor<4x8xf32>, tensor<8xf32>
}

// -----

// CHECK-LABEL: func.func @explain_rules
func.func @explain_rules(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>, %g: tensor<4x2xf32>, %i: tensor<4xi32>, %t: tensor<10x8xf32>) -> (tensor<4x1xf32>, tensor<8x2xf32>, tensor<10x8xf32>, tensor<4x8xf32>) {
  // expected-remark@+1 {{starts kernel 'explain_rules_k0' (reduction): no operand comes from a kernel}}
  %0 = axon.mul %x, %x : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  // expected-remark@+1 {{joins kernel 'explain_rules_k0' as its anchor: its operand's injective ops are the prologue}}
  %1 = axon.sum %0 {axes = array<i64: 1>, keepdims = true} : tensor<4x8xf32> -> tensor<4x1xf32>
  // expected-remark@+1 {{joins kernel 'explain_rules_k0': elementwise epilogue of axon.sum}}
  %2 = axon.sqrt %1 : tensor<4x1xf32>
  // expected-remark@+1 {{starts kernel 'explain_rules_k1' (contraction): not with operand 0: not an epilogue of axon.sum: axon.transpose reads elements at other coordinates}}
  %3 = axon.transpose %0 {perm = array<i64: 1, 0>} : tensor<4x8xf32> -> tensor<8x4xf32>
  // expected-remark@+1 {{joins kernel 'explain_rules_k1' as its anchor: takes operand 0's data-movement prologue (axon.transpose)}}
  %4 = axon.matmul %3, %g : tensor<8x4xf32>, tensor<4x2xf32> -> tensor<8x2xf32>
  // expected-remark@+1 {{starts kernel 'explain_rules_k2' (single): opaque, alone in its kernel}}
  %5 = axon.scatter_add %t[%i], %x : tensor<10x8xf32>, tensor<4xi32>, tensor<4x8xf32> -> tensor<10x8xf32>
  // expected-remark@+1 {{starts kernel 'explain_rules_k3' (injective): not with operand 0: the producer (axon.scatter_add) stays alone in its kernel}}
  %6 = axon.relu %5 : tensor<10x8xf32>
  // expected-remark@+1 {{starts a group, later merged into kernel 'explain_rules_k4': no operand comes from a kernel}}
  %7 = axon.exp %x : tensor<4x8xf32>
  // expected-remark@+1 {{starts kernel 'explain_rules_k4' (injective): no operand comes from a kernel}}
  %8 = axon.tanh %y : tensor<4x8xf32>
  // expected-remark@+1 {{joins kernel 'explain_rules_k4': injective, like the producer (axon.tanh); also takes operand 1's kernel (injective)}}
  %9 = axon.add %8, %7 : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  // expected-remark@+1 {{joins kernel 'explain_rules_k4': injective, like the producer (axon.add); operand 1 is broadcast, read as an input}}
  %10 = axon.mul %9, %2 : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  return %2, %4, %6, %10 : tensor<4x1xf32>, tensor<8x2xf32>, tensor<10x8xf32>, tensor<4x8xf32>
}

// -----

// A transpose of a square matmul result has the result's shape but is no
// epilogue: it reads the matmul at other coordinates, and the backend
// computes a contraction tile by tile where its epilogue is.
// CHECK-LABEL: func.func @square_transpose
// CHECK: axon.kernel "square_transpose_k0" "contraction"
// CHECK-NOT: axon.transpose
// CHECK: axon.kernel_yield
// CHECK: axon.kernel "square_transpose_k1" "injective"
// CHECK-NEXT: ^bb0
// CHECK-NEXT: axon.transpose
func.func @square_transpose(%a: tensor<8x8xf32>, %b: tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>) {
  // expected-remark@+1 {{starts kernel 'square_transpose_k0' (contraction)}}
  %0 = axon.matmul %a, %b : tensor<8x8xf32>, tensor<8x8xf32> -> tensor<8x8xf32>
  // expected-remark@+1 {{starts kernel 'square_transpose_k1' (injective): not with operand 0: not an epilogue of axon.matmul: axon.transpose reads elements at other coordinates}}
  %1 = axon.transpose %0 {perm = array<i64: 1, 0>} : tensor<8x8xf32> -> tensor<8x8xf32>
  return %0, %1 : tensor<8x8xf32>, tensor<8x8xf32>
}

// -----

// A matmul takes the transpose and reshape of its batched left operand as
// prologue, but not the reshape of its weight, broadcast over the batch of
// 7 (nn.merge_heads's Wo merged from [2, 3, 4]): that is a kernel of its
// own, read as an input.
// CHECK-LABEL: func.func @broadcast_weight_reshape
// CHECK: %[[W:.*]] = axon.kernel "broadcast_weight_reshape_k1" "injective"(%arg1 : tensor<2x3x4xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: axon.reshape
// CHECK: axon.kernel "broadcast_weight_reshape_k0" "contraction"(%arg0, %[[W]] : tensor<7x2x5x3xf32>, tensor<6x4xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: axon.transpose
// CHECK-NEXT: axon.reshape
// CHECK-NEXT: axon.matmul
func.func @broadcast_weight_reshape(%o: tensor<7x2x5x3xf32>, %w: tensor<2x3x4xf32>) -> tensor<7x5x4xf32> {
  // expected-remark@+1 {{starts kernel 'broadcast_weight_reshape_k0' (contraction): no operand comes from a kernel}}
  %0 = axon.transpose %o {perm = array<i64: 0, 2, 1, 3>} : tensor<7x2x5x3xf32> -> tensor<7x5x2x3xf32>
  // expected-remark@+1 {{joins kernel 'broadcast_weight_reshape_k0': injective, like the producer (axon.transpose)}}
  %1 = axon.reshape %0 : tensor<7x5x2x3xf32> -> tensor<7x5x6xf32>
  // expected-remark@+1 {{starts kernel 'broadcast_weight_reshape_k1' (injective): no operand comes from a kernel}}
  %2 = axon.reshape %w : tensor<2x3x4xf32> -> tensor<6x4xf32>
  // expected-remark@+1 {{joins kernel 'broadcast_weight_reshape_k0' as its anchor: takes operand 0's data-movement prologue (axon.transpose); not with operand 1: a reshape of an operand broadcast over the batch (copied once, not once per matrix)}}
  %3 = axon.matmul %1, %2 : tensor<7x5x6xf32>, tensor<6x4xf32> -> tensor<7x5x4xf32>
  return %3 : tensor<7x5x4xf32>
}
