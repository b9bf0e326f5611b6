// categorical(logits, temperature =): draws follow softmax(logits / T) on
// both backends (a fixed seed, so the counts are the same on every run and
// the tolerance is a bound, not a gamble), temperature 0 is argmax, and an
// autoregressive `generate` loop over a bigram table reproduces the greedy
// chain exactly and is deterministic per seed, compiled as on the
// reference evaluator.
#include "backends/halide/CompilePipeline.h"
#include "backends/reference/Evaluator.h"
#include "tests/unit/CompileModel.h"
#include "tests/unit/CompiledVsReference.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace axon;
using test_support::compileModel;
using test_support::randomTensor;

namespace {

const char *kDraw = R"(
fn draw(z: f32[N, C], temperature: f32) -> i32[N] {
  return categorical(z, temperature = temperature, seed = 11)
}
fn draw_at(z: f32[N, C], counter: i64) -> i32[N] {
  return categorical(z, temperature = 1.0, counter = counter)
}
fn greedy(z: f32[N, C]) -> i32[N] {
  return categorical(z, temperature = 0)
}
)";

Tensor scalar(DType dtype, double v) { return Tensor(dtype, {}, v); }

/// `rows` copies of `logits` as [rows, C].
Tensor repeated(const std::vector<double> &logits, int64_t rows) {
  Tensor z(DType::F32, {rows, int64_t(logits.size())});
  for (int64_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < logits.size(); ++c)
      z.data[r * logits.size() + c] = roundTo(DType::F32, logits[c]);
  return z;
}

/// Both backends' results of `fn` at `args`.
struct Backends {
  std::unique_ptr<test_support::CompiledModel> m;
  std::unique_ptr<reference::Evaluator> reference;
  std::unique_ptr<JitProgram> program;

  Backends(const std::string &text, const std::string &fn,
           const std::vector<std::vector<int64_t>> &shapes)
      : Backends(text, {{fn, shapes}}) {}
  Backends(const std::string &text,
           const std::vector<FunctionRequest> &requests) {
    m = compileModel(text, true);
    EXPECT_TRUE(m->module) << m->errors;
    if (!m->module)
      return;
    reference = std::make_unique<reference::Evaluator>(*m->module);
    auto p = JitProgram::compile(*m->module, requests, {});
    EXPECT_TRUE(bool(p)) << llvm::toString(p.takeError());
    if (p)
      program = std::move(*p);
  }
  std::vector<Tensor> call(bool compiled, const std::string &fn,
                           const std::vector<Tensor> &args) {
    auto out = compiled ? program->executor().call(fn, args)
                        : reference->call(fn, args);
    EXPECT_TRUE(bool(out)) << llvm::toString(out.takeError());
    return out ? *out : std::vector<Tensor>{};
  }
};

/// Checks the class frequencies of `draws` against softmax(logits / T):
/// each within 5 standard deviations of a binomial count (plus one count).
void expectSoftmaxFrequencies(const Tensor &draws,
                              const std::vector<double> &logits, double t,
                              const std::string &what) {
  int64_t n = draws.numElements();
  std::vector<double> p(logits.size());
  double top = *std::max_element(logits.begin(), logits.end()), total = 0;
  for (size_t c = 0; c < logits.size(); ++c)
    total += p[c] = std::exp((logits[c] - top) / t);
  std::vector<int64_t> count(logits.size(), 0);
  for (double d : draws.data) {
    ASSERT_GE(d, 0) << what;
    ASSERT_LT(d, double(logits.size())) << what;
    ++count[size_t(d)];
  }
  for (size_t c = 0; c < logits.size(); ++c) {
    double want = n * p[c] / total;
    double sd = std::sqrt(n * (p[c] / total) * (1 - p[c] / total));
    EXPECT_NEAR(double(count[c]), want, 5 * sd + 1)
        << what << ": class " << c << " (p = " << p[c] / total << ")";
  }
}

