// A synthetic sequence-to-sequence task (see SequenceTask.h).
#include "runtime/data/SequenceTask.h"

#include "runtime/core/Philox.h"
#include "runtime/core/Tensor.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <optional>
#include <string_view>
#include <unordered_set>

using namespace axon;

llvm::StringRef axon::sequenceTaskName(SequenceTaskKind kind) {
  return kind == SequenceTaskKind::Reverse ? "reverse" : "sort";
}

std::string SequenceTaskOptions::describe() const {
  return llvm::formatv("task(\"{0}\", length = {1}, samples = {2}, "
                       "validation = {3}, seed = {4})",
                       sequenceTaskName(kind), length, samples,
                       numberText(validation), seed)
      .str();
}

SequenceTask::SequenceTask(SequenceTaskKind kind, int64_t length,
                           std::vector<uint8_t> digits)
    : kind_(kind), length_(length), digits_(std::move(digits)) {
  assert(length_ >= 1 && digits_.size() % length_ == 0 &&
         "whole strings of at least one digit");
}

std::vector<int32_t> SequenceTask::answer(SequenceTaskKind kind,
                                          llvm::ArrayRef<uint8_t> source) {
  std::vector<int32_t> out(source.begin(), source.end());
  if (kind == SequenceTaskKind::Reverse)
    std::reverse(out.begin(), out.end());
  else
    std::sort(out.begin(), out.end());
  return out;
}

llvm::ArrayRef<uint8_t> SequenceTask::source(int64_t r) const {
  return llvm::ArrayRef<uint8_t>(digits_).slice(r * length_, length_);
}

int64_t SequenceTask::size() const { return int64_t(digits_.size()) / length_; }

std::vector<ArraySpec> SequenceTask::specs() const {
  return {{"source", DType::I32, {length_}}, {"target", DType::I32, {length_}}};
}

NamedArrays SequenceTask::gather(llvm::ArrayRef<int64_t> rows,
                                 int64_t /*epoch*/) const {
  int64_t n = rows.size();
  Tensor source(DType::I32, {n, length_}), target(DType::I32, {n, length_});
  for (int64_t i = 0; i < n; ++i) {
    assert(rows[i] >= 0 && rows[i] < size() && "a row of the split");
    llvm::ArrayRef<uint8_t> s = this->source(rows[i]);
    std::copy(s.begin(), s.end(), source.data.begin() + i * length_);
    std::vector<int32_t> t = answer(kind_, s);
    std::copy(t.begin(), t.end(), target.data.begin() + i * length_);
  }
  NamedArrays out;
  out.arrays.push_back({"source", std::move(source)});
  out.arrays.push_back({"target", std::move(target)});
  return out;
}

llvm::Expected<SequenceTaskSamples>
axon::makeSequenceTask(const SequenceTaskOptions &o) {
  auto error = [&](const llvm::Twine &why) {
    return llvm::createStringError(o.describe() + ": " + why);
  };
  if (o.length < 1)
    return error("length must be at least 1, got " + llvm::Twine(o.length));
  if (o.samples < 1)
    return error("samples must be at least 1, got " + llvm::Twine(o.samples));
  // 10^L strings of length L (more than any sample count from L = 19 on).
  if (o.length < 19) {
    int64_t strings = 1;
    for (int64_t i = 0; i < o.length; ++i)
      strings *= 10;
    if (o.samples > strings)
      return error(llvm::formatv("{0} different strings asked for, but there "
                                 "are only {1} of length {2}",
                                 o.samples, strings, o.length)
                       .str());
  }
  if (!(o.validation >= 0 && o.validation < 1))
    return error("validation must be a fraction in [0, 1), got " +
                 numberText(o.validation));
  int64_t held = std::llround(double(o.samples) * o.validation);
  if (held >= o.samples)
    return error("the validation split takes all " + llvm::Twine(o.samples) +
                 " strings, leaving none for training");
  if (o.samples > (int64_t(1) << 31) / o.length)
    return error(llvm::formatv("{0} strings of {1} digits are more than 2^31 "
                               "digits",
                               o.samples, o.length)
                     .str());

  // The digits are reserved up front: the set's views into them stay valid.
  std::vector<uint8_t> digits;
  digits.reserve(o.samples * o.length);
  std::unordered_set<std::string_view> seen;
  seen.reserve(o.samples);
  philox::Block block{};
  for (uint64_t candidate = 0; int64_t(seen.size()) < o.samples; ++candidate) {
    size_t start = digits.size();
    for (int64_t j = 0; j < o.length; ++j) {
      if (j % 4 == 0)
        block = philox::block(o.seed, candidate, uint64_t(j) / 4);
      digits.push_back(uint8_t((uint64_t(block[j % 4]) * 10) >> 32));
    }
    std::string_view s(reinterpret_cast<const char *>(digits.data()) + start,
                       o.length);
    if (!seen.insert(s).second)
      digits.resize(start);
  }

  int64_t trainDigits = (o.samples - held) * o.length;
  SequenceTaskSamples out;
  if (held > 0)
    out.validation = std::make_unique<SequenceTask>(
        o.kind, o.length,
        std::vector<uint8_t>(digits.begin() + trainDigits, digits.end()));
  digits.resize(trainDigits);
  out.train =
      std::make_unique<SequenceTask>(o.kind, o.length, std::move(digits));
  return out;
}

llvm::ArrayRef<SequenceTaskSetting> axon::sequenceTaskSettings() {
  static const SequenceTaskSetting kSettings[] = {
      {"length", true, "length = L (digits per string)"},
      {"samples", true, "samples = strings in both splits"},
      {"validation", false, "validation = the fraction held out (default 0.1)"},
      {"seed", true, "seed = which strings are drawn"},
  };
  return kSettings;
}

llvm::Expected<SequenceTaskOptions>
axon::sequenceTaskSpec(llvm::StringRef name,
                       const llvm::json::Object &settings) {
  SequenceTaskOptions o;
  std::string what = ("task(\"" + name + "\")").str();
  auto error = [&](const llvm::Twine &why) {
    return llvm::createStringError(what + ": " + why);
  };
  if (name == "reverse")
    o.kind = SequenceTaskKind::Reverse;
  else if (name == "sort")
    o.kind = SequenceTaskKind::Sort;
  else
    return error("unknown task (expected \"reverse\" or \"sort\")");
  for (const auto &[key, value] : settings) {
    llvm::StringRef setting = key;
    const SequenceTaskSetting *s = nullptr;
    for (const SequenceTaskSetting &t : sequenceTaskSettings())
      if (setting == t.name)
        s = &t;
    if (!s) {
      std::string known;
      for (const SequenceTaskSetting &t : sequenceTaskSettings())
        known += std::string(known.empty() ? "" : ", ") + t.name;
      return error("unknown setting '" + setting + "' (expected " + known +
                   ")");
    }
    if (s->integer) {
      std::optional<int64_t> i = value.getAsInteger();
      int64_t least = setting == "seed" ? 0 : 1;
      if (!i || *i < least)
        return error(llvm::Twine(s->usage) +
                     ": expected a whole number >= " + llvm::Twine(least));
      if (setting == "length")
        o.length = *i;
      else if (setting == "samples")
        o.samples = *i;
      else
        o.seed = uint64_t(*i);
    } else {
      std::optional<double> v = value.getAsNumber();
      if (!v)
        return error(llvm::Twine(s->usage) + ": expected a number");
      o.validation = *v;
    }
  }
  return o;
}
