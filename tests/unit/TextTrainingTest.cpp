// Training from a text source (issue 13): a train block's text(...) data
// binds its named arrays to the loss's arguments by name, its `seq` binds
// the loss's symbolic T, the validation split is evaluated each epoch, the
// vocabulary goes into the checkpoint, and a resumed run is bit-identical.
// Tiny sizes: a corpus of a few repeated sentences written by each test.
#include "CompileModel.h"
#include "TempDirTest.h"

#include "runtime/data/TrainSources.h"
#include "runtime/train/Plot.h"
#include "runtime/train/TrainSession.h"
#include "tools/axonc/CompilePolicy.h"
#include "tools/axonc/TrainBlock.h"
#include "tools/axonc/TrainCommand.h"

#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <map>
#include <random>

using namespace axon;
using namespace axon::test_support;

namespace {

/// Sentences in a random order: which character follows which is learnable
/// from one character of context, what comes next in general is not.
std::string corpus(int sentences, uint64_t seed) {
  const char *kSentences[] = {"the cat sat on the mat. ",
                              "a dog ran to the park. ",
                              "we like tea and cake. "};
  std::mt19937_64 rng(seed);
  std::string text;
  for (int i = 0; i < sentences; ++i)
    text += kSentences[rng() % 3];
  return text;
}

/// The entropy (nats) of the characters of `text`: the loss of the best
/// model that ignores context.
double unigramEntropy(const std::string &text) {
  std::map<char, double> counts;
  for (char c : text)
    counts[c] += 1;
  double h = 0;
  for (auto [c, n] : counts) {
    double p = n / double(text.size());
    h -= p * std::log(p);
  }
  return h;
}

/// A model whose train step fails at one global step, as a crash would.
class CrashingModel : public Model {
public:
  CrashingModel(Model &inner, std::string stepFn, int64_t at)
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
  llvm::Expected<std::vector<Tensor>>
  call(const std::string &fn, const std::vector<Tensor> &args) override {
    if (fn == stepFn && int64_t(args.back().data[0]) == at)
      return llvm::createStringError("simulated crash");
    return inner.call(fn, args);
  }

private:
  Model &inner;
  std::string stepFn;
  int64_t at;
};

class TextTraining : public test::TempDirTest {
protected:
  /// A bigram-capable character model: an embedding of each token and a
  /// linear map to the next token's logits, over `loss`'s arguments.
  std::string model(const std::string &args, const std::string &data,
                    const std::string &more = "") {
    return R"(param E: f32[32, 16] = normal(0, 0.1)
param W: f32[16, 32] = glorot_uniform
param b: f32[32] = zeros

fn loss()" + args + R"() -> f32 {
  return cross_entropy(gather(E, tokens) @ W + b, targets)
}

train loss {
  data = )" + data + R"(
  optimizer = adam(lr = 0.02)
  batch = 16
  epochs = 3
)" + more + "}\n";
  }
  /// Compiles `text` and reads its train block's configuration.
  llvm::Expected<TrainConfig> configOf(const std::string &text) {
    compiled = compileModel(text, /*gradientPipeline=*/true, path("m.axon"));
    if (!compiled->module)
      return llvm::createStringError(compiled->errors);
    auto train = findTrainBlock(*compiled->module, "");
    if (!train)
      return train.takeError();
    return trainConfigOf(*compiled->module, *train, path("m.axon"));
  }
  /// Loads `config`'s data and compiles what a session calls on it.
  void prepare(const TrainConfig &config, const std::string &backend) {
    auto d = loadTrainSources(config, 0, 0);
    ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
    data = std::move(*d);
    RunnerOptions options;
    options.backend = backend;
    auto r = makeRunner(*compiled->module, options,
                        trainRequests(config, data, 0));
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    runner = std::move(*r);
  }
  SessionOptions session(const std::string &name) {
    SessionOptions o;
    o.metricsPath = path(name + ".jsonl");
    o.checkpointPath = path(name + ".safetensors");
    o.trainMetricSamples = 0;
    return o;
  }

  std::unique_ptr<CompiledModel> compiled;
  TrainSources data;
  std::unique_ptr<Runner> runner;
  std::string out, progress;
};

const char *kNamedArgs = "tokens: i32[N, T], targets: i32[N, T]";

