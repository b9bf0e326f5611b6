// Windows of token ids (see TextWindows.h).
#include "runtime/data/TextWindows.h"

#include <cassert>

using namespace axon;

TextWindows::TextWindows(std::vector<int32_t> ids, int64_t seq, int64_t stride)
    : ids_(std::move(ids)), seq_(seq), stride_(stride > 0 ? stride : seq) {
  assert(seq >= 1 && "a window holds at least one input token");
}

int64_t TextWindows::count(int64_t tokens, int64_t seq, int64_t stride) {
  if (stride <= 0)
    stride = seq;
  return tokens < seq + 1 ? 0 : (tokens - seq - 1) / stride + 1;
}

std::vector<ArraySpec> TextWindows::specs() const {
  return {{"tokens", DType::I32, {seq_}}, {"targets", DType::I32, {seq_}}};
}

NamedArrays TextWindows::gather(llvm::ArrayRef<int64_t> rows,
                                int64_t /*epoch*/) const {
  int64_t n = rows.size();
  Tensor tokens(DType::I32, {n, seq_}), targets(DType::I32, {n, seq_});
  for (int64_t r = 0; r < n; ++r) {
    assert(rows[r] >= 0 && rows[r] < size() && "window out of range");
    const int32_t *window = ids_.data() + rows[r] * stride_;
    for (int64_t t = 0; t < seq_; ++t) {
      tokens.data[r * seq_ + t] = window[t];
      targets.data[r * seq_ + t] = window[t + 1];
    }
  }
  return NamedArrays{
      {{"tokens", std::move(tokens)}, {"targets", std::move(targets)}}};
}
