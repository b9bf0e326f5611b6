// RUN: axon-opt %s --axon-plan-memory -split-input-file -verify-diagnostics

func.func @dynamic(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{'axon.kernel' op result #0 has dynamic shape 'tensor<?x4xf32>'; memory planning needs static shapes (run axon-infer-shapes)}}
  %a = axon.kernel "k0" "injective" (%x : tensor<?x4xf32>) {
  ^bb0(%i: tensor<?x4xf32>):
    %e = axon.exp %i : tensor<?x4xf32>
    axon.kernel_yield %e : tensor<?x4xf32>
  } -> tensor<?x4xf32>
  return %a : tensor<?x4xf32>
}

// -----

func.func @unfused(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = axon.kernel "k0" "injective" (%x : tensor<4xf32>) {
  ^bb0(%i: tensor<4xf32>):
    %e = axon.exp %i : tensor<4xf32>
    axon.kernel_yield %e : tensor<4xf32>
  } -> tensor<4xf32>
  // expected-error@+1 {{'axon.neg' op memory planning needs every computed value in an axon.kernel; run axon-fuse first}}
  %b = axon.neg %a : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

axon.param @W : tensor<4xf32> = zeros
func.func @store_in_loop(%x: tensor<4xf32>) {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<2> : tensor<i64>
  axon.loop %lo to %hi {
  ^bb0(%t: tensor<i64>):
    // expected-error@+1 {{'axon.param_store' op memory planning needs parameter stores outside loops}}
    axon.param_store %x into @W : tensor<4xf32>
    axon.yield
  }
  return
}