/// On compiled kernels: three short epochs bring the validation loss below
/// the unigram entropy, which no model without context beats.
TEST_F(TextTraining, CharModelBeatsTheUnigramEntropy) {
  std::string text = corpus(400, 1);
  std::string file = write("corpus.txt", text);
  auto config = configOf(
      model(kNamedArgs, "text(\"" + file + "\", level = \"char\", seq = 8)"));
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  prepare(*config, "halide");
  ASSERT_TRUE(data.validation);
  // The last 10% of the characters, in windows of 9 sharing one token.
  EXPECT_EQ(data.validation->size(),
            (std::llround(text.size() * 0.1) - 1) / 8);
  llvm::raw_string_ostream os(out), bar(progress);
  auto results =
      runTrainSession(*runner, *config, data, session("run"), os, bar);
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  ASSERT_EQ(results->size(), 3u);
  double h = unigramEntropy(text);
  ASSERT_TRUE(results->back().validationLoss);
  EXPECT_LT(*results->back().validationLoss, h - 0.3)
      << "unigram entropy " << h << "\n"
      << out;
  EXPECT_LT(*results->back().validationLoss, *results->front().validationLoss);
  EXPECT_NE(out.find("held out for validation"), std::string::npos) << out;
  EXPECT_NE(out.find(", validation loss "), std::string::npos) << out;
  EXPECT_NE(progress.find("validation loss"), std::string::npos) << progress;
  // The plot draws the validation curve with the train loss.
  auto plot = llvm::MemoryBuffer::getFile(plotPathFor(path("run.jsonl")));
  ASSERT_TRUE(bool(plot));
  EXPECT_NE((*plot)->getBuffer().find("validation loss"), llvm::StringRef::npos);

  // The vocabulary of the training split is in the checkpoint.
  auto vocabulary = readVocabulary(path("run.safetensors"));
  ASSERT_TRUE(bool(vocabulary)) << llvm::toString(vocabulary.takeError());
  ASSERT_TRUE(data.vocabulary);
  EXPECT_EQ(*vocabulary, *data.vocabulary);
  EXPECT_EQ(vocabulary->level(), TokenLevel::Char);
  EXPECT_EQ(vocabulary->decode(encodeText(*vocabulary, "the cat")), "the cat");
}

/// T is bound from the data's seq, per dim: the compiled shapes are the
/// data's, and a static dim the data does not have is an error.
TEST_F(TextTraining, SeqBindsTheLossesSymbolicDims) {
  std::string file = write("corpus.txt", corpus(50, 2));
  auto config = configOf(model(kNamedArgs, "text(\"" + file + "\", seq = 7)"));
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  ASSERT_EQ(config->lossArgs.size(), 2u);
  EXPECT_EQ(config->lossArgs[0].name, "tokens");
  EXPECT_EQ(config->lossArgs[0].shape, std::vector<int64_t>{7});
  EXPECT_EQ(config->lossArgs[1].shape, std::vector<int64_t>{7});
  EXPECT_EQ(lossArgumentShapes(*config, config->stepFn, 16),
            (std::vector<std::vector<int64_t>>{{16, 7}, {16, 7}, {}}));
  EXPECT_EQ(lossArgumentShapes(*config, config->lossFn, 3),
            (std::vector<std::vector<int64_t>>{{3, 7}, {3, 7}}));
  // The configuration a built binary carries keeps the binding.
  auto back = trainConfigFromJson(toJson(*config));
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->lossArgs[1].shape, std::vector<int64_t>{7});
  EXPECT_EQ(back->train.describe(), config->train.describe());

  // A static T that the data agrees with; one it does not.
  EXPECT_TRUE(bool(configOf(model("tokens: i32[N, 7], targets: i32[N, 7]",
                                  "text(\"" + file + "\", seq = 7)"))));
  auto bad = configOf(model("tokens: i32[N, 8], targets: i32[N, 8]",
                            "text(\"" + file + "\", seq = 7)"));
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()),
            "the loss 'loss' takes tokens: i32[N, 8] but its data's array "
            "'tokens' is i32[N, 7]: text(\"" + file +
                "\", seq = 7) gives tokens: i32[N, 7], "
                "targets: i32[N, 7]");
}

/// --limit N takes the first N windows; the validation split stays whole.
TEST_F(TextTraining, LimitTakesTheFirstWindows) {
  std::string text = corpus(40, 6);
  std::string file = write("corpus.txt", text);
  auto config = configOf(model(kNamedArgs, "text(\"" + file + "\", seq = 4)"));
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  auto all = loadTrainSources(*config, 0, 0);
  ASSERT_TRUE(bool(all)) << llvm::toString(all.takeError());
  auto first = loadTrainSources(*config, 7, 0);
  ASSERT_TRUE(bool(first)) << llvm::toString(first.takeError());
  EXPECT_EQ(first->train->size(), 7);
  EXPECT_GT(all->train->size(), 7);
  EXPECT_EQ(first->validation->size(), all->validation->size());
  std::vector<int64_t> rows = {0, 6};
  EXPECT_EQ(first->train->gather(rows, 0).arrays[1].second.data,
            all->train->gather(rows, 0).arrays[1].second.data);
  EXPECT_EQ(errorOf(loadTrainSources(*config, -1, 0)),
            config->train.describe() + ": the sample limit must be >= 0, got -1");
  // A configuration read from JSON is checked again: no eval data.
  TrainConfig withEval = *config;
  withEval.eval = {"npy", {"x.npy", "t.npy"}};
  EXPECT_EQ(errorOf(loadTrainSources(withEval, 0, 0)),
            "npy(\"x.npy\", \"t.npy\"): a text source takes no eval_data; its "
            "validation split is evaluated each epoch");
}

