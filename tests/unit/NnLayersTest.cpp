// The standard library's layers (lib/nn.axon): gradients of models built
// from them against central finite differences, and `import "nn"` working
// without the source tree. Their values and gradients against PyTorch are
// in tests/oracle (nn_cases).
//
// Finite differences need f64, and the library is written in f32: the
// checks import the library's own text with every f32 made f64 (the same
// equations), from a file next to the model, under the name nn.
#include "frontend/Imports.h"
#include "tests/unit/CompileModel.h"
#include "tests/unit/GradientCheck.h"
#include "tests/unit/TempDirTest.h"

#include "llvm/ADT/StringExtras.h"

#include <gtest/gtest.h>

#include <random>

using namespace axon;
using namespace axon::test_support;

namespace {

/// f64 values uniform in [-1, 1].
Tensor randomTensor(std::vector<int64_t> shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Tensor t(DType::F64, std::move(shape));
  for (double &v : t.data)
    v = u(rng);
  return t;
}

class NnGradientCheck : public axon::test::TempDirTest {
protected:
  /// Compiles `body` after `import "nn64.axon" as nn` and checks its train
  /// block's gradient (`loss_grad`) against finite differences.
  void check(const std::string &body, std::vector<Tensor> inputs) {
    auto compiled = compile(body);
    ASSERT_TRUE(compiled->module) << compiled->errors;
    reference::Evaluator ev(*compiled->module);
    expectGradientsMatch(*compiled->module, ev, std::move(inputs), "loss",
                         "loss_grad", /*maxSamples=*/40);
  }

  /// `body` after `import "nn64.axon" as nn`, through the gradient pipeline.
  std::unique_ptr<CompiledModel> compile(const std::string &body) {
    std::optional<llvm::StringRef> nn = standardModuleText("nn");
    EXPECT_TRUE(nn);
    std::string nn64 = nn ? nn->str() : "";
    for (size_t at = nn64.find("f32"); at != std::string::npos;
         at = nn64.find("f32", at))
      nn64.replace(at, 3, "f64");
    write("nn64.axon", nn64);
    return compileModel("import \"nn64.axon\" as nn\n" + body,
                        /*gradientPipeline=*/true, path("model.axon"));
  }
};

TEST_F(NnGradientCheck, LinearThenLayerNorm) {
  check(R"(
param W: f64[5, 7] = glorot_uniform
param b: f64[7] = normal(std = 0.5)
param g: f64[7] = normal(mean = 1, std = 0.5)
param beta: f64[7] = normal(std = 0.5)
fn loss(x: f64[N, 5], t: f64[N, 7]) -> f64 {
  return mse(tanh(nn.layer_norm(nn.linear(x, W, b), g, beta)), t)
}
train loss { optimizer = sgd(lr = 0.1) }
)",
        {randomTensor({3, 5}, 1), randomTensor({3, 7}, 2)});
}

// An LSTM over the input's T steps (a loop, differentiated as one), at
// T = 1, 2 and 7.
TEST_F(NnGradientCheck, LstmCellOverTheInputsSteps) {
  std::string body = R"(
param W: f64[4, 3, 5] = glorot_uniform
param U: f64[4, 5, 5] = glorot_uniform
param b: f64[4, 5] = normal(std = 0.5)
fn loss(x: f64[T, N, 3], t: f64[N, 5]) -> f64 {
  let h = zeros([N, 5], dtype = f64)
  let c = zeros([N, 5], dtype = f64)
  for k in 0..T {
    (h, c) = nn.lstm_cell(gather(x, k), h, c, W, U, b)
  }
  return mse(h + c, t)
}
train loss { optimizer = sgd(lr = 0.1) }
)";
  for (int64_t steps : {1, 2, 7}) {
    SCOPED_TRACE("steps " + std::to_string(steps));
    check(body, {randomTensor({steps, 2, 3}, 3), randomTensor({2, 5}, 4)});
  }
}

