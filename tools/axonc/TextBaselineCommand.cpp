// `axonc text-baseline` (see TextBaselineCommand.h).
#include "tools/axonc/TextBaselineCommand.h"

#include "runtime/data/BigramBaseline.h"
#include "runtime/data/TextSource.h"
#include "tools/axonc/Fail.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;
using namespace axon;

cl::SubCommand &axon::textBaselineCommand() {
  static cl::SubCommand command(
      "text-baseline", "Print the bigram model's NLL per token on a text "
                       "source's validation split (the language models' "
                       "baseline)");
  return command;
}

cl::OptionCategory &axon::textBaselineCategory() {
  static cl::OptionCategory category("axonc text-baseline options");
  return category;
}

namespace {

cl::list<std::string> sources(cl::Positional,
                              cl::desc("[fortunes | text files...]"),
                              cl::cat(textBaselineCategory()),
                              cl::sub(textBaselineCommand()));
cl::opt<TokenLevel> level(
    "level", cl::desc("Tokens: char (default) or word"),
    cl::init(TokenLevel::Char),
    cl::values(clEnumValN(TokenLevel::Char, "char", "Unicode code points"),
               clEnumValN(TokenLevel::Word, "word",
                          "lower-cased words and punctuation")),
    cl::cat(textBaselineCategory()), cl::sub(textBaselineCommand()));
cl::opt<double> validation("validation",
                           cl::desc("The fraction of tokens at the end that "
                                    "is the validation split (default 0.1)"),
                           cl::init(0.1), cl::cat(textBaselineCategory()),
                           cl::sub(textBaselineCommand()));
cl::opt<double> alpha("alpha",
                      cl::desc("Add-alpha smoothing of the bigram counts "
                               "(default 1: add-one)"),
                      cl::init(1.0), cl::cat(textBaselineCategory()),
                      cl::sub(textBaselineCommand()));
cl::opt<int64_t> words("words",
                       cl::desc("Word level: the vocabulary's most frequent "
                                "words (default 0: every word)"),
                       cl::init(0), cl::cat(textBaselineCategory()),
                       cl::sub(textBaselineCommand()));

} // namespace

int axon::runTextBaseline() {
  TextOptions options;
  options.files.assign(sources.begin(), sources.end());
  if (options.files.empty())
    options.files.push_back(kFortunesName);
  options.level = level;
  options.validation = validation;
  options.maxWords = words;
  auto text = tokenizeText(options);
  if (!text)
    return fail(llvm::toString(text.takeError()));
  auto score = bigramBaseline(text->train, text->validation,
                              text->vocabulary.size(), alpha);
  if (!score)
    return fail(options.describe() + ": " + llvm::toString(score.takeError()));
  const char *unit = level == TokenLevel::Char ? "char" : "word";
  llvm::outs() << options.describe() << ": " << text->train.size()
               << " training and " << text->validation.size()
               << " validation tokens, " << text->vocabulary.size()
               << " ids (the unknown one included)\n"
               << llvm::format("bigram (add-%g): training %.4f nats/%s, "
                               "validation %.4f nats/%s\n",
                               double(alpha), score->trainNll, unit,
                               score->validationNll, unit);
  return 0;
}
