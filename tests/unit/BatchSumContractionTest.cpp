// axon-contract-batch-sums on the compiled path: sums over a matmul's batch
// axes (weight gradients of a weight shared by a batch) folded into one
// contraction give the reference evaluator's values at awkward sizes, and
// the rewrite does happen there (no sum is left).
#include "CompileModel.h"
#include "CompiledVsReference.h"
#include "passes/Passes.h"

namespace axon {
namespace {

const char *kModel = R"(
import "nn"
# x[n]^T g[n] summed over the batch: the gradient of a weight of x @ W.
fn weight_grad(x: f32[N, T, D], g: f32[N, T, F]) -> f32[D, F] {
  return sum(transpose(x, [0, 2, 1]) @ g, axis = 0)
}
# Per head, summed over the batch (nn.merge_heads's Wo), keepdims.
fn head_weight_grad(o: f32[N, H, T, E], g: f32[N, H, T, D]) -> f32[1, H, E, D] {
  return sum(transpose(o, [0, 1, 3, 2]) @ g, axis = 0, keepdims = 1)
}
fn loss(x: f32[N, T, D], W: f32[D, F], b: f32[F], t: f32[N, T, F]) -> f32 {
  return mse(relu(nn.linear_seq(x, W, b)), t)
}
# Autodiff's own form of the first: the gradient of linear_seq's weight.
fn linear_seq_grad(x: f32[N, T, D], W: f32[D, F], b: f32[F], t: f32[N, T, F]) -> f32[D, F] {
  return grad(loss, x, W, b, t, wrt = W)
}
)";

Tensor random(std::vector<int64_t> shape, uint64_t &seed) {
  return test_support::randomTensor(DType::F32, std::move(shape), seed);
}

/// The number of axon.sum ops in `fn` specialised to `args`' shapes and
/// rewritten by axon-contract-batch-sums.
int sumsLeft(mlir::ModuleOp module, const std::string &fn,
             const std::vector<Tensor> &args) {
  return test_support::countAfterPass(module, fn, args, createContractBatchSums(),
                                      [](mlir::func::FuncOp f) {
                                        int sums = 0;
                                        f.walk([&](SumOp) { ++sums; });
                                        return sums;
                                      });
}

TEST(BatchSumContraction, WeightGradientsMatchTheReference) {
  auto m = test_support::compileModel(kModel, true);
  ASSERT_TRUE(m->module) << m->errors;
  uint64_t seed = 5;
  std::vector<std::vector<Tensor>> weight, heads, linear;
  for (int64_t n : {1, 7, 33})
    for (int64_t t : {1, 5}) {
      weight.push_back({random({n, t, 3}, seed), random({n, t, 33}, seed)});
      heads.push_back({random({n, 2, t, 7}, seed), random({n, 2, t, 5}, seed)});
      linear.push_back({random({n, t, 7}, seed), random({7, 17}, seed),
                        random({17}, seed), random({n, t, 17}, seed)});
    }
  test_support::checkAgainstReference(*m->module, "weight_grad", weight, m->errors);
  test_support::checkAgainstReference(*m->module, "head_weight_grad", heads, m->errors);
  test_support::checkAgainstReference(*m->module, "linear_seq_grad", linear, m->errors);
  EXPECT_EQ(sumsLeft(*m->module, "weight_grad", weight.back()), 0);
  EXPECT_EQ(sumsLeft(*m->module, "head_weight_grad", heads.back()), 0);
  // Only W's gradient is asked for: its batch sum was the one sum.
  EXPECT_EQ(sumsLeft(*m->module, "linear_seq_grad", linear.back()), 0);
}

} // namespace
} // namespace axon
