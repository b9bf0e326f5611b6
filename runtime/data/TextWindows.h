// A language model's samples: windows of T + 1 consecutive token ids of one
// split of a corpus, as "tokens" (the first T) and "targets" (the last T:
// each input's next token).
#ifndef AXON_RUNTIME_DATA_TEXTWINDOWS_H
#define AXON_RUNTIME_DATA_TEXTWINDOWS_H

#include "runtime/data/SampleSource.h"

namespace axon {

class TextWindows : public SampleSource {
public:
  /// Windows of `ids` starting every `stride` tokens (0: every `seq`, so
  /// each token is a target once and consecutive windows share one token);
  /// the last window ends at or before the end of `ids`. `seq` >= 1.
  TextWindows(std::vector<int32_t> ids, int64_t seq, int64_t stride = 0);

  /// How many windows of `seq + 1` tokens, `stride` apart, fit in `tokens`.
  static int64_t count(int64_t tokens, int64_t seq, int64_t stride);

  int64_t seq() const { return seq_; }
  int64_t size() const override { return count(ids_.size(), seq_, stride_); }
  /// tokens: i32[seq], targets: i32[seq].
  std::vector<ArraySpec> specs() const override;
  NamedArrays gather(llvm::ArrayRef<int64_t> rows,
                     int64_t epoch) const override;

private:
  std::vector<int32_t> ids_;
  int64_t seq_, stride_;
};

} // namespace axon

#endif // AXON_RUNTIME_DATA_TEXTWINDOWS_H
