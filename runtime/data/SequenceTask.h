// A synthetic sequence-to-sequence task the project generates itself, for
// an encoder-decoder model (examples/seq2seq): digit strings of a fixed
// length L as "source" (i32[L], digits 0-9) and the task's answer as
// "target" (i32[L]): the digits reversed, or sorted ascending. Strings are
// drawn from a seed (Philox, so every machine draws the same ones) and are
// all different; the training split is the first strings drawn and the
// held-out split the last, so no source string is in both. Every string
// has the same length, so there is no padding and no mask; a decoder's
// start token is the model's business (any id past 9).
#ifndef AXON_RUNTIME_DATA_SEQUENCETASK_H
#define AXON_RUNTIME_DATA_SEQUENCETASK_H

#include "runtime/data/SampleSource.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <memory>
#include <string>

namespace axon {

enum class SequenceTaskKind { Reverse, Sort };

/// "reverse", "sort".
llvm::StringRef sequenceTaskName(SequenceTaskKind kind);

/// The distinct tokens of a string: the digits 0-9.
constexpr int32_t kSequenceTaskDigits = 10;

struct SequenceTaskOptions {
  SequenceTaskKind kind = SequenceTaskKind::Reverse;
  int64_t length = 8;      ///< L, the digits of every string (>= 1).
  int64_t samples = 20000; ///< Strings of both splits together.
  /// The fraction of `samples` held out (the last drawn), in [0, 1).
  double validation = 0.1;
  uint64_t seed = 1; ///< Which strings: the same seed, the same strings.

  /// `task("reverse", length = 8, samples = 20000, validation = 0.1,
  /// seed = 1)`, for messages.
  std::string describe() const;
};

/// One split of a task: `strings` rows of `length` digits, held once as
/// bytes; the targets are computed when a batch is gathered.
class SequenceTask : public SampleSource {
public:
  /// `digits` holds size * length digits, each in [0, 10).
  SequenceTask(SequenceTaskKind kind, int64_t length,
               std::vector<uint8_t> digits);

  /// The answer to `source` (`length` digits): reversed or sorted.
  static std::vector<int32_t> answer(SequenceTaskKind kind,
                                     llvm::ArrayRef<uint8_t> source);

  int64_t length() const { return length_; }
  /// Row `r`'s source digits.
  llvm::ArrayRef<uint8_t> source(int64_t r) const;

  int64_t size() const override;
  /// source: i32[L], target: i32[L].
  std::vector<ArraySpec> specs() const override;
  /// Draws nothing: `epoch` is unused.
  NamedArrays gather(llvm::ArrayRef<int64_t> rows,
                     int64_t epoch) const override;

private:
  SequenceTaskKind kind_;
  int64_t length_;
  std::vector<uint8_t> digits_;
};

/// The training and held-out splits (validation null when the held-out
/// fraction rounds to no string).
struct SequenceTaskSamples {
  std::unique_ptr<SequenceTask> train, validation;
};

/// Draws `options.samples` distinct strings: candidate c's digit j is
/// floor(10 * w / 2^32) of the Philox word j of (seed, counter = c), and a
/// candidate equal to an earlier one is skipped. The validation split is the
/// last round(samples * validation) strings. Errors, starting with the
/// source's description: length < 1, samples < 1, more samples than the
/// 10^L strings of length L, a validation fraction outside [0, 1), no
/// string left for training, more than 2^31 digits in all.
llvm::Expected<SequenceTaskSamples>
makeSequenceTask(const SequenceTaskOptions &options);

/// The settings `task(...)` takes, with what each means (for messages):
/// length, samples, seed (integers), validation (number).
struct SequenceTaskSetting {
  const char *name;
  bool integer; ///< A whole number >= 0; otherwise any number.
  const char *usage;
};
llvm::ArrayRef<SequenceTaskSetting> sequenceTaskSettings();

/// The options of a train block's `task(name, settings...)`, `settings` as
/// a train configuration's JSON holds them ({"length": 8}); a setting left
/// out keeps its default. Errors name the task or the setting: a task other
/// than "reverse" and "sort", an unknown setting (listing the known ones),
/// one of the wrong type or below its minimum (length and samples >= 1).
llvm::Expected<SequenceTaskOptions>
sequenceTaskSpec(llvm::StringRef name, const llvm::json::Object &settings);

} // namespace axon

#endif // AXON_RUNTIME_DATA_SEQUENCETASK_H
