// The plan as JSON (runtime/io/PlanJson.h), what `axonc build` embeds in a
// binary: every field round-trips, and a malformed file is an error naming
// the field.
#include "runtime/io/PlanJson.h"

#include "llvm/Support/JSON.h"

#include <gtest/gtest.h>

using namespace axon;

namespace {

Plan smallPlan() {
  Plan plan;
  plan.target = "x86-64-linux-avx2";
  plan.params.push_back(
      {"W", DType::F32, {3, 2}, "uniform", -0.5, 0.5, ~uint64_t(0) - 6, false});
  plan.params.push_back({"W.m", DType::F32, {3, 2}, "zeros", 0, 0, 0, true});
  plan.kernels.push_back({"k0", 2, 1, "model.axon:3:7"});
  plan.constants.push_back(Tensor(DType::I32, {2}, {4, -1}));
  FunctionPlan f;
  f.name = "forward";
  f.argNames = {"x"};
  f.inputs = {0};
  f.outputs = {2};
  PlanBuffer input, param, out;
  input.kind = PlanBuffer::Kind::Input;
  input.shape = {4, 3};
  param.kind = PlanBuffer::Kind::Param;
  param.shape = {3, 2};
  out.dtype = DType::F64;
  out.shape = {4, 2};
  out.offset = 64;
  f.buffers = {input, param, out};
  PlanStep kernel;
  kernel.buffers = {0, 1, 2};
  PlanStep loop;
  loop.kind = PlanStep::Kind::Loop;
  loop.lower = 1;
  loop.upper = 5;
  loop.body = {kernel};
  f.steps = {kernel, loop};
  f.arenaBytes = 128;
  f.bufferBytes = 192;
  plan.functions.push_back(f);
  return plan;
}

TEST(PlanJson, EveryFieldRoundTrips) {
  Plan plan = smallPlan();
  BinaryConfig config;
  config.model = "model.axon";
  config.batch = 4;
  config.train.stepFn = "loss_train_step";
  config.train.lossFn = "loss";
  std::string text = writePlanJson(plan, config);
  Plan back;
  BinaryConfig backConfig;
  ASSERT_FALSE(bool(readPlanJson(text, back, backConfig)));
  EXPECT_EQ(writePlanJson(back, backConfig), text);
  EXPECT_EQ(back.target, plan.target);
  ASSERT_EQ(back.params.size(), 2u);
  EXPECT_EQ(back.params[0].seed, plan.params[0].seed); // above 2^63
  EXPECT_EQ(back.params[0].a, -0.5);
  EXPECT_TRUE(back.params[1].optimizerState);
  EXPECT_EQ(back.kernels[0].location, "model.axon:3:7");
  EXPECT_EQ(back.constants[0].data, (std::vector<double>{4, -1}));
  const FunctionPlan &f = back.functions.at(0);
  EXPECT_EQ(f.buffers[2].dtype, DType::F64);
  EXPECT_EQ(f.buffers[2].offset, 64);
  EXPECT_EQ(f.buffers[1].kind, PlanBuffer::Kind::Param);
  ASSERT_EQ(f.steps.size(), 2u);
  EXPECT_EQ(f.steps[1].kind, PlanStep::Kind::Loop);
  EXPECT_EQ(f.steps[1].upper, 5);
  ASSERT_EQ(f.steps[1].body.size(), 1u);
  EXPECT_EQ(f.steps[1].body[0].buffers, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(backConfig.batch, 4);
  EXPECT_EQ(backConfig.train.lossFn, "loss");
}

/// readPlanJson's error for the plan with `edit` applied to its JSON.
std::string errorAfter(const std::function<void(llvm::json::Object &)> &edit) {
  auto v = llvm::json::parse(writePlanJson(smallPlan(), BinaryConfig()));
  EXPECT_TRUE(bool(v));
  edit(*v->getAsObject());
  std::string text;
  llvm::raw_string_ostream(text) << *v;
  Plan plan;
  BinaryConfig config;
  llvm::Error e = readPlanJson(text, plan, config);
  return e ? llvm::toString(std::move(e)) : "";
}

TEST(PlanJson, MalformedFieldsAreNamed) {
  std::string e = errorAfter([](llvm::json::Object &o) { o.erase("kernels"); });
  EXPECT_NE(e.find("embedded plan"), std::string::npos) << e;
  EXPECT_NE(e.find("kernels"), std::string::npos) << e;

  e = errorAfter([](llvm::json::Object &o) { o["format"] = "axon-plan-0"; });
  EXPECT_NE(e.find("axon-plan-1"), std::string::npos) << e;

  e = errorAfter([](llvm::json::Object &o) {
    (*(*o.getArray("params"))[0].getAsObject())["dtype"] = "f16";
  });
  EXPECT_NE(e.find("dtype"), std::string::npos) << e;

  e = errorAfter([](llvm::json::Object &o) {
    auto &f = *(*o.getArray("functions"))[0].getAsObject();
    (*(*f.getArray("steps"))[0].getAsObject())["kind"] = 7;
  });
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;

  e = errorAfter([](llvm::json::Object &o) {
    auto &c = *(*o.getArray("constants"))[0].getAsObject();
    c["data"] = llvm::json::Array{1};
  });
  EXPECT_NE(e.find("data"), std::string::npos) << e;

  EXPECT_EQ(errorAfter([](llvm::json::Object &) {}), "");
}

} // namespace
