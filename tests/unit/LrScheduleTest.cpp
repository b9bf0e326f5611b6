// Learning-rate schedules: the rate the compiled train step applies at
// chosen steps, against the formulas written out here (warm-up edges at
// steps 0, warmup - 1 and warmup; the decays' ends and beyond), and
// LrScheduleAttr::at, which documents the same formulas.
#include "backends/reference/Evaluator.h"
#include "ir/AxonDialect.h"
#include "tests/unit/CompileModel.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace axon;

namespace {

// loss(x) = sum(w * x) with x = 1: the gradient is 1, so one SGD step at
// rate r moves w by exactly -r.
std::string modelWith(const std::string &lr) {
  return "param w: f64[1] = zeros\n"
         "fn loss(x: f64[1]) -> f64 { return sum(w * x) }\n"
         "train loss { optimizer = sgd(lr = " + lr + ") }\n";
}

/// The rate the train step applies at each of `steps`.
std::vector<double> ratesAt(const std::string &lr,
                            const std::vector<int64_t> &steps) {
  auto m = test_support::compileModel(modelWith(lr), /*gradientPipeline=*/true);
  EXPECT_TRUE(m->module) << m->errors;
  if (!m->module)
    return {};
  reference::Evaluator ev(*m->module);
  std::vector<double> rates;
  for (int64_t s : steps) {
    double before = ev.getParam("w")->data[0];
    auto out = ev.call("loss_train_step",
                       {Tensor(DType::F64, {1}, 1.0),
                        Tensor(DType::I64, {}, static_cast<double>(s))});
    EXPECT_TRUE(bool(out)) << (out ? "" : llvm::toString(out.takeError()));
    rates.push_back(before - ev.getParam("w")->data[0]);
  }
  return rates;
}

/// The schedule of the train block `lr = <lr>` as the attribute holds it.
LrScheduleAttr scheduleOf(const std::string &lr) {
  static std::vector<std::unique_ptr<test_support::CompiledModel>> keep;
  keep.push_back(test_support::compileModel(modelWith(lr), false));
  auto train = *keep.back()->module->getOps<TrainOp>().begin();
  return train.getConfig().getOptimizer().getLr();
}

void expectRates(const std::string &lr, const std::vector<int64_t> &steps,
                 const std::vector<double> &expected) {
  std::vector<double> got = ratesAt(lr, steps);
  ASSERT_EQ(got.size(), expected.size());
  LrScheduleAttr schedule = scheduleOf(lr);
  for (size_t i = 0; i < steps.size(); ++i) {
    // The step computes in f64 here: exact to rounding.
    EXPECT_NEAR(got[i], expected[i], 1e-15) << lr << " at step " << steps[i];
    EXPECT_NEAR(schedule.at(steps[i]), expected[i], 1e-15)
        << lr << " at step " << steps[i];
  }
}

constexpr double kPi = 3.14159265358979323846;

TEST(LrSchedule, PlainNumberIsConstant) {
  expectRates("0.25", {0, 1, 7, 1000000}, {0.25, 0.25, 0.25, 0.25});
}

TEST(LrSchedule, ConstantWithWarmupRampsOverTheFirstSteps) {
  // lr * (t + 1) / warmup for t < warmup: step 0 already moves.
  expectRates("constant(0.3, warmup = 4)", {0, 1, 2, 3, 4, 33},
              {0.3 / 4, 0.3 * 2 / 4, 0.3 * 3 / 4, 0.3, 0.3, 0.3});
}

TEST(LrSchedule, CosineWarmsUpThenDecaysToItsMinimum) {
  const double lr = 0.1, min = 0.001;
  const int64_t warmup = 10, steps = 110;
  auto cosine = [&](int64_t t) {
    double p = double(t - warmup) / double(steps - warmup);
    return min + (lr - min) * (1 + std::cos(kPi * p)) / 2;
  };
  expectRates("cosine(0.1, warmup = 10, steps = 110, min = 0.001)",
              {0, 9, 10, 11, 60, 109, 110, 111, 5000},
              {lr / 10, lr, lr, cosine(11), (lr + min) / 2, cosine(109), min,
               min, min});
}

TEST(LrSchedule, CosineWithoutWarmupStartsAtItsPeak) {
  expectRates("cosine(0.5, steps = 7)", {0, 1, 7, 8},
              {0.5, 0.5 * (1 + std::cos(kPi / 7)) / 2, 0, 0});
}

TEST(LrSchedule, LinearDecaysToItsMinimum) {
  expectRates("linear(0.2, steps = 7, min = 0.05)", {0, 3, 7, 33},
              {0.2, 0.05 + 0.15 * (1 - 3.0 / 7), 0.05, 0.05});
}

TEST(LrSchedule, StepDecayMultipliesByTheFactorEveryKSteps) {
  // Warm-up over 2 steps, then 0.1 * 0.5 ^ floor((t - 2) / 3).
  expectRates("step_decay(0.1, every = 3, factor = 0.5, warmup = 2)",
              {0, 1, 2, 4, 5, 7, 8, 11, 33},
              {0.05, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.0125,
               0.1 * std::pow(0.5, 10)});
}

} // namespace
