// A train block's settings as the runtime runs them: plain data, filled from
// the IR by the compiler (tools/axonc/TrainBlock) and embedded in built
// binaries as JSON, so `axonc train` and `./model train` run one code path
// (runtime/train/TrainSession).
#ifndef AXON_RUNTIME_CORE_TRAINCONFIG_H
#define AXON_RUNTIME_CORE_TRAINCONFIG_H

#include "runtime/core/Tensor.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <string>
#include <vector>

namespace axon {

/// Where samples come from: `idx(images, labels)`, `npy(inputs, labels)`,
/// `csv(file, label = column)`, `text(corpus, level = "char", seq = T,
/// ...)` or `task("reverse", length = L, ...)`.
struct DataSource {
  std::string format; ///< "idx", "npy", "csv", "text" or "task"; empty: none.
  std::vector<std::string> files;
  int64_t labelColumn = 0; ///< csv: the label's column; negative counts from the end.
  /// text and task: their settings by name ({"level": "char", "seq": 64}),
  /// as runtime/data/TextSource.h's textSourceSpec (SequenceTask.h's
  /// sequenceTaskSpec) reads them.
  llvm::json::Object options;

  bool empty() const { return format.empty(); }
  /// Samples as named arrays bound to the loss's arguments by name (text,
  /// task), rather than inputs and labels bound in order.
  bool namedArrays() const { return format == "text" || format == "task"; }
  /// `idx("a", "b")`, for messages.
  std::string describe() const;
};

/// A loss argument as a sample fills it: its name, element type and shape
/// after the batch dim, -1 where the loss leaves a dim symbolic and the
/// data has not bound it.
struct LossArgument {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

/// How inputs are rescaled, with statistics of the training set applied
/// unchanged to the evaluation set.
struct Normalization {
  enum class Kind {
    None,     ///< Values as stored.
    Scale,    ///< (x - min) / (max - min): bytes 0..255 to [0, 1].
    Standard, ///< (x - mean) / std over all training inputs.
    Fixed,    ///< (x - mean) / std with the given mean and std.
  };
  Kind kind = Kind::None;
  double mean = 0, std = 1; ///< Fixed only.
};

/// The parsed form of `normalize = ...`: scale, standard, none or
/// normalize(mean = m, std = s).
llvm::Expected<Normalization> parseNormalization(llvm::StringRef kind,
                                                 double mean, double std);
const char *normalizationName(Normalization::Kind kind);

struct TrainConfig {
  std::string model;  ///< The model file, for messages and metadata.
  std::string stepFn; ///< Empty: the model has no train block.
  std::string lossFn, evalFn;
  /// The loss and the eval_fn of one batch in one call (addEvalStep in
  /// tools/axonc/TrainBlock.h: one forward pass where the two share it), so
  /// evaluation reads each eval batch once; empty: each on its own.
  std::string evalStepFn;
  /// The parameters the block trains (`params = [...]`, else every
  /// parameter), in declaration order, and its optimizer's kind ("sgd",
  /// "momentum", "adam"): with lossFn and the model file's name, what a
  /// checkpoint records of the block it belongs to.
  std::vector<std::string> params;
  std::string optimizer;
  DataSource train, eval;
  /// The loss's arguments, their dims after the batch dim bound from the
  /// data source (a text source's `seq` binds `T` of `i32[N, T]`).
  std::vector<LossArgument> lossArgs;
  /// The fraction of the training data held out for validation (the last
  /// part, by position); < 0: the block says nothing (a text source's own
  /// `validation`, default 0.1; none for other sources).
  double validation = -1;
  /// Inputs-and-labels sources: the loss's two arguments per sample.
  std::vector<int64_t> inputShape, labelShape;
  DType inputType = DType::F32, labelType = DType::I32;
  Normalization normalize;
  int64_t oneHot = 0; ///< Number of classes to one-hot labels into; 0: off.
  /// Integer class labels: the classes the loss takes (the depth of the
  /// one_hot its cross_entropy or nll applies to the labels), so labels
  /// outside [0, numClasses) are refused at load time; 0: unknown.
  int64_t numClasses = 0;
  /// Load NaN and infinite input and label values instead of refusing them
  /// (`--allow-nonfinite-inputs`).
  bool allowNonfinite = false;
  int64_t epochs = 1, batch = 32;
  uint64_t seed = 0;
  bool shuffle = true;
  std::string log; ///< The block's `log` path; empty: the default.
};

/// A dtype's name ("f32") as JSON, for llvm::json::ObjectMapper (here and
/// in the plan's JSON).
bool fromJSON(const llvm::json::Value &v, DType &out, llvm::json::Path p);

llvm::json::Value toJson(const TrainConfig &config);
/// Errors name the first missing or malformed field.
llvm::Expected<TrainConfig> trainConfigFromJson(const llvm::json::Value &v);

} // namespace axon

#endif // AXON_RUNTIME_CORE_TRAINCONFIG_H