// lstm_cell returning (h, c), destructured in the loop, against the cell
// as it was when it returned one stacked state [h; c] (written out here):
// the same loss and gradients at T = 1, 2 and 7; and lstm_cell_stacked,
// the stacked form on top of the tuple one, the same again.
TEST_F(NnGradientCheck, LstmCellTupleMatchesTheStackedState) {
  auto compiled = compile(R"(
param W: f64[4, 3, 5] = glorot_uniform
param U: f64[4, 5, 5] = glorot_uniform
param b: f64[4, 5] = normal(std = 0.5)
fn stacked_cell(x: f64[N, I], s: f64[2, N, H], W: f64[4, I, H], U: f64[4, H, H], b: f64[4, H]) -> f64[2, N, H] {
  let pre = x @ W + nn.lstm_h(s) @ U + reshape(b, [4, 1, H])
  let i = sigmoid(nn.gate(pre, [0]))
  let f = sigmoid(nn.gate(pre, [1]))
  let g = tanh(nn.gate(pre, [2]))
  let o = sigmoid(nn.gate(pre, [3]))
  let c = f * nn.lstm_c(s) + i * g
  return nn.lstm_state(o * tanh(c), c)
}
fn loss_old(x: f64[T, N, 3], t: f64[N, 5]) -> f64 {
  let s = zeros([2, N, 5], dtype = f64)
  for k in 0..T { s = stacked_cell(gather(x, k), s, W, U, b) }
  return mse(nn.lstm_h(s) * nn.lstm_c(s), t)
}
fn loss_stacked(x: f64[T, N, 3], t: f64[N, 5]) -> f64 {
  let s = zeros([2, N, 5], dtype = f64)
  for k in 0..T { s = nn.lstm_cell_stacked(gather(x, k), s, W, U, b) }
  return mse(nn.lstm_h(s) * nn.lstm_c(s), t)
}
fn loss(x: f64[T, N, 3], t: f64[N, 5]) -> f64 {
  let h = zeros([N, 5], dtype = f64)
  let c = zeros([N, 5], dtype = f64)
  for k in 0..T { (h, c) = nn.lstm_cell(gather(x, k), h, c, W, U, b) }
  return mse(h * c, t)
}
fn grads_old(x: f64[T, N, 3], t: f64[N, 5]) -> (f64[4, 3, 5], f64[4, 5, 5], f64[4, 5], f64[T, N, 3]) {
  return grad(loss_old, x, t, wrt = W), grad(loss_old, x, t, wrt = U), grad(loss_old, x, t, wrt = b), grad(loss_old, x, t, wrt = x)
}
fn grads_stacked(x: f64[T, N, 3], t: f64[N, 5]) -> (f64[4, 3, 5], f64[4, 5, 5], f64[4, 5], f64[T, N, 3]) {
  return grad(loss_stacked, x, t, wrt = W), grad(loss_stacked, x, t, wrt = U), grad(loss_stacked, x, t, wrt = b), grad(loss_stacked, x, t, wrt = x)
}
fn grads(x: f64[T, N, 3], t: f64[N, 5]) -> (f64[4, 3, 5], f64[4, 5, 5], f64[4, 5], f64[T, N, 3]) {
  return grad(loss, x, t, wrt = W), grad(loss, x, t, wrt = U), grad(loss, x, t, wrt = b), grad(loss, x, t, wrt = x)
}
train loss { optimizer = sgd(lr = 0.1) }
)");
  ASSERT_TRUE(compiled->module) << compiled->errors;
  reference::Evaluator ev(*compiled->module);
  for (int64_t steps : {1, 2, 7}) {
    SCOPED_TRACE("steps " + std::to_string(steps));
    std::vector<Tensor> in = {randomTensor({steps, 3, 3}, 7), randomTensor({3, 5}, 8)};
    auto want = ev.call("loss_old", in);
    auto wantGrads = ev.call("grads_old", in);
    ASSERT_TRUE(bool(want)) << llvm::toString(want.takeError());
    ASSERT_TRUE(bool(wantGrads)) << llvm::toString(wantGrads.takeError());
    for (const char *form : {"", "_stacked"}) {
      auto got = ev.call(std::string("loss") + form, in);
      auto gotGrads = ev.call(std::string("grads") + form, in);
      ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError());
      ASSERT_TRUE(bool(gotGrads)) << llvm::toString(gotGrads.takeError());
      EXPECT_NEAR((*got)[0].data[0], (*want)[0].data[0],
                  1e-12 * std::fabs((*want)[0].data[0]))
          << form;
      ASSERT_EQ(gotGrads->size(), 4u);
      for (size_t r = 0; r < 4; ++r) {
        ASSERT_EQ((*gotGrads)[r].shape, (*wantGrads)[r].shape);
        for (size_t i = 0; i < (*gotGrads)[r].data.size(); ++i)
          EXPECT_NEAR((*gotGrads)[r].data[i], (*wantGrads)[r].data[i],
                      1e-12 * std::max(1.0, std::fabs((*wantGrads)[r].data[i])))
              << form << " gradient " << r << " element " << i;
      }
    }
  }
}

