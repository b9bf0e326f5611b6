#include "runtime/data/TextArguments.h"

#include "runtime/data/TextSource.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/Format.h"

#include <cmath>
#include <cstdio>
#include <set>

using namespace axon;

llvm::Expected<std::vector<int32_t>>
axon::encodePrompt(const Vocabulary &vocabulary, llvm::StringRef text) {
  if (text.empty())
    return llvm::createStringError("--prompt: the prompt is empty");
  std::wstring wide;
  if (!llvm::ConvertUTF8toWide(text, wide))
    return llvm::createStringError("--prompt: the prompt is not UTF-8");
  std::vector<int32_t> ids = encodeText(vocabulary, text);
  if (ids.empty())
    return llvm::createStringError("--prompt: the prompt has no tokens");
  if (vocabulary.level() != TokenLevel::Char)
    return ids;
  // One id per code point at the character level.
  std::string unknown;
  std::set<wchar_t> listed;
  for (size_t i = 0; i < ids.size() && i < wide.size(); ++i) {
    if (ids[i] != Vocabulary::kUnknown || !listed.insert(wide[i]).second)
      continue;
    char bytes[UNI_MAX_UTF8_BYTES_PER_CODE_POINT + 1] = {};
    char *end = bytes;
    llvm::ConvertCodePointToUTF8(unsigned(wide[i]), end);
    std::string utf8(bytes, end);
    char code[16];
    std::snprintf(code, sizeof code, "U+%04X", unsigned(wide[i]));
    unknown += (unknown.empty() ? "" : ", ") + ("'" + utf8 + "' (") + code + ")";
  }
  if (!unknown.empty())
    return llvm::createStringError(
        "--prompt: characters not in the checkpoint's vocabulary (" +
        std::to_string(vocabulary.size() - 1) + " characters): " + unknown);
  return ids;
}

namespace {

bool isInteger(DType d) { return d == DType::I32 || d == DType::I64; }

/// The scalar argument a number flag fills, checked.
llvm::Expected<Tensor> scalarArgument(llvm::StringRef fn,
                                      const ArgumentSpec &arg, double value,
                                      bool integer, llvm::StringRef flag) {
  bool fits = arg.dtype && arg.dims.empty() &&
              (integer ? isInteger(*arg.dtype) : isFloat(*arg.dtype));
  if (!fits)
    return llvm::createStringError(
        "--" + flag + ": argument '" + arg.name + "' of '" + fn +
        "' must be " + (integer ? "an integer scalar (i64 or i32)"
                                : "a float scalar (f32 or f64)"));
  return Tensor(*arg.dtype, {}, roundTo(*arg.dtype, value));
}

/// The `prompt` argument holding `ids`. With `padded` (the function also
/// takes `prompt_length`) a fixed extent K is room for up to K tokens: the
/// ids fill the first places and 0s the rest (the caller cut the prompt to
/// K); otherwise a fixed extent must equal the prompt's length.
llvm::Expected<Tensor> promptArgument(llvm::StringRef fn,
                                      const ArgumentSpec &arg,
                                      const std::vector<int32_t> &ids,
                                      bool padded) {
  int64_t n = int64_t(ids.size());
  bool integer = arg.dtype && isInteger(*arg.dtype);
  bool rank1 = arg.dims.size() == 1;
  bool row = arg.dims.size() == 2 && (arg.dims[0] == 1 || arg.dims[0] < 0);
  if (!integer || (!rank1 && !row))
    return llvm::createStringError(
        "--prompt: argument 'prompt' of '" + fn +
        "' must be integer token ids [P] or [1, P]");
  int64_t fixed = arg.dims.back();
  if (fixed >= 0 && fixed != n && !padded)
    return llvm::createStringError(
        "--prompt: '" + fn + "' takes a prompt of exactly " +
        std::to_string(fixed) + " tokens, the prompt has " + std::to_string(n) +
        " (a function that also takes prompt_length: i64 reads any prompt "
        "of up to its extent, padded)");
  int64_t length = fixed >= 0 ? fixed : n;
  std::vector<double> data(ids.begin(), ids.end());
  data.resize(length, 0.0);
  std::vector<int64_t> shape = rank1 ? std::vector<int64_t>{length}
                                     : std::vector<int64_t>{1, length};
  return Tensor(*arg.dtype, shape, std::move(data));
}

} // namespace

