// The verifier errors of the sequence ops (arange, tril, triu, shift, scan).
// RUN: axon-opt %s -split-input-file -verify-diagnostics

func.func @arange_rank(%n: tensor<i64>) -> tensor<?x2xi64> {
  // expected-error@+1 {{arange gives a 1-D tensor, not [?, 2]}}
  %0 = axon.arange [%n] : tensor<?x2xi64>
  return %0 : tensor<?x2xi64>
}

// -----

func.func @arange_missing_extent() -> tensor<?xi64> {
  // expected-error@+1 {{result has 1 dynamic dims but 0 extents are given}}
  %0 = axon.arange : tensor<?xi64>
  return %0 : tensor<?xi64>
}

// -----

func.func @tril_rank(%x: tensor<5xf32>) -> tensor<5xf32> {
  // expected-error@+1 {{needs rank >= 2 (a triangle of the last two axes), got [5]}}
  %0 = axon.tril %x : tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

func.func @shift_axis(%x: tensor<5xf32>) -> tensor<5xf32> {
  // expected-error@+1 {{axis 1 is out of range}}
  %0 = axon.shift %x {axis = 1 : i64, offset = 1 : i64} : tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

func.func @scan_axis(%a: tensor<2x5xf32>) -> tensor<2x5xf32> {
  // expected-error@+1 {{axis -3 is out of range}}
  %0 = axon.scan %a, %a {axis = -3 : i64} : tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @scan_integers(%a: tensor<5xi32>) -> tensor<5xi32> {
  // expected-error@+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = axon.scan %a, %a {axis = 0 : i64} : tensor<5xi32>
  return %0 : tensor<5xi32>
}
