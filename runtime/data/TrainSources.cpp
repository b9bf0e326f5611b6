// A train block's data as bound sample sources (see TrainSources.h).
#include "runtime/data/TrainSources.h"

#include "runtime/data/DataLoader.h"
#include "runtime/data/IdxSamples.h"
#include "runtime/data/SkipGramPairs.h"
#include "runtime/data/TextWindows.h"

#include <cmath>

using namespace axon;

namespace {

/// The first `n` samples of a source (`--limit` on a text source).
class FirstRows : public SampleSource {
public:
  FirstRows(std::unique_ptr<SampleSource> source, int64_t n)
      : source_(std::move(source)), n_(std::min(n, source_->size())) {}
  int64_t size() const override { return n_; }
  std::vector<ArraySpec> specs() const override { return source_->specs(); }
  NamedArrays gather(llvm::ArrayRef<int64_t> rows,
                     int64_t epoch) const override {
    return source_->gather(rows, epoch);
  }
  void gatherInto(llvm::ArrayRef<int64_t> rows, int64_t epoch,
                  std::vector<Tensor> &out) const override {
    source_->gatherInto(rows, epoch, out);
  }

private:
  std::unique_ptr<SampleSource> source_;
  int64_t n_;
};

/// The loss's arguments; a configuration without them (written before they
/// were recorded) takes inputs and labels of its input and label shapes.
std::vector<LossArgument> lossArgsOf(const TrainConfig &c) {
  if (!c.lossArgs.empty())
    return c.lossArgs;
  return {{"inputs", c.inputType, c.inputShape},
          {"labels", c.labelType, c.labelShape}};
}

std::unique_ptr<SampleSource> bound(std::unique_ptr<SampleSource> source,
                                    const ArrayBinding &binding) {
  if (!source)
    return nullptr;
  return std::make_unique<BoundSource>(std::move(source), binding);
}

} // namespace

double axon::validationFraction(const TrainConfig &c) {
  if (c.validation >= 0)
    return c.validation;
  if (c.train.format == "text")
    return c.train.options.getNumber("validation").value_or(
        TextOptions().validation);
  if (c.train.format == "task")
    return c.train.options.getNumber("validation").value_or(
        SequenceTaskOptions().validation);
  return 0;
}

llvm::Expected<TextSourceSpec> axon::textSpecOf(const TrainConfig &c) {
  auto spec = textSourceSpec(c.train.files, c.train.options);
  if (!spec)
    return spec.takeError();
  spec->text.validation = validationFraction(c);
  return spec;
}

llvm::Expected<SequenceTaskOptions> axon::taskSpecOf(const TrainConfig &c) {
  if (c.train.files.size() != 1)
    return llvm::createStringError(c.train.describe() +
                                   ": expected one task name, \"reverse\" or "
                                   "\"sort\"");
  auto spec = sequenceTaskSpec(c.train.files[0], c.train.options);
  if (!spec)
    return spec.takeError();
  spec->validation = validationFraction(c);
  return spec;
}

llvm::Expected<std::vector<ArraySpec>> axon::sourceArrays(const TrainConfig &c) {
  if (c.train.format == "task") {
    auto spec = taskSpecOf(c);
    if (!spec)
      return spec.takeError();
    return SequenceTask(spec->kind, spec->length, {}).specs();
  }
  if (c.train.format != "text") {
    std::vector<LossArgument> args = lossArgsOf(c);
    if (args.size() != 2)
      return std::vector<ArraySpec>{{"inputs", c.inputType, c.inputShape},
                                    {"labels", c.labelType, c.labelShape}};
    // Inputs and labels conformed to the loss's two arguments.
    return std::vector<ArraySpec>{{"inputs", args[0].dtype, args[0].shape},
                                  {"labels", args[1].dtype, args[1].shape}};
  }
  auto spec = textSpecOf(c);
  if (!spec)
    return spec.takeError();
  // The specs of an empty source of the same settings.
  if (spec->samples == TextSourceSpec::Samples::Windows)
    return TextWindows({}, spec->seq, spec->stride).specs();
  return SkipGramPairs({}, 1, spec->window, spec->negatives, {}, c.seed)
      .specs();
}