TEST_F(NnGradientCheck, GruCellOverTheInputsSteps) {
  std::string body = R"(
param W: f64[3, 3, 4] = glorot_uniform
param U: f64[3, 4, 4] = glorot_uniform
param bW: f64[3, 4] = normal(std = 0.5)
param bU: f64[3, 4] = normal(std = 0.5)
fn loss(x: f64[T, N, 3], t: f64[N, 4]) -> f64 {
  let h = zeros([N, 4], dtype = f64)
  for k in 0..T {
    h = nn.gru_cell(gather(x, k), h, W, U, bW, bU)
  }
  return mse(h, t)
}
train loss { optimizer = sgd(lr = 0.1) }
)";
  for (int64_t steps : {1, 2, 7}) {
    SCOPED_TRACE("steps " + std::to_string(steps));
    check(body, {randomTensor({steps, 3, 3}, 5), randomTensor({3, 4}, 6)});
  }
}

// A transformer block: embedding, sinusoidal positions, causal multi-head
// self-attention with add & norm, a feed-forward layer, next-token NLL.
TEST_F(NnGradientCheck, TransformerBlock) {
  check(R"(
param E: f64[7, 6] = normal(std = 0.5)
param Wq: f64[2, 6, 3] = glorot_uniform
param bq: f64[2, 3] = normal(std = 0.1)
param Wk: f64[2, 6, 3] = glorot_uniform
param bk: f64[2, 3] = normal(std = 0.1)
param Wv: f64[2, 6, 3] = glorot_uniform
param bv: f64[2, 3] = normal(std = 0.1)
param Wo: f64[2, 3, 6] = glorot_uniform
param bo: f64[6] = normal(std = 0.1)
param g: f64[6] = normal(mean = 1, std = 0.2)
param beta: f64[6] = normal(std = 0.2)
param Wf: f64[6, 7] = glorot_uniform
param bf: f64[7] = normal(std = 0.1)
fn loss(ids: i32[N, T], next: i32[N, T]) -> f64 {
  let e = nn.embedding_seq(ids, E)
  let x = e + nn.positional_encoding(e)
  let a = nn.causal_self_attention(x, Wq, bq, Wk, bk, Wv, bv, Wo, bo)
  let h = nn.layer_norm_seq(x + a, g, beta)
  let logits = nn.linear_seq(h, Wf, bf)
  return -mean(sum(log_softmax(logits, axis = 2) * f64(one_hot(next, 7)), axis = 2))
}
train loss { optimizer = sgd(lr = 0.1) }
)",
        {Tensor(DType::I32, {2, 4}, {0, 3, 6, 3, 1, 1, 5, 2}),
         Tensor(DType::I32, {2, 4}, {3, 6, 3, 0, 1, 5, 2, 4})});
}

// Cross-attention (queries and keys of different lengths) and attention
// over a one-position sequence.
TEST_F(NnGradientCheck, MultiHeadCrossAttention) {
  std::string body = R"(
param Wq: f64[3, 4, 2] = glorot_uniform
param bq: f64[3, 2] = normal(std = 0.1)
param Wk: f64[3, 4, 2] = glorot_uniform
param bk: f64[3, 2] = normal(std = 0.1)
param Wv: f64[3, 4, 2] = glorot_uniform
param bv: f64[3, 2] = normal(std = 0.1)
param Wo: f64[3, 2, 4] = glorot_uniform
param bo: f64[4] = normal(std = 0.1)
fn loss(q: f64[N, T, 4], m: f64[N, S, 4], t: f64[N, T, 4]) -> f64 {
  return mse(nn.multi_head_attention(q, m, Wq, bq, Wk, bk, Wv, bv, Wo, bo), t)
}
train loss { optimizer = sgd(lr = 0.1) }
)";
  check(body, {randomTensor({2, 3, 4}, 7), randomTensor({2, 5, 4}, 8),
               randomTensor({2, 3, 4}, 9)});
  check(body, {randomTensor({1, 1, 4}, 10), randomTensor({1, 1, 4}, 11),
               randomTensor({1, 1, 4}, 12)});
}

// The library is inside the compiler: a model anywhere (here in a
// directory that does not exist) imports it.
TEST(NnImport, WorksWithoutTheSourceTree) {
  auto compiled = compileModel(R"(import "nn"
fn f(x: f32[N, 3], W: f32[3, 2], b: f32[2]) -> f32[N, 2] {
  return nn.linear(x, W, b)
}
)",
                               /*gradientPipeline=*/false,
                               "/nonexistent/axon/model.axon");
  ASSERT_TRUE(compiled->module) << compiled->errors;
  // The library's functions are private (only the model's are entry
  // points), and those the model does not call are not kept.
  auto linear = compiled->module->lookupSymbol<mlir::func::FuncOp>("nn.linear");
  ASSERT_TRUE(linear);
  EXPECT_TRUE(linear.isPrivate());
  EXPECT_TRUE(compiled->module->lookupSymbol<mlir::func::FuncOp>("f").isPublic());
  EXPECT_FALSE(compiled->module->lookupSymbol("nn.gru_cell"));
}

} // namespace
