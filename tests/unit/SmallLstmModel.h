// A small LSTM (3 inputs, hidden 2, the 4 gates in one product per step)
// whose loss the loop-hoisting tests differentiate: backprop through its
// loop gives the per-step products and sums axon-hoist-loop-products and
// axon-hoist-loop-sums move out of loops.
#ifndef AXON_TESTS_UNIT_SMALLLSTMMODEL_H
#define AXON_TESTS_UNIT_SMALLLSTMMODEL_H

namespace axon::test_support {

/// `lstm_loss(x: f32[N, T, 3])` with parameters Wx, Wh and bg.
inline constexpr const char *kSmallLstmLoss = R"(
param Wx: f32[3, 8] = glorot_uniform
param Wh: f32[2, 8] = glorot_uniform
param bg: f32[8] = normal(0.0, 0.5)
fn lstm_loss(x: f32[N, T, 3]) -> f32 {
  let h = zeros([N, 2])
  let c = zeros([N, 2])
  for t in 0..dim(x, 1) {
    let z = gather(x, t, axis = 1) @ Wx + h @ Wh + bg
    let i = sigmoid(slice(z, axis = 1, start = 0, end = 2))
    let f = sigmoid(slice(z, axis = 1, start = 2, end = 4))
    let g = tanh(slice(z, axis = 1, start = 4, end = 6))
    let o = sigmoid(slice(z, axis = 1, start = 6, end = 8))
    c = f * c + i * g
    h = o * tanh(c)
  }
  return mean(h * h)
}
)";

} // namespace axon::test_support

#endif // AXON_TESTS_UNIT_SMALLLSTMMODEL_H