TEST(Categorical, FrequenciesFollowSoftmaxOverTemperature) {
  const std::vector<double> logits = {1.5, -0.5, 0.0, 2.0, -3.0, 0.7, 1.0};
  const int64_t n = 20000;
  Backends b(kDraw, "draw", {{n, 7}, {}});
  ASSERT_TRUE(b.program);
  Tensor z = repeated(logits, n);
  for (bool compiled : {false, true})
    for (double t : {1.0, 0.5, 2.5}) {
      auto out = b.call(compiled, "draw", {z, scalar(DType::F32, t)});
      ASSERT_EQ(out.size(), 1u);
      ASSERT_EQ(out[0].shape, std::vector<int64_t>{n});
      expectSoftmaxFrequencies(out[0], logits, t,
                               std::string(compiled ? "compiled" : "reference") +
                                   " T = " + std::to_string(t));
    }
  // The same generator on both backends: the same draws, but for a tie of
  // noisy scores within rounding (none expected at this seed).
  auto ref = b.call(false, "draw", {z, scalar(DType::F32, 1.0)});
  auto jit = b.call(true, "draw", {z, scalar(DType::F32, 1.0)});
  int64_t differ = 0;
  for (int64_t i = 0; i < n; ++i)
    differ += ref[0].data[i] != jit[0].data[i];
  EXPECT_LE(differ, 2) << "of " << n;
}

TEST(Categorical, TemperatureZeroIsArgmax) {
  for (int64_t c : {1, 7, 33}) {
    std::vector<FunctionRequest> requests;
    for (int64_t n : {1, 7, 33}) {
      requests.push_back({"draw", {{n, c}, {}}});
      requests.push_back({"greedy", {{n, c}}});
    }
    Backends b(kDraw, requests);
    ASSERT_TRUE(b.program);
    for (int64_t n : {1, 7, 33}) {
      uint64_t seed = uint64_t(c * 100 + n);
      Tensor z = randomTensor(DType::F32, {n, c}, seed, -3, 3);
      std::vector<double> want(n);
      for (int64_t r = 0; r < n; ++r)
        want[r] = double(std::max_element(z.data.begin() + r * c,
                                          z.data.begin() + (r + 1) * c) -
                         (z.data.begin() + r * c));
      for (const char *fn : {"draw", "greedy"}) {
        std::vector<Tensor> args = {z};
        if (fn == std::string("draw"))
          args.push_back(scalar(DType::F32, 0.0));
        for (bool compiled : {false, true}) {
          auto out = b.call(compiled, fn, args);
          ASSERT_EQ(out.size(), 1u);
          EXPECT_EQ(out[0].data, want) << fn << (compiled ? " compiled" : "")
                                       << " at [" << n << ", " << c << "]";
        }
      }
    }
  }
}

TEST(Categorical, TheCounterGivesFreshDrawsAndTheSameCounterTheSame) {
  const int64_t n = 64;
  Tensor z = repeated({0.0, 0.0, 0.0, 0.0}, n); // uniform over 4 classes
  Backends b(kDraw, "draw_at", {{n, 4}, {}});
  ASSERT_TRUE(b.program);
  for (bool compiled : {false, true}) {
    auto a = b.call(compiled, "draw_at", {z, scalar(DType::I64, 1)});
    auto again = b.call(compiled, "draw_at", {z, scalar(DType::I64, 1)});
    auto other = b.call(compiled, "draw_at", {z, scalar(DType::I64, 2)});
    EXPECT_EQ(a[0].data, again[0].data);
    EXPECT_NE(a[0].data, other[0].data);
  }
}

TEST(Categorical, BadOperandsAreErrorsAtTheCall) {
  struct Case {
    const char *body, *error;
  } cases[] = {
      {"categorical(z, temperature = -1.0)",
       "temperature must be a finite number >= 0"},
      {"categorical(sum(z))", "categorical takes logits [..., C]"},
      {"categorical(z, temperature = z)",
       "temperature must be a number or a float scalar"},
      {"categorical(z, counter = 1.5)", "indices must be an integer tensor"},
  };
  for (const Case &k : cases) {
    std::string text = "fn f(z: f32[3, 4]) -> i32[3] {\n  return " +
                       std::string(k.body) + "\n}\n";
    auto m = compileModel(text, false);
    EXPECT_FALSE(m->module) << k.body;
    EXPECT_NE(m->errors.find(k.error), std::string::npos)
        << k.body << ":\n" << m->errors;
    EXPECT_NE(m->errors.find("model.axon:2:"), std::string::npos) << m->errors;
  }
}

