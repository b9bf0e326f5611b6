// Training sessions on JIT-compiled kernels (runtime/train/TrainSession.h):
// resuming from a mid-epoch checkpoint after a simulated crash gives the
// uninterrupted run's parameters and losses bit for bit; a few hundred steps
// of the MLP on Fashion-MNIST beat an honest accuracy bar; the metrics log
// and its plot are written; a checkpoint of another model is refused, and
// so is one of another train block of the same model (a GAN's two blocks).
#include "CompileModel.h"

#include "runtime/io/Npy.h"
#include "runtime/train/Plot.h"
#include "runtime/train/TrainSession.h"
#include "tools/axonc/TrainBlock.h"
#include "tools/axonc/TrainCommand.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <sys/wait.h>
#include <unistd.h>

using namespace axon;
using namespace axon::test_support;

namespace {

std::string readFile(const std::string &p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

/// A model that forwards to `inner`, for wrappers that change what its
/// train step (`stepFn`) does at one global step (`at`).
class WrappedModel : public Model {
public:
  WrappedModel(Model &inner, std::string stepFn, int64_t at)
      : inner(inner), stepFn(std::move(stepFn)), at(at) {}
  std::vector<std::string> paramNames() const override {
    return inner.paramNames();
  }
  llvm::Expected<Tensor> getParam(const std::string &n) const override {
    return inner.getParam(n);
  }
  llvm::Error setParam(const std::string &n, const Tensor &v) override {
    return inner.setParam(n, v);
  }

protected:
  /// Whether this call is the train step at global step `at`.
  bool isStepAt(const std::string &fn, const std::vector<Tensor> &args) const {
    return fn == stepFn && int64_t(args.back().data[0]) == at;
  }
  Model &inner;

private:
  std::string stepFn;
  int64_t at;
};

/// A model whose train step fails at one global step: a crash, as far as
/// the session can tell.
class CrashingModel : public WrappedModel {
public:
  using WrappedModel::WrappedModel;
  llvm::Expected<std::vector<Tensor>>
  call(const std::string &fn, const std::vector<Tensor> &args) override {
    if (isStepAt(fn, args))
      return llvm::createStringError("simulated crash");
    return inner.call(fn, args);
  }
};

/// examples/mlp compiled for a session over the first `limit` training and
/// `evalLimit` test images (with `optimizer` for its own and `hidden` for
/// its hidden layer's expression, if given), with its initial parameters
/// kept to start every run of a test from the same state.
class MlpSession : public ::testing::Test {
protected:
  void load(int64_t limit, int64_t evalLimit, int64_t trainMetricSamples,
            const std::string &optimizer = "", const std::string &hidden = "") {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-session", dir));
    std::string path = std::string(AXON_SOURCE_DIR) + "/examples/mlp/mlp.axon";
    std::string text = readFile(path);
    if (!optimizer.empty()) {
      size_t at = text.find("optimizer = ");
      ASSERT_NE(at, std::string::npos);
      size_t end = text.find('\n', at);
      text.replace(at, end - at, "optimizer = " + optimizer);
    }
    if (!hidden.empty()) {
      const std::string layer = "relu(x @ W1 + b1)";
      size_t at = text.find(layer);
      ASSERT_NE(at, std::string::npos);
      text.replace(at, layer.size(), hidden);
    }
    compiled = compileModel(text, /*gradientPipeline=*/true, path);
    ASSERT_TRUE(compiled->module) << compiled->errors;
    auto train = findTrainBlock(*compiled->module, "");
    ASSERT_TRUE(bool(train)) << llvm::toString(train.takeError());
    auto c = trainConfigOf(*compiled->module, *train, path);
    ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
    config = *c;
    auto d = loadTrainSources(config, limit, evalLimit);
    ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
    data = std::move(*d);
    auto r = makeRunner(*compiled->module, RunnerOptions(),
                        trainRequests(config, data, trainMetricSamples));
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    runner = std::move(*r);
    auto init = checkpointOf(*runner);
    ASSERT_TRUE(bool(init));
    initial = std::move(*init);
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(const char *name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  void restart() { ASSERT_FALSE(bool(restoreParams(*runner, initial, "initial"))); }

  llvm::SmallString<128> dir;
  std::unique_ptr<CompiledModel> compiled;
  TrainConfig config;
  TrainSources data;
  std::unique_ptr<Runner> runner;
  Checkpoint initial;
  std::string out, progress;

  /// 3 epochs of 8 steps, then the same run checkpointing every 5 steps
  /// and dying at global step 14, resumed from its step-10 checkpoint:
  /// the same parameters and last epoch's loss, bit for bit.
  void expectResumeAfterStep14IsBitIdentical();
};

TEST_F(MlpSession, ResumeAfterACrashIsBitIdentical) {
  // 1024 samples in batches of 128: 8 steps an epoch, 3 epochs.
  load(1024, 256, 256);
  SessionOptions base;
  base.epochs = 3;
  base.trainMetricSamples = 256;
  llvm::raw_string_ostream os(out), bar(progress);

  SessionOptions whole = base;
  whole.metricsPath = path("whole.jsonl");
  whole.checkpointPath = path("whole.safetensors");
  auto reference = runTrainSession(*runner, config, data, whole, os, bar);
  ASSERT_TRUE(bool(reference)) << llvm::toString(reference.takeError());
  auto expected = checkpointOf(*runner);
  ASSERT_TRUE(bool(expected));

  // The same run, checkpointing every 5 steps, dies at global step 13
  // (epoch 2, step 6): the last checkpoint is from step 10, mid-epoch.
  restart();
  SessionOptions interrupted = base;
  interrupted.metricsPath = path("run.jsonl");
  interrupted.checkpointPath = path("run.safetensors");
  interrupted.checkpointEvery = 5;
  CrashingModel crashing(*runner, config.stepFn, 13);
  auto crashed = runTrainSession(crashing, config, data, interrupted, os, bar);
  ASSERT_FALSE(bool(crashed));
  EXPECT_EQ(llvm::toString(crashed.takeError()), "simulated crash");
  auto saved = readCheckpoint(path("run.safetensors"));
  ASSERT_TRUE(bool(saved)) << llvm::toString(saved.takeError());
  EXPECT_EQ(saved->metadata["global_step"], "10");
  EXPECT_EQ(saved->metadata["epoch"], "1");
  EXPECT_EQ(saved->metadata["step"], "2");

  // Resume from a scrambled state: everything must come from the file.
  restart();
  ASSERT_FALSE(bool(runner->setParam("b2", Tensor(DType::F32, {10}, 9.0))));
  SessionOptions resumed = interrupted;
  resumed.resumePath = path("resume-from.safetensors");
  ASSERT_FALSE(llvm::sys::fs::copy_file(path("run.safetensors"), resumed.resumePath));
  auto finished = runTrainSession(*runner, config, data, resumed, os, bar);
  ASSERT_TRUE(bool(finished)) << llvm::toString(finished.takeError());
  auto got = checkpointOf(*runner);
  ASSERT_TRUE(bool(got));
  ASSERT_EQ(got->tensors.size(), expected->tensors.size());
  for (size_t i = 0; i < got->tensors.size(); ++i) {
    EXPECT_EQ(got->tensors[i].first, expected->tensors[i].first);
    EXPECT_EQ(got->tensors[i].second.data, expected->tensors[i].second.data)
        << got->tensors[i].first << " differs after resuming";
  }
  // The resumed run finished epochs 2 and 3, with the same numbers.
  ASSERT_EQ(finished->size(), 2u);
  for (int e = 0; e < 2; ++e) {
    EXPECT_EQ((*finished)[e].trainLoss, (*reference)[e + 1].trainLoss);
    EXPECT_EQ((*finished)[e].evalMetric, (*reference)[e + 1].evalMetric);
  }
  // Its metrics log holds every step once, the crashed ones dropped.
  auto log = llvm::MemoryBuffer::getFile(interrupted.metricsPath);
  ASSERT_TRUE(bool(log));
  llvm::SmallVector<llvm::StringRef> lines;
  (*log)->getBuffer().split(lines, '\n', -1, false);
  std::vector<int64_t> steps;
  int epochs = 0;
  for (llvm::StringRef line : lines) {
    auto v = llvm::json::parse(line);
    ASSERT_TRUE(bool(v));
    if (v->getAsObject()->getString("kind") == "step")
      steps.push_back(*v->getAsObject()->getInteger("global_step"));
    else
      ++epochs;
  }
  std::vector<int64_t> all(24);
  for (int i = 0; i < 24; ++i)
    all[i] = i;
  EXPECT_EQ(steps, all);
  EXPECT_EQ(epochs, 3);
}

// Issue 13: the learning rate follows the global step the checkpoint
// holds, so a resumed run with a schedule (here crossing the warm-up's end
// at step 5 and the decay's at step 20 of 24) is bit-identical too.
TEST_F(MlpSession, ResumeWithALearningRateScheduleIsBitIdentical) {
  load(1024, 256, 256,
       "adam(lr = cosine(0.003, warmup = 5, steps = 20, min = 0.0001))");
  expectResumeAfterStep14IsBitIdentical();
}

// Issue 13: dropout's masks come from the seed and the global step (not
// from how many steps this process ran), so a resumed run with dropout in
// the model is bit-identical too.
TEST_F(MlpSession, ResumeWithDropoutIsBitIdentical) {
  load(1024, 256, 256, "", "dropout(relu(x @ W1 + b1), 0.3)");
  expectResumeAfterStep14IsBitIdentical();
}

void MlpSession::expectResumeAfterStep14IsBitIdentical() {
  SessionOptions base;
  base.epochs = 3;
  base.trainMetricSamples = 256;
  llvm::raw_string_ostream os(out), bar(progress);

  SessionOptions whole = base;
  whole.metricsPath = path("whole.jsonl");
  whole.checkpointPath = path("whole.safetensors");
  auto reference = runTrainSession(*runner, config, data, whole, os, bar);
  ASSERT_TRUE(bool(reference)) << llvm::toString(reference.takeError());
  auto expected = checkpointOf(*runner);
  ASSERT_TRUE(bool(expected));

  // Dies at global step 14, after the checkpoint of step 10 (with the
  // schedule above: in its decay, which the resumed run takes to its end).
  restart();
  SessionOptions interrupted = base;
  interrupted.metricsPath = path("run.jsonl");
  interrupted.checkpointPath = path("run.safetensors");
  interrupted.checkpointEvery = 5;
  CrashingModel crashing(*runner, config.stepFn, 14);
  ASSERT_FALSE(bool(runTrainSession(crashing, config, data, interrupted, os,
                                    bar)));
  auto saved = readCheckpoint(path("run.safetensors"));
  ASSERT_TRUE(bool(saved)) << llvm::toString(saved.takeError());
  EXPECT_EQ(saved->metadata["global_step"], "10");

  restart();
  SessionOptions resumed = interrupted;
  resumed.resumePath = path("resume-from.safetensors");
  ASSERT_FALSE(llvm::sys::fs::copy_file(path("run.safetensors"), resumed.resumePath));
  auto finished = runTrainSession(*runner, config, data, resumed, os, bar);
  ASSERT_TRUE(bool(finished)) << llvm::toString(finished.takeError());
  auto got = checkpointOf(*runner);
  ASSERT_TRUE(bool(got));
  ASSERT_EQ(got->tensors.size(), expected->tensors.size());
  for (size_t i = 0; i < got->tensors.size(); ++i)
    EXPECT_EQ(got->tensors[i].second.data, expected->tensors[i].second.data)
        << got->tensors[i].first << " differs after resuming";
  ASSERT_EQ(finished->size(), 2u);
  EXPECT_EQ(finished->back().trainLoss, reference->back().trainLoss);
}

// Issue 11 item 7: a temporary left by a run killed mid-write (its process
// gone) is removed when the next session on that checkpoint starts, before
// any step; another live writer's temporary is kept.
TEST_F(MlpSession, StartRemovesTemporariesOfKilledRuns) {
  load(256, 128, 128);
  pid_t child = ::fork();
  if (child == 0)
    ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0); // Now a process that is gone.
  std::string ckpt = path("ck.safetensors");
  std::string stale = ckpt + ".tmp-" + std::to_string(child) + "-abc123";
  std::string live = ckpt + ".tmp-" + std::to_string(::getpid()) + "-def456";
  std::ofstream(stale) << "partial";
  std::ofstream(live) << "partial";
  SessionOptions o;
  o.epochs = 1;
  o.trainMetricSamples = 128;
  o.metricsPath = path("m.jsonl");
  o.checkpointPath = ckpt;
  llvm::raw_string_ostream os(out), bar(progress);
  CrashingModel crashing(*runner, config.stepFn, 0); // Dies at the first step.
  ASSERT_FALSE(bool(runTrainSession(crashing, config, data, o, os, bar)));
  EXPECT_FALSE(llvm::sys::fs::exists(stale));
  EXPECT_TRUE(llvm::sys::fs::exists(live));
  EXPECT_NE(out.find("removed " + stale), std::string::npos) << out;
}

TEST_F(MlpSession, ResumeRefusesAnotherRunsCheckpoint) {
  load(1024, 128, 128);
  SessionOptions o;
  o.epochs = 1;
  o.trainMetricSamples = 128;
  o.metricsPath = path("a.jsonl");
  o.checkpointPath = path("a.safetensors");
  llvm::raw_string_ostream os(out), bar(progress);
  ASSERT_TRUE(bool(runTrainSession(*runner, config, data, o, os, bar)));
  TrainConfig other = config;
  other.seed = 7;
  o.resumePath = o.checkpointPath;
  o.epochs = 2;
  auto r = runTrainSession(*runner, other, data, o, os, bar);
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(llvm::toString(r.takeError()),
            o.resumePath + ": cannot resume, the checkpoint was made with "
                           "seed 42 (this run: 7)");
}

TEST_F(MlpSession, FewHundredStepsBeatAnAccuracyBar) {
  // 300 steps of batch 128 (38,400 images, Adam 1e-3), then the first 2,000
  // test images. A linear model gets about 0.80 at this point; the MLP ~0.84.
  load(38400, 2000, 1000);
  SessionOptions o;
  o.epochs = 1;
  o.trainMetricSamples = 1000;
  o.metricsPath = path("short.metrics.jsonl");
  o.checkpointPath = "none";
  llvm::raw_string_ostream os(out), bar(progress);
  auto r = runTrainSession(*runner, config, data, o, os, bar);
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  ASSERT_EQ(r->size(), 1u);
  ASSERT_TRUE(r->front().evalMetric.has_value());
  EXPECT_GE(*r->front().evalMetric, 0.82) << out;
  EXPECT_LT(r->front().trainLoss, 0.75);
  // The plot is next to the log, with the step curve and both panels.
  std::string svg = readFile(plotPathFor(o.metricsPath));
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("test accuracy_of"), std::string::npos);
  EXPECT_NE(svg.find("train loss (step)"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

// Issue 13: with dropout on its hidden layer the MLP still learns (a new
// mask each step, none in evaluation): 50 steps on 6,400 images reach far
// above chance (0.1) on 1,000 test images. (`axonc train` of examples/mlp
// with this layer for one epoch: test accuracy 0.838; 0.846 without.)
TEST_F(MlpSession, WithDropoutStillLearns) {
  load(6400, 1000, 1000, "", "dropout(relu(x @ W1 + b1), 0.2)");
  SessionOptions o;
  o.epochs = 1;
  o.trainMetricSamples = 1000;
  o.metricsPath = path("dropout.metrics.jsonl");
  o.checkpointPath = "none";
  llvm::raw_string_ostream os(out), bar(progress);
  auto r = runTrainSession(*runner, config, data, o, os, bar);
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  ASSERT_TRUE(r->front().evalMetric.has_value());
  EXPECT_GE(*r->front().evalMetric, 0.6) << out;
}

/// A GAN-like model: two train blocks over disjoint parameter groups, run
/// by the reference evaluator on a few samples.
class GanSession : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-gan", dir));
    Tensor x(DType::F32, {16, 2}), t(DType::F32, {16, 2});
    for (int64_t i = 0; i < 32; ++i) {
      x.data[i] = double(i % 7) / 8;
      t.data[i] = double(i % 5) / 4;
    }
    ASSERT_FALSE(bool(writeNpy(path("x.npy"), x)));
    ASSERT_FALSE(bool(writeNpy(path("t.npy"), t)));
    std::string source =
        "  data = npy(\"" + path("x.npy") + "\", \"" + path("t.npy") + "\")\n";
    std::string text = R"(param G1: f32[2, 2] = glorot_uniform
param G2: f32[2] = zeros
param D1: f32[2, 2] = glorot_uniform
param D2: f32[2] = zeros
fn d_loss(x: f32[N, 2], t: f32[N, 2]) -> f32 {
  return mse(x @ D1 + D2, t)
}
fn g_loss(x: f32[N, 2], t: f32[N, 2]) -> f32 {
  return mse((x @ G1 + G2) @ D1 + D2, t)
}
train d_loss {
)" + source + R"(  optimizer = adam(lr = 0.01)
  batch = 4
  params = [D1, D2]
}
train g_loss {
)" + source + R"(  optimizer = momentum(lr = 0.01)
  batch = 4
  params = [G1, G2]
}
)";
    compiled = compileModel(text, /*gradientPipeline=*/true, path("gan.axon"));
    ASSERT_TRUE(compiled->module) << compiled->errors;
    std::vector<FunctionRequest> requests;
    for (auto [loss, c] : {std::pair{"d_loss", &d}, {"g_loss", &g}}) {
      auto train = findTrainBlock(*compiled->module, loss);
      ASSERT_TRUE(bool(train)) << llvm::toString(train.takeError());
      auto config = trainConfigOf(*compiled->module, *train, path("gan.axon"));
      ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
      *c = *config;
    }
    auto loaded = loadTrainSources(d, 0, 0);
    ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
    data = std::move(*loaded);
    RunnerOptions reference;
    reference.backend = "reference";
    auto r = makeRunner(*compiled->module, reference, {});
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    runner = std::move(*r);
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(const char *name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  /// Trains `config` for `epochs`, checkpointing to `checkpoint`.
  llvm::Expected<std::vector<EpochResult>>
  run(const TrainConfig &config, int64_t epochs, const char *checkpoint,
      const std::string &resume = "") {
    SessionOptions o;
    o.epochs = epochs;
    o.metricsPath = path((std::string(checkpoint) + ".jsonl").c_str());
    o.checkpointPath = path(checkpoint);
    o.resumePath = resume;
    out.clear();
    llvm::raw_string_ostream os(out), bar(progress);
    return runTrainSession(*runner, config, data, o, os, bar);
  }
  /// Every parameter's values, optimizer state included.
  std::vector<std::vector<double>> values() {
    auto c = checkpointOf(*runner);
    EXPECT_TRUE(bool(c));
    std::vector<std::vector<double>> v;
    for (const auto &[name, t] : c->tensors)
      v.push_back(t.data);
    return v;
  }

  llvm::SmallString<128> dir;
  std::unique_ptr<CompiledModel> compiled;
  TrainConfig d, g;
  TrainSources data;
  std::unique_ptr<Runner> runner;
  std::string out, progress;
};

TEST_F(GanSession, CheckpointRecordsItsTrainBlock) {
  EXPECT_EQ(d.params, (std::vector<std::string>{"D1", "D2"}));
  EXPECT_EQ(d.optimizer, "adam");
  EXPECT_EQ(g.params, (std::vector<std::string>{"G1", "G2"}));
  EXPECT_EQ(g.optimizer, "momentum");
  // The record travels into built binaries with the rest of the block.
  auto back = trainConfigFromJson(toJson(g));
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->params, g.params);
  EXPECT_EQ(back->optimizer, g.optimizer);

  ASSERT_TRUE(bool(run(d, 1, "d.safetensors")));
  auto saved = readCheckpoint(path("d.safetensors"));
  ASSERT_TRUE(bool(saved)) << llvm::toString(saved.takeError());
  EXPECT_EQ(saved->metadata["model"], path("gan.axon"));
  EXPECT_EQ(saved->metadata["train_loss"], "d_loss");
  EXPECT_EQ(saved->metadata["train_params"], "D1,D2");
  EXPECT_EQ(saved->metadata["optimizer"], "adam");
}

TEST_F(GanSession, ResumeRefusesAnotherTrainBlocksCheckpoint) {
  ASSERT_TRUE(bool(run(d, 1, "d.safetensors")));
  std::string ckpt = path("d.safetensors");
  auto before = values();

  // The discriminator's checkpoint into the generator's block: refused,
  // every difference listed, nothing changed.
  auto r = run(g, 2, "g.safetensors", ckpt);
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(llvm::toString(r.takeError()),
            ckpt + ": cannot resume, the checkpoint was written by train "
                   "block 'd_loss' of gan.axon (params D1, D2; optimizer "
                   "adam); this run trains 'g_loss' of gan.axon (params G1, "
                   "G2; optimizer momentum). 3 differences:\n"
                   "  train block 'd_loss' (this run: 'g_loss')\n"
                   "  params D1, D2 (this run: G1, G2)\n"
                   "  optimizer adam (this run: momentum)");
  EXPECT_EQ(values(), before);
  EXPECT_FALSE(llvm::sys::fs::exists(path("g.safetensors")));

  // Another model file (the same parameters) and another batch: both named.
  TrainConfig other = d;
  other.model = path("other.axon");
  other.batch = 8;
  r = run(other, 2, "o.safetensors", ckpt);
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(llvm::toString(r.takeError()),
            ckpt + ": cannot resume, the checkpoint was written by train "
                   "block 'd_loss' of gan.axon (params D1, D2; optimizer "
                   "adam); this run trains 'd_loss' of other.axon (params D1, "
                   "D2; optimizer adam). 2 differences:\n"
                   "  model gan.axon (this run: other.axon)\n"
                   "  batch 4 (this run: 8)");
  EXPECT_EQ(values(), before);

  // Into its own block it resumes, from another directory too.
  std::string moved = path("moved.safetensors");
  ASSERT_FALSE(llvm::sys::fs::copy_file(ckpt, moved));
  TrainConfig elsewhere = d;
  elsewhere.model = "/elsewhere/gan.axon";
  auto resumed = run(elsewhere, 2, "d2.safetensors", moved);
  ASSERT_TRUE(bool(resumed)) << llvm::toString(resumed.takeError());
  EXPECT_EQ(resumed->size(), 1u);
  EXPECT_NE(out.find("resuming from " + moved + " at epoch 2"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("note:"), std::string::npos) << out;
}

TEST_F(GanSession, OlderCheckpointsResumeOnTheirParameters) {
  ASSERT_TRUE(bool(run(d, 1, "d.safetensors")));
  // A checkpoint from before the train block was recorded.
  auto saved = readCheckpoint(path("d.safetensors"));
  ASSERT_TRUE(bool(saved)) << llvm::toString(saved.takeError());
  for (const char *key : {"train_loss", "train_params", "optimizer"})
    saved->metadata.erase(key);
  std::string old = path("old.safetensors");
  ASSERT_FALSE(bool(writeCheckpoint(old, *saved)));

  auto resumed = run(d, 2, "d2.safetensors", old);
  ASSERT_TRUE(bool(resumed)) << llvm::toString(resumed.takeError());
  EXPECT_EQ(resumed->size(), 1u);
  EXPECT_NE(out.find("note: " + old + ": no record of the train block that "
                                      "wrote it (an older checkpoint); "
                                      "resuming on its parameters and run "
                                      "settings alone"),
            std::string::npos)
      << out;
  // Its parameters and run settings are still checked.
  TrainConfig other = d;
  other.seed = 3;
  auto r = run(other, 2, "d3.safetensors", old);
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(llvm::toString(r.takeError()),
            old + ": cannot resume, the checkpoint was made with seed 0 "
                  "(this run: 3)");
  saved->tensors.pop_back();
  ASSERT_FALSE(bool(writeCheckpoint(old, *saved)));
  r = run(d, 2, "d4.safetensors", old);
  ASSERT_FALSE(bool(r));
  EXPECT_NE(llvm::toString(r.takeError()).find(old + ": does not match the "
                                                     "model (1 mismatch)"),
            std::string::npos);
}

/// A model whose parameters all turn NaN after one global step (its loss
/// stays finite): a divergence the loss has not shown yet.
class PoisonedModel : public WrappedModel {
public:
  using WrappedModel::WrappedModel;
  llvm::Expected<std::vector<Tensor>>
  call(const std::string &fn, const std::vector<Tensor> &args) override {
    auto r = inner.call(fn, args);
    if (r && isStepAt(fn, args))
      for (const std::string &name : inner.paramNames()) {
        auto p = inner.getParam(name);
        if (!p)
          return p.takeError();
        for (double &v : p->data)
          v = std::nan("");
        if (auto e = inner.setParam(name, *p))
          return std::move(e);
      }
    return r;
  }
};

/// Issue 11 items 4 and 5: a small regression and classifier on the
/// reference evaluator, with data written by the test.
class BadNumbersSession : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-badnum", dir));
    Tensor x(DType::F32, {16, 2}), t(DType::F32, {16, 2});
    for (int64_t i = 0; i < 32; ++i) {
      x.data[i] = double(i % 7) / 8;
      t.data[i] = double(i % 5) / 4;
    }
    ASSERT_FALSE(bool(writeNpy(path("x.npy"), x)));
    ASSERT_FALSE(bool(writeNpy(path("t.npy"), t)));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(const char *name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  /// Compiles `text` (its train block's data: x.npy and `labels`), reads
  /// its train block and loads its data; `loaded` says whether that worked.
  void compile(const std::string &text, const char *labels = "t.npy") {
    std::string source = "  data = npy(\"" + path("x.npy") + "\", \"" +
                         path(labels) + "\")\n";
    std::string model = text;
    model.replace(model.find("DATA\n"), 5, source);
    compiled = compileModel(model, /*gradientPipeline=*/true, path("m.axon"));
    ASSERT_TRUE(compiled->module) << compiled->errors;
    auto train = findTrainBlock(*compiled->module, "");
    ASSERT_TRUE(bool(train)) << llvm::toString(train.takeError());
    auto c = trainConfigOf(*compiled->module, *train, path("m.axon"));
    ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
    config = *c;
    RunnerOptions reference;
    reference.backend = "reference";
    auto r = makeRunner(*compiled->module, reference, {});
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    runner = std::move(*r);
  }
  std::string regression(const char *lr) {
    return std::string(R"(param W: f32[2, 2] = glorot_uniform
param b: f32[2] = zeros
fn loss(x: f32[N, 2], t: f32[N, 2]) -> f32 {
  return mse(x @ W + b, t)
}
train loss {
DATA
  optimizer = sgd(lr = )") + lr + R"()
  batch = 4
  epochs = 5
}
)";
  }
  llvm::Expected<std::vector<EpochResult>> run(Model &model, bool continueOn) {
    auto d = loadTrainSources(config, 0, 0);
    if (!d)
      return d.takeError();
    data = std::move(*d);
    SessionOptions o;
    o.metricsPath = path("m.jsonl");
    o.checkpointPath = path("ck.safetensors");
    o.checkpointEvery = 1;
    o.continueOnNonfinite = continueOn;
    out.clear();
    llvm::raw_string_ostream os(out), bar(progress);
    return runTrainSession(model, config, data, o, os, bar);
  }
  /// The checkpoint on disk: there, and every value finite.
  void expectFiniteCheckpoint() {
    auto c = readCheckpoint(path("ck.safetensors"));
    ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
    EXPECT_EQ(firstNonfinite(*c), "");
  }

  llvm::SmallString<128> dir;
  std::unique_ptr<CompiledModel> compiled;
  TrainConfig config;
  TrainSources data;
  std::unique_ptr<Runner> runner;
  std::string out, progress;
};

TEST_F(BadNumbersSession, HugeLearningRateStopsAndKeepsTheLastGoodCheckpoint) {
  compile(regression("1e6"));
  auto r = run(*runner, /*continueOn=*/false);
  ASSERT_FALSE(bool(r)) << "trained to the end: " << out;
  std::string msg = llvm::toString(r.takeError());
  // Either the loss or the parameters go non-finite first; both stop.
  EXPECT_TRUE(msg.find("the loss is") != std::string::npos ||
              msg.find("not writing checkpoint") != std::string::npos)
      << msg;
  EXPECT_NE(msg.find("(global step "), std::string::npos) << msg;
  expectFiniteCheckpoint();

  // Training on, as asked: the run ends, no non-finite checkpoint written.
  llvm::sys::fs::remove(path("ck.safetensors"));
  compile(regression("1e6"));
  r = run(*runner, /*continueOn=*/true);
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  EXPECT_FALSE(std::isfinite(r->back().trainLoss));
  EXPECT_NE(out.find("warning: not writing checkpoint"), std::string::npos)
      << out;
  expectFiniteCheckpoint();
}

TEST_F(BadNumbersSession, ANonfiniteCheckpointNeverReplacesAFiniteOne) {
  compile(regression("0.01"));
  PoisonedModel poisoned(*runner, config.stepFn, /*poisonAt=*/2);
  auto r = run(poisoned, /*continueOn=*/false);
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(llvm::toString(r.takeError()),
            "not writing checkpoint " + path("ck.safetensors") +
                " at epoch 1, step 3 (global step 3): parameter 'W' holds NaN "
                "(element 0); the previous checkpoint is kept");
  auto c = readCheckpoint(path("ck.safetensors"));
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
  EXPECT_EQ(firstNonfinite(*c), "");
  EXPECT_EQ(c->metadata["global_step"], "2");
}

TEST_F(BadNumbersSession, NonfiniteInputsAreRefusedUnlessAllowed) {
  Tensor x(DType::F32, {16, 2}, 0.5);
  x.data[9] = HUGE_VAL;
  ASSERT_FALSE(bool(writeNpy(path("x.npy"), x)));
  compile(regression("0.01"));
  auto r = run(*runner, false);
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(llvm::toString(r.takeError()).rfind(
                path("x.npy") + ": sample 4: value 1 is inf", 0),
            0u);
  config.allowNonfinite = true; // --allow-nonfinite-inputs
  r = run(*runner, false);
  ASSERT_FALSE(bool(r)); // loads, then the loss is not finite
  EXPECT_NE(llvm::toString(r.takeError()).find("the loss is"),
            std::string::npos);
}

TEST_F(BadNumbersSession, ClassLabelsAreCheckedAgainstTheLoss) {
  std::string text = R"(param W: f32[2, 3] = glorot_uniform
fn ce(z: f32[N, 3], t: i32[N]) -> f32 {
  return cross_entropy(z, t)
}
fn loss(x: f32[N, 2], t: i32[N]) -> f32 {
  return ce(x @ W, t)
}
train loss {
DATA
  optimizer = sgd(lr = 0.1)
  batch = 4
}
)";
  Tensor t(DType::I32, {16});
  for (int64_t i = 0; i < 16; ++i)
    t.data[i] = double(i % 3);
  ASSERT_FALSE(bool(writeNpy(path("c.npy"), t)));
  compile(text, "c.npy");
  EXPECT_EQ(config.numClasses, 3);
  auto r = run(*runner, false);
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  for (double bad : {7.0, -1.0, 2147483647.0}) {
    t.data[11] = bad;
    ASSERT_FALSE(bool(writeNpy(path("c.npy"), t)));
    r = run(*runner, false);
    ASSERT_FALSE(bool(r)) << bad;
    std::string msg = llvm::toString(r.takeError());
    EXPECT_NE(msg.find(path("c.npy")), std::string::npos) << msg;
    EXPECT_NE(msg.find(": sample 11: label "), std::string::npos) << msg;
    EXPECT_NE(msg.find(" is not a class in [0, 3) (the loss 'loss' takes 3 "
                       "classes)"),
              std::string::npos)
        << msg;
  }
  // A built binary reads the class count from its embedded config.
  auto back = trainConfigFromJson(toJson(config));
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->numClasses, 3);
}

} // namespace
