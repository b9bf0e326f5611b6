// axon-hoist-loop-sums on the compiled path: per-step products and sums
// added to loop-carried accumulators (written out, and as backprop through
// an LSTM writes its weight gradients) give the reference evaluator's
// values at awkward sizes once moved after the loop, and the move does
// happen there (no loop carries the accumulator any more).
#include "CompileModel.h"
#include "CompiledVsReference.h"
#include "SmallLstmModel.h"
#include "passes/Passes.h"

namespace axon {
namespace {

const std::string kModel = std::string(R"(
# x_t^T g_t and the column sums of g_t, summed over the time axis.
fn step_sums(x: f32[N, T, 3], g: f32[N, T, 33]) -> (f32[3, 33], f32[33]) {
  let w = zeros([3, 33])
  let b = zeros([33])
  for t in 0..dim(x, 1) {
    w = w + transpose(gather(x, t, axis = 1), [1, 0]) @ gather(g, t, axis = 1)
    b = b + sum(gather(g, t, axis = 1), axis = 0)
  }
  return w, b
}
# Backwards through the sequence, the carried state times the step's input
# added to a non-zero start.
fn reversed_state(x: f32[N, T, 3], h0: f32[N, 5], V: f32[3, 5]) -> f32[5, 3] {
  let h = h0
  let acc = zeros([5, 3]) + 0.5
  for s in 0..dim(x, 1) {
    let xt = gather(x, dim(x, 1) - 1 - s, axis = 1)
    acc = acc + transpose(h, [1, 0]) @ xt
    h = tanh(0.9 * h + xt @ V)
  }
  return acc
}

)") + test_support::kSmallLstmLoss + R"(# The weight gradients: sums over the reverse loop's steps.
fn dWx(x: f32[N, T, 3]) -> f32[3, 8] { return grad(lstm_loss, x, wrt = Wx) }
fn dWh(x: f32[N, T, 3]) -> f32[2, 8] { return grad(lstm_loss, x, wrt = Wh) }
fn db(x: f32[N, T, 3]) -> f32[8] { return grad(lstm_loss, x, wrt = bg) }
# The input's gradient: a slice scattered into zeros per reverse step
# (gather's adjoint, axis 1), and time-major (axis 0, no product).
fn dx(x: f32[N, T, 3]) -> f32[N, T, 3] { return grad(lstm_loss, x, wrt = x) }
fn rnn_time_major(x: f32[T, N, 3]) -> f32 {
  let h = zeros([N, 3])
  for t in 0..dim(x, 0) {
    h = tanh(gather(x, t, axis = 0) + 0.5 * h)
  }
  return mean(h * h)
}
fn dx_time_major(x: f32[T, N, 3]) -> f32[T, N, 3] {
  return grad(rnn_time_major, x, wrt = x)
}
)";

Tensor random(std::vector<int64_t> shape, uint64_t &seed) {
  return test_support::randomTensor(DType::F32, std::move(shape), seed);
}

/// The number of loop-carried values of `type` in `fn` specialised to
/// `args`' shapes and rewritten by axon-hoist-loop-sums.
int carriedLeft(mlir::ModuleOp module, const std::string &fn,
                const std::vector<Tensor> &args, std::vector<int64_t> shape) {
  auto type = mlir::RankedTensorType::get(shape, mlir::Float32Type::get(module.getContext()));
  return test_support::countAfterPass(
      module, fn, args, createHoistLoopSums(), [&](mlir::func::FuncOp f) {
        int left = 0;
        f.walk([&](LoopOp loop) {
          for (mlir::Type t : loop.getResultTypes())
            left += t == type;
        });
        return left;
      });
}

/// The number of scatter_adds inside loops of `fn` specialised to `args`'
/// shapes and rewritten by axon-hoist-loop-sums.
int scattersInLoops(mlir::ModuleOp module, const std::string &fn,
                    const std::vector<Tensor> &args) {
  return test_support::countAfterPass(
      module, fn, args, createHoistLoopSums(), [](mlir::func::FuncOp f) {
        int left = 0;
        f.walk([&](ScatterAddOp op) { left += op->getParentOfType<LoopOp>() != nullptr; });
        return left;
      });
}

TEST(LoopSumHoisting, StepSumsMatchTheReference) {
  auto m = test_support::compileModel(kModel, true);
  ASSERT_TRUE(m->module) << m->errors;
  uint64_t seed = 11;
  std::vector<std::vector<Tensor>> sums, reversed, lstm, timeMajor;
  for (int64_t n : {1, 7, 33})
    for (int64_t t : {1, 5}) {
      timeMajor.push_back({random({t, n, 3}, seed)});
      sums.push_back({random({n, t, 3}, seed), random({n, t, 33}, seed)});
      reversed.push_back({random({n, t, 3}, seed), random({n, 5}, seed),
                          random({3, 5}, seed)});
      lstm.push_back({random({n, t, 3}, seed)});
    }
  test_support::checkAgainstReference(*m->module, "step_sums", sums, m->errors);
  test_support::checkAgainstReference(*m->module, "reversed_state", reversed, m->errors);
  for (const char *fn : {"dWx", "dWh", "db", "dx"})
    test_support::checkAgainstReference(*m->module, fn, lstm, m->errors);
  test_support::checkAgainstReference(*m->module, "dx_time_major", timeMajor, m->errors);
  // At 5 steps (one step is unrolled, no loop) the accumulators are gone
  // from the loops.
  EXPECT_EQ(carriedLeft(*m->module, "step_sums", sums.back(), {3, 33}), 0);
  EXPECT_EQ(carriedLeft(*m->module, "step_sums", sums.back(), {33}), 0);
  EXPECT_EQ(carriedLeft(*m->module, "reversed_state", reversed.back(), {5, 3}), 0);
  EXPECT_EQ(carriedLeft(*m->module, "dWx", lstm.back(), {3, 8}), 0);
  EXPECT_EQ(carriedLeft(*m->module, "dWh", lstm.back(), {2, 8}), 0);
  EXPECT_EQ(carriedLeft(*m->module, "db", lstm.back(), {8}), 0);
  EXPECT_EQ(carriedLeft(*m->module, "dx", lstm.back(), {33, 5, 3}), 0);
  EXPECT_EQ(scattersInLoops(*m->module, "dx", lstm.back()), 0);
  EXPECT_EQ(scattersInLoops(*m->module, "dx_time_major", timeMajor.back()), 0);
}

} // namespace
} // namespace axon
