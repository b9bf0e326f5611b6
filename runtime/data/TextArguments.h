// A generating function's text I/O, shared by `axonc run` and a built
// binary's `infer`: `--prompt` encoded with a checkpoint's vocabulary into
// the argument named `prompt`, `--temperature` and `--seed` into the
// scalar arguments of those names, and integer results decoded back into
// text with the same vocabulary.
#ifndef AXON_RUNTIME_DATA_TEXTARGUMENTS_H
#define AXON_RUNTIME_DATA_TEXTARGUMENTS_H

#include "runtime/data/Vocabulary.h"
#include "runtime/io/FunctionIO.h"

#include "llvm/Support/Error.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace axon {

/// The flags that bind a function's text arguments by name.
struct TextFlags {
  std::optional<std::string> prompt; ///< -> `prompt: i32[P]` (or i64).
  std::optional<double> temperature; ///< -> `temperature: f32` (or f64).
  std::optional<int64_t> seed;       ///< -> `seed: i64` (or i32).
};

/// `text` as ids of `vocabulary` (encodeText). At the character level a
/// character the vocabulary lacks is an error listing each such character
/// (the model never saw it); at the word level such a word becomes the
/// unknown token, id 0, as rare words were in training. Errors also: an
/// empty prompt, text that is not UTF-8.
llvm::Expected<std::vector<int32_t>> encodePrompt(const Vocabulary &vocabulary,
                                                  llvm::StringRef text);

/// Each argument of `fn` (`args`, in order): `prompt`, `temperature` and
/// `seed` from `flags` where given, the others from their .npy file in
/// `files` (readArguments). A function that also takes `prompt_length`
/// (an integer scalar) gets the prompt's token count there, and a prompt
/// [K] with a fixed K (a built binary's) is room for up to K tokens: the
/// prompt's ids, then 0s; a longer prompt keeps its last K tokens and
/// `note` (when given) says so. Errors: a flag for a function with no
/// argument of its name, an argument the flag cannot fill (prompt: integer
/// [P] or [1, P] whose fixed extents the prompt must match unless padded;
/// prompt_length, seed: an integer scalar; temperature: a float scalar),
/// `--prompt` without a vocabulary (`vocabulary` null), encodePrompt's
/// errors, a file for an argument a flag fills.
llvm::Expected<std::vector<Tensor>>
readTextArguments(llvm::StringRef fn, llvm::ArrayRef<ArgumentSpec> args,
                  const std::map<std::string, std::string> &files,
                  const TextFlags &flags, const Vocabulary *vocabulary,
                  std::string *note = nullptr);

/// An integer result as text: a [L] tensor as one line, a [R, L] tensor as
/// R lines (each ending with '\n'). Errors: a float or bool tensor, a rank
/// other than 1 and 2.
llvm::Expected<std::string> decodeTokens(const Tensor &ids,
                                         const Vocabulary &vocabulary);

/// A call's results as `axonc run` and a binary's infer print them with
/// --prompt or --text: each token result decoded to `out` (decodeTokens),
/// any other (a score, a probability) as numbers, then "N tokens in T ms:
/// R tokens/s" to `log`, `ms` being the call's time.
void printTextResults(llvm::ArrayRef<Tensor> results,
                      const Vocabulary &vocabulary, double ms,
                      llvm::raw_ostream &out, llvm::raw_ostream &log);

} // namespace axon

#endif // AXON_RUNTIME_DATA_TEXTARGUMENTS_H