/// A bigram "model": E[a, b] is the logit of token b after token a. The
/// context window (the last 4 tokens, the prompt left-padded with id 0)
/// shifts by one each step; the output collects each step's token.
const char *kBigram = R"(
param E: f32[5, 5] = zeros

fn generate(prompt: i32[P], temperature: f32, seed: i64) -> i32[12] {
  let pos = arange(4) - (4 - dim(prompt, 0))
  let ctx = where(pos >= 0, gather(prompt, max(pos, 0), axis = 0), 0)
  let out = zeros([12], dtype = i32)
  for t in 0..12 {
    let logits = gather(E, slice(ctx, axis = 0, start = 3, end = 4), axis = 0)
    let next = categorical(logits, temperature = temperature,
                           counter = seed * 1000 + t)
    ctx = concat([slice(ctx, axis = 0, start = 1, end = 4), next], axis = 0)
    out = where(arange(12) == t, next, out)
  }
  return out
}
)";

/// Logits with one clear successor per token: 1 -> 3 -> 2 -> 4 -> 1, and
/// 0 (padding, unknown) -> 2; smaller logits elsewhere.
Tensor bigramTable() {
  Tensor e(DType::F32, {5, 5});
  const int successor[5] = {2, 3, 4, 2, 1};
  for (int a = 0; a < 5; ++a)
    for (int b = 0; b < 5; ++b)
      e.data[a * 5 + b] = b == successor[a] ? 2.0 : 0.25 * ((a + b) % 3);
  return e;
}

std::vector<double> greedyChain(int first) {
  const int successor[5] = {2, 3, 4, 2, 1};
  std::vector<double> chain;
  for (int t = 0, cur = first; t < 12; ++t)
    chain.push_back(cur = successor[cur]);
  return chain;
}

Tensor prompt(std::vector<double> ids) {
  int64_t n = int64_t(ids.size());
  return Tensor(DType::I32, {n}, std::move(ids));
}

TEST(Generate, GreedyBigramChainOnBothBackends) {
  for (auto ids : {std::vector<double>{1}, std::vector<double>{4, 2, 3},
                   std::vector<double>{1, 1, 2, 3, 4, 1, 2}}) {
    Tensor p = prompt(ids);
    Backends b(kBigram, "generate", {{int64_t(ids.size())}, {}, {}});
    ASSERT_TRUE(b.program);
    for (bool compiled : {false, true}) {
      if (compiled)
        ASSERT_FALSE(bool(b.program->executor().setParam("E", bigramTable())));
      else
        ASSERT_FALSE(bool(b.reference->setParam("E", bigramTable())));
      auto out = b.call(compiled, "generate",
                        {p, scalar(DType::F32, 0), scalar(DType::I64, 7)});
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(out[0].data, greedyChain(int(ids.back())))
          << (compiled ? "compiled" : "reference") << " from prompt of "
          << ids.size();
    }
  }
}

TEST(Generate, SampledSequenceIsFixedBySeedAndAgreesAcrossBackends) {
  Tensor p = prompt({1, 2});
  Backends b(kBigram, "generate", {{2}, {}, {}});
  ASSERT_TRUE(b.program);
  ASSERT_FALSE(bool(b.program->executor().setParam("E", bigramTable())));
  ASSERT_FALSE(bool(b.reference->setParam("E", bigramTable())));
  auto run = [&](bool compiled, int64_t seed) {
    auto out = b.call(compiled, "generate",
                      {p, scalar(DType::F32, 1.5), scalar(DType::I64, seed)});
    return out.empty() ? std::vector<double>{} : out[0].data;
  };
  for (int64_t seed : {1, 2, 3}) {
    std::vector<double> ref = run(false, seed);
    EXPECT_EQ(ref, run(false, seed)) << "seed " << seed;
    EXPECT_EQ(run(true, seed), ref) << "seed " << seed;
    EXPECT_NE(ref, greedyChain(2)) << "seed " << seed << " sampled greedily";
  }
  EXPECT_NE(run(true, 1), run(true, 2));
}

} // namespace