llvm::Expected<std::vector<Tensor>>
axon::readTextArguments(llvm::StringRef fn, llvm::ArrayRef<ArgumentSpec> args,
                        const std::map<std::string, std::string> &files,
                        const TextFlags &flags, const Vocabulary *vocabulary,
                        std::string *note) {
  auto named = [&](llvm::StringRef name) -> const ArgumentSpec * {
    auto it = llvm::find_if(args, [&](const ArgumentSpec &a) {
      return a.name == name;
    });
    return it == args.end() ? nullptr : &*it;
  };
  std::map<std::string, Tensor> bound;
  auto need = [&](llvm::StringRef name) -> llvm::Expected<const ArgumentSpec *> {
    const ArgumentSpec *arg = named(name);
    if (!arg)
      return llvm::createStringError("--" + name + ": function '" + fn +
                                     "' has no argument '" + name + "'");
    if (files.count(name.str()))
      return llvm::createStringError("argument '" + name + "' of '" + fn +
                                     "' is given twice (--" + name +
                                     " and --input)");
    return arg;
  };
  if (flags.prompt) {
    auto arg = need("prompt");
    if (!arg)
      return arg.takeError();
    if (!vocabulary)
      return llvm::createStringError(
          "--prompt needs a vocabulary: pass --checkpoint with a checkpoint "
          "trained on a text source");
    auto ids = encodePrompt(*vocabulary, *flags.prompt);
    if (!ids)
      return ids.takeError();
    // `prompt_length` next to `prompt`: the prompt's extent is room for up
    // to that many tokens (a compiled binary's fixed one), the length says
    // how many are real. A longer prompt keeps its last tokens, as a
    // context window would.
    const ArgumentSpec *lengthArg = named("prompt_length");
    bool padded = lengthArg != nullptr;
    if (padded) {
      if (files.count("prompt_length"))
        return llvm::createStringError(
            "argument 'prompt_length' of '" + fn +
            "' is given twice (by --prompt and --input)");
      int64_t room = (*arg)->dims.empty() ? -1 : (*arg)->dims.back();
      if (room >= 0 && int64_t(ids->size()) > room) {
        if (note)
          *note = "the prompt has " + std::to_string(ids->size()) +
                  " tokens and '" + fn.str() + "' reads at most " +
                  std::to_string(room) + ": it reads the last " +
                  std::to_string(room);
        ids->erase(ids->begin(), ids->end() - room);
      }
      auto length = scalarArgument(fn, *lengthArg, double(ids->size()), true,
                                   "prompt");
      if (!length)
        return length.takeError();
      bound["prompt_length"] = std::move(*length);
    }
    auto value = promptArgument(fn, **arg, *ids, padded);
    if (!value)
      return value.takeError();
    bound["prompt"] = std::move(*value);
  }
  if (flags.temperature) {
    auto arg = need("temperature");
    if (!arg)
      return arg.takeError();
    if (!(*flags.temperature >= 0) || std::isinf(*flags.temperature))
      return llvm::createStringError(
          "--temperature must be a finite number >= 0");
    auto value = scalarArgument(fn, **arg, *flags.temperature, false,
                                "temperature");
    if (!value)
      return value.takeError();
    bound["temperature"] = std::move(*value);
  }
  if (flags.seed) {
    auto arg = need("seed");
    if (!arg)
      return arg.takeError();
    auto value = scalarArgument(fn, **arg, double(*flags.seed), true, "seed");
    if (!value)
      return value.takeError();
    bound["seed"] = std::move(*value);
  }
  // The remaining arguments come from files, with readArguments' checks.
  std::vector<ArgumentSpec> rest;
  for (const ArgumentSpec &a : args)
    if (!bound.count(a.name))
      rest.push_back(a);
  auto read = readArguments(fn, rest, files);
  if (!read)
    return read.takeError();
  std::vector<Tensor> values;
  size_t next = 0;
  for (const ArgumentSpec &a : args) {
    auto it = bound.find(a.name);
    values.push_back(it != bound.end() ? std::move(it->second)
                                       : std::move((*read)[next++]));
  }
  return values;
}

llvm::Expected<std::string> axon::decodeTokens(const Tensor &ids,
                                               const Vocabulary &vocabulary) {
  if (!isInteger(ids.dtype) || (ids.rank() != 1 && ids.rank() != 2))
    return llvm::createStringError(
        "only integer token ids [L] or [R, L] print as text, not " +
        ids.typeString());
  int64_t cols = ids.shape.back();
  int64_t rows = ids.rank() == 1 ? 1 : ids.shape[0];
  std::string text;
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<int32_t> row(ids.data.begin() + r * cols,
                             ids.data.begin() + (r + 1) * cols);
    text += vocabulary.decode(row) + "\n";
  }
  return text;
}

void axon::printTextResults(llvm::ArrayRef<Tensor> results,
                            const Vocabulary &vocabulary, double ms,
                            llvm::raw_ostream &out, llvm::raw_ostream &log) {
  int64_t tokens = 0;
  for (const Tensor &r : results) {
    auto decoded = decodeTokens(r, vocabulary);
    if (!decoded) {
      // Not token ids (a score, a probability): printed as numbers.
      llvm::consumeError(decoded.takeError());
      printTensor(r, out);
      continue;
    }
    out << *decoded;
    tokens += r.numElements();
  }
  log << llvm::format("%lld tokens in %.1f ms: %.0f tokens/s\n",
                      (long long)tokens, ms,
                      ms > 0 ? tokens / (ms / 1000) : 0.0);
}
