// axon-hoist-loop-products on the compiled path: a loop body's product of
// a row of a tensor from before the loop with a loop-invariant weight (an
// LSTM's input projection, a reversed read, a transposed weight) gives the
// reference evaluator's values at awkward sizes once computed whole before
// the loop, in the forward function and in the gradients whose forward
// loop it is, and the product does leave the loop.
#include "CompileModel.h"
#include "CompiledVsReference.h"
#include "SmallLstmModel.h"
#include "passes/Passes.h"

#include "mlir/Transforms/Passes.h"

namespace axon {
namespace {

const std::string kModel = std::string(test_support::kSmallLstmLoss) + R"(
# The gradients run the forward loop too (and store its steps).
fn dWx(x: f32[N, T, 3]) -> f32[3, 8] { return grad(lstm_loss, x, wrt = Wx) }
fn dWh(x: f32[N, T, 3]) -> f32[2, 8] { return grad(lstm_loss, x, wrt = Wh) }
fn dx(x: f32[N, T, 3]) -> f32[N, T, 3] { return grad(lstm_loss, x, wrt = x) }

# Backwards through the sequence, times a transposed weight.
fn reversed(x: f32[N, T, 3], V: f32[5, 3]) -> f32[N, 5] {
  let h = zeros([N, 5])
  for s in 0..dim(x, 1) {
    h = tanh(0.9 * h + gather(x, dim(x, 1) - 1 - s, axis = 1) @ transpose(V, [1, 0]))
  }
  return h
}
)";

Tensor random(std::vector<int64_t> shape, uint64_t &seed) {
  return test_support::randomTensor(DType::F32, std::move(shape), seed);
}

/// The number of matmuls inside loops of `fn` specialised to `args`'
/// shapes, before and after axon-hoist-loop-products; 1000 more for each
/// one reading a parameter transposed in the loop.
std::pair<int, int> productsInLoops(mlir::ModuleOp module, const std::string &fn,
                                    const std::vector<Tensor> &args) {
  auto count = [&](std::unique_ptr<mlir::Pass> pass) {
    return test_support::countAfterPass(module, fn, args, std::move(pass), [](mlir::func::FuncOp f) {
      int n = 0;
      f.walk([&](MatmulOp mm) {
        n += mm->getParentOfType<LoopOp>() != nullptr;
        // No product in a loop reads a weight transposed there.
        for (mlir::Value v : mm->getOperands())
          if (auto t = v.getDefiningOp<TransposeOp>())
            if (t->getParentOfType<LoopOp>() && llvm::isa_and_nonnull<ParamRefOp>(t.getInput().getDefiningOp()))
              n += 1000;
      });
      return n;
    });
  };
  return {count(mlir::createCSEPass()), count(createHoistLoopProducts())};
}

TEST(LoopProductHoisting, RowProductsMatchTheReference) {
  auto m = test_support::compileModel(kModel, true);
  ASSERT_TRUE(m->module) << m->errors;
  uint64_t seed = 23;
  std::vector<std::vector<Tensor>> lstm, reversed;
  for (int64_t n : {1, 7, 33})
    for (int64_t t : {1, 5}) {
      lstm.push_back({random({n, t, 3}, seed)});
      reversed.push_back({random({n, t, 3}, seed), random({5, 3}, seed)});
    }
  for (const char *fn : {"lstm_loss", "dWx", "dWh", "dx"})
    test_support::checkAgainstReference(*m->module, fn, lstm, m->errors);
  test_support::checkAgainstReference(*m->module, "reversed", reversed, m->errors);

  // At 5 steps (one step is unrolled, no loop): the input projection leaves
  // the forward loop, h @ Wh stays; in dWx's gradient only x_t @ Wx leaves
  // (the reverse loop's products of the step's gate gradient are not rows
  // of a tensor from before the loop).
  EXPECT_EQ(productsInLoops(*m->module, "lstm_loss", lstm.back()),
            std::make_pair(2, 1));
  // dWh's reverse loop: dz_t @ Wh^T reads Wh transposed before the loop.
  auto [before, after] = productsInLoops(*m->module, "dWx", lstm.back());
  EXPECT_GE(before, 1000) << "Wh^T is made in the reverse loop";
  EXPECT_EQ(before - after, 1 + 1000) << before << " before, " << after << " after";
  EXPECT_EQ(productsInLoops(*m->module, "reversed", reversed.back()),
            std::make_pair(1, 0));
}

} // namespace
} // namespace axon
