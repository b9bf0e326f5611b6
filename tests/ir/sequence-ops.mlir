// The sequence ops (arange, tril, triu, shift, scan) print and parse back,
// and their verifiers reject what their shape rules reject.
// RUN: axon-opt %s -split-input-file | axon-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @sequence
// CHECK: axon.arange : tensor<4xi64>
// CHECK: axon.arange[%{{.*}}] {start = 1.000000e+00 : f64, step = 5.000000e-01 : f64} : tensor<?xf32>
// CHECK: axon.tril %{{.*}} : tensor<?x3x3xf32>
// CHECK: axon.triu %{{.*}} {k = -1 : i64} : tensor<?x3x3xf32>
// CHECK: axon.shift %{{.*}} {axis = 1 : i64, offset = -2 : i64} : tensor<?x3x3xf32>
// CHECK: axon.scan %{{.*}}, %{{.*}} {axis = 0 : i64} : tensor<?x3x3xf32>
// CHECK: axon.scan %{{.*}}, %{{.*}} {axis = -1 : i64, reverse} : tensor<?x3x3xf32>
func.func @sequence(%x: tensor<?x3x3xf32>, %n: tensor<i64>) -> (tensor<4xi64>, tensor<?xf32>, tensor<?x3x3xf32>) {
  %0 = axon.arange : tensor<4xi64>
  %1 = axon.arange [%n] {start = 1.0 : f64, step = 0.5 : f64} : tensor<?xf32>
  %2 = axon.tril %x : tensor<?x3x3xf32>
  %3 = axon.triu %2 {k = -1 : i64} : tensor<?x3x3xf32>
  %4 = axon.shift %3 {axis = 1 : i64, offset = -2 : i64} : tensor<?x3x3xf32>
  %5 = axon.scan %4, %x {axis = 0 : i64} : tensor<?x3x3xf32>
  %6 = axon.scan %5, %x {axis = -1 : i64, reverse} : tensor<?x3x3xf32>
  return %0, %1, %6 : tensor<4xi64>, tensor<?xf32>, tensor<?x3x3xf32>
}