llvm::Expected<ArrayBinding> axon::bindLoss(const TrainConfig &c) {
  auto arrays = sourceArrays(c);
  if (!arrays)
    return arrays.takeError();
  return bindArrays(lossArgsOf(c), *arrays, c.train.namedArrays(), c.lossFn,
                    c.train.describe());
}

int64_t axon::heldOut(int64_t samples, double fraction) {
  return std::llround(double(samples) * fraction);
}

std::pair<Dataset, std::optional<Dataset>>
axon::splitValidation(Dataset train, double fraction) {
  int64_t n = train.size();
  int64_t held = heldOut(n, fraction);
  if (held <= 0)
    return {std::move(train), std::nullopt};
  std::vector<int64_t> first(n - held), last(held);
  for (int64_t i = 0; i < n - held; ++i)
    first[i] = i;
  for (int64_t i = 0; i < held; ++i)
    last[i] = n - held + i;
  Dataset validation{takeRows(train.inputs, last),
                     takeRows(train.labels, last)};
  Dataset kept{takeRows(train.inputs, first), takeRows(train.labels, first)};
  return {std::move(kept), std::move(validation)};
}

llvm::Expected<TrainSources> axon::sourcesOf(const TrainConfig &c,
                                             TrainData data) {
  auto binding = bindLoss(c);
  if (!binding)
    return binding.takeError();
  auto [train, validation] =
      splitValidation(std::move(data.train), validationFraction(c));
  TrainSources out;
  out.scaling = data.scaling;
  out.train = bound(std::make_unique<TensorSource>(std::move(train)), *binding);
  if (validation)
    out.validation = bound(
        std::make_unique<TensorSource>(std::move(*validation)), *binding);
  if (data.eval)
    out.eval = bound(std::make_unique<TensorSource>(std::move(*data.eval)),
                     *binding);
  return out;
}

llvm::Expected<TrainSources> axon::loadTrainSources(const TrainConfig &c,
                                                    int64_t limit,
                                                    int64_t evalLimit) {
  // IDX images stay bytes until a batch is gathered.
  if (c.train.format == "idx" && (c.eval.empty() || c.eval.format == "idx"))
    return loadIdxSources(c, limit, evalLimit);
  if (!c.train.namedArrays()) {
    auto data = loadTrainData(c, limit, evalLimit);
    if (!data)
      return data.takeError();
    return sourcesOf(c, std::move(*data));
  }
  if (!c.eval.empty())
    return llvm::createStringError(
        c.eval.describe() + ": a " + c.train.format +
        " source takes no eval_data; its validation split is evaluated each "
        "epoch");
  if (llvm::Error e = checkSampleLimit(c.train, limit))
    return std::move(e);
  auto binding = bindLoss(c);
  if (!binding)
    return binding.takeError();
  TrainSources out;
  std::unique_ptr<SampleSource> train, validation;
  if (c.train.format == "task") {
    auto spec = taskSpecOf(c);
    if (!spec)
      return spec.takeError();
    auto task = makeSequenceTask(*spec);
    if (!task)
      return task.takeError();
    train = std::move(task->train);
    validation = std::move(task->validation);
  } else {
    auto spec = textSpecOf(c);
    if (!spec)
      return spec.takeError();
    auto samples = loadTextSamples(*spec, c.seed);
    if (!samples)
      return samples.takeError();
    out.vocabulary = std::move(samples->vocabulary);
    train = std::move(samples->train);
    validation = std::move(samples->validation);
  }
  if (limit > 0)
    train = std::make_unique<FirstRows>(std::move(train), limit);
  out.train = bound(std::move(train), *binding);
  out.validation = bound(std::move(validation), *binding);
  return out;
}