/// Named arrays bind by name: a loss argument the source has no array for
/// is an error naming the argument, the source and its arrays; so is
/// another element type.
TEST_F(TextTraining, NamedBindingErrors) {
  std::string file = write("corpus.txt", corpus(50, 3));
  std::string source = "text(\"" + file + "\", seq = 4)";
  auto missing = configOf(
      R"(param E: f32[32, 4] = zeros
fn loss(inputs: i32[N, T], targets: i32[N, T]) -> f32 {
  return cross_entropy(gather(E, inputs) @ transpose(E), targets)
}
train loss {
  data = )" + source + R"(
  optimizer = sgd(lr = 0.1)
}
)");
  ASSERT_FALSE(bool(missing));
  EXPECT_EQ(llvm::toString(missing.takeError()),
            "the loss 'loss' takes an argument 'inputs' but its data has no "
            "array of that name (arrays bind to the loss's arguments by "
            "name): text(\"" + file + "\", seq = 4) gives "
            "tokens: i32[N, 4], targets: i32[N, 4]");
  auto wrongType = configOf(
      R"(param E: f32[32, 4] = zeros
fn loss(tokens: i64[N, T], targets: i32[N, T]) -> f32 {
  return cross_entropy(gather(E, tokens) @ transpose(E), targets)
}
train loss {
  data = )" + source + R"(
  optimizer = sgd(lr = 0.1)
}
)");
  ASSERT_FALSE(bool(wrongType));
  EXPECT_NE(llvm::toString(wrongType.takeError())
                .find("takes tokens: i64[N, ?] but its data's array 'tokens' "
                      "is i32[N, 4]"),
            std::string::npos);
  // The order of the loss's arguments does not matter, their names do.
  EXPECT_TRUE(bool(configOf(
      R"(param E: f32[32, 4] = zeros
fn loss(targets: i32[N, T], tokens: i32[N, T]) -> f32 {
  return cross_entropy(gather(E, tokens) @ transpose(E), targets)
}
train loss {
  data = )" + source + R"(
  optimizer = sgd(lr = 0.1)
}
)")));
}

/// Skip-gram pairs bind center, context and negatives by name, K from
/// `negatives`.
TEST_F(TextTraining, SkipGramPairsBindByName) {
  std::string file = write("corpus.txt", corpus(50, 4));
  auto config = configOf(R"(param E: f32[32, 4] = normal(0, 0.1)
fn loss(context: i32[N], negatives: i32[N, K], center: i32[N]) -> f32 {
  let c = gather(E, center)
  let pos = sum(c * gather(E, context), axis = 1)
  let neg = sum(gather(E, negatives) * gather(E, reshape(center, [N, 1])),
                axis = 2)
  return mean(softplus(-pos)) + mean(softplus(neg))
}
train loss {
  data = text(")" + file + R"(", level = "word", window = 2, negatives = 3)
  optimizer = sgd(lr = 0.1)
  batch = 8
}
)");
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  ASSERT_EQ(config->lossArgs.size(), 3u);
  EXPECT_EQ(config->lossArgs[1].name, "negatives");
  EXPECT_EQ(config->lossArgs[1].shape, std::vector<int64_t>{3});
  EXPECT_TRUE(config->lossArgs[0].shape.empty());
  prepare(*config, "reference");
  auto batch = data.train->gather({0, 1}, 0);
  ASSERT_EQ(batch.arrays.size(), 3u);
  EXPECT_EQ(batch.arrays[0].first, "context");
  EXPECT_EQ(batch.arrays[1].second.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(batch.arrays[2].first, "center");
  SessionOptions o = session("pairs");
  o.epochs = 1;
  llvm::raw_string_ostream os(out), bar(progress);
  auto results = runTrainSession(*runner, *config, data, o, os, bar);
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_TRUE(std::isfinite(results->back().trainLoss));
  EXPECT_TRUE(results->back().validationLoss);
}

/// A run that dies mid-epoch and resumes from its last checkpoint ends with
/// the uninterrupted run's parameters, bit for bit.
TEST_F(TextTraining, ResumeIsBitIdentical) {
  std::string file = write("corpus.txt", corpus(120, 5));
  auto config = configOf(model(
      kNamedArgs, "text(\"" + file + "\", seq = 8)", "  validation = 0.2\n"));
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->validation, 0.2);
  prepare(*config, "reference");
  auto initial = checkpointOf(*runner);
  ASSERT_TRUE(bool(initial));
  llvm::raw_string_ostream os(out), bar(progress);
  auto reference =
      runTrainSession(*runner, *config, data, session("whole"), os, bar);
  ASSERT_TRUE(bool(reference)) << llvm::toString(reference.takeError());
  auto expected = checkpointOf(*runner);
  ASSERT_TRUE(bool(expected));
  int64_t steps = data.train->size() / config->batch;
  ASSERT_GE(steps, 3);

  ASSERT_FALSE(bool(restoreParams(*runner, *initial, "initial")));
  SessionOptions interrupted = session("run");
  interrupted.checkpointEvery = 2;
  CrashingModel crashing(*runner, config->stepFn, steps + 2);
  ASSERT_FALSE(
      bool(runTrainSession(crashing, *config, data, interrupted, os, bar)));
  ASSERT_FALSE(bool(restoreParams(*runner, *initial, "initial")));
  SessionOptions resumed = interrupted;
  resumed.resumePath = path("run.safetensors");
  resumed.checkpointPath = path("resumed.safetensors");
  auto finished = runTrainSession(*runner, *config, data, resumed, os, bar);
  ASSERT_TRUE(bool(finished)) << llvm::toString(finished.takeError());
  auto got = checkpointOf(*runner);
  ASSERT_TRUE(bool(got));
  ASSERT_EQ(got->tensors.size(), expected->tensors.size());
  for (size_t i = 0; i < got->tensors.size(); ++i)
    EXPECT_EQ(got->tensors[i].second.data, expected->tensors[i].second.data)
        << got->tensors[i].first;
  EXPECT_EQ(finished->back().validationLoss, reference->back().validationLoss);
  auto vocabulary = readVocabulary(path("resumed.safetensors"));
  ASSERT_TRUE(bool(vocabulary)) << llvm::toString(vocabulary.takeError());
  EXPECT_EQ(*vocabulary, *data.vocabulary);
}

/// The block's validation fraction on inputs-and-labels data holds out the
/// last samples, by position.
TEST(TrainSources, ValidationHoldsOutTheLastSamples) {
  Dataset d{Tensor(DType::F32, {7, 2}), Tensor(DType::I32, {7})};
  for (int64_t i = 0; i < 7; ++i) {
    d.inputs.data[2 * i] = double(i);
    d.labels.data[i] = double(i);
  }
  auto [train, validation] = splitValidation(d, 0.3); // round(2.1) = 2
  EXPECT_EQ(train.size(), 5);
  ASSERT_TRUE(validation);
  EXPECT_EQ(validation->labels.data, (std::vector<double>{5, 6}));
  EXPECT_EQ(validation->inputs.data, (std::vector<double>{5, 0, 6, 0}));
  EXPECT_EQ(train.labels.data, (std::vector<double>{0, 1, 2, 3, 4}));
  EXPECT_FALSE(splitValidation(d, 0.05).second); // round(0.35) = 0
  EXPECT_FALSE(splitValidation(d, 0).second);
  EXPECT_EQ(heldOut(1, 0.5), 1);

  TrainConfig c;
  c.lossFn = "loss";
  c.train = {"npy", {"x.npy", "t.npy"}};
  c.inputShape = {2};
  c.labelShape = {};
  c.lossArgs = {{"x", DType::F32, {2}}, {"t", DType::I32, {}}};
  EXPECT_EQ(validationFraction(c), 0);
  c.validation = 0.3;
  TrainData data;
  data.train = d;
  auto sources = sourcesOf(c, std::move(data));
  ASSERT_TRUE(bool(sources)) << llvm::toString(sources.takeError());
  EXPECT_EQ(sources->train->size(), 5);
  ASSERT_TRUE(sources->validation);
  EXPECT_EQ(sources->validation->size(), 2);
  // Inputs and labels bind in order, named after the loss's arguments.
  auto batch = sources->validation->gather({1}, 0);
  EXPECT_EQ(batch.arrays[0].first, "x");
  EXPECT_EQ(batch.arrays[1].first, "t");
  EXPECT_EQ(batch.arrays[1].second.data, std::vector<double>{6});

  // A text source's own fraction, default 0.1, unless the block gives one.
  TrainConfig t;
  t.train.format = "text";
  EXPECT_EQ(validationFraction(t), 0.1);
  t.train.options["validation"] = 0.25;
  EXPECT_EQ(validationFraction(t), 0.25);
}

} // namespace
