// `axonc similar` (see SimilarityCommand.h).
#include "tools/axonc/SimilarityCommand.h"

#include "runtime/train/EmbeddingSimilarity.h"
#include "tools/axonc/Fail.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

namespace cl = llvm::cl;
using namespace axon;

cl::SubCommand &axon::similarityCommand() {
  static cl::SubCommand command(
      "similar", "Print how a checkpoint's word embeddings group words: "
                 "mean cosine within categories vs random pairs, and "
                 "nearest neighbours");
  return command;
}

cl::OptionCategory &axon::similarityCategory() {
  static cl::OptionCategory category("axonc similar options");
  return category;
}

namespace {

cl::opt<std::string> checkpointPath(cl::Positional,
                                    cl::desc("<checkpoint.safetensors>"),
                                    cl::Required,
                                    cl::cat(similarityCategory()),
                                    cl::sub(similarityCommand()));
cl::opt<std::string> param("param",
                           cl::desc("The embedding matrix, one row per "
                                    "vocabulary id (default E)"),
                           cl::init("E"), cl::cat(similarityCategory()),
                           cl::sub(similarityCommand()));
cl::list<std::string> categories(
    "category",
    cl::desc("A category of related words, instead of the default weekdays, "
             "months, numbers and colours (repeatable)"),
    cl::value_desc("name=w1,w2,..."), cl::cat(similarityCategory()),
    cl::sub(similarityCommand()));
cl::opt<std::string> neighboursOf(
    "neighbours",
    cl::desc("Words whose nearest neighbours to print (default: a few "
             "common ones, those in the vocabulary)"),
    cl::value_desc("w1,w2,..."), cl::cat(similarityCategory()),
    cl::sub(similarityCommand()));
cl::opt<int64_t> neighbourCount("k", cl::desc("Neighbours per word (default 8)"),
                                cl::init(8), cl::cat(similarityCategory()),
                                cl::sub(similarityCommand()));
cl::opt<int64_t> pairs("pairs",
                       cl::desc("Random word pairs to average (default "
                                "10000)"),
                       cl::init(10000), cl::cat(similarityCategory()),
                       cl::sub(similarityCommand()));
cl::opt<uint64_t> seed("seed", cl::desc("Seed of the random pairs (default 1)"),
                       cl::init(1), cl::cat(similarityCategory()),
                       cl::sub(similarityCommand()));

/// The words whose neighbours are printed when --neighbours is not given.
const char *const kDefaultNeighbours[] = {"monday", "june",  "three", "red",
                                          "king",   "water", "love",  "money"};

std::vector<std::string> splitWords(llvm::StringRef list) {
  std::vector<std::string> out;
  llvm::SmallVector<llvm::StringRef> parts;
  list.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef p : parts)
    if (!p.trim().empty())
      out.push_back(p.trim().lower());
  return out;
}

llvm::Expected<std::vector<WordCategory>> chosenCategories() {
  if (categories.empty())
    return defaultWordCategories();
  std::vector<WordCategory> out;
  for (llvm::StringRef spec : categories) {
    auto [name, words] = spec.split('=');
    WordCategory c{name.trim().str(), splitWords(words)};
    if (c.name.empty() || c.words.size() < 2)
      return llvm::createStringError(
          "--category '" + spec.str() +
          "': expected name=w1,w2,... with at least two words");
    out.push_back(std::move(c));
  }
  return out;
}

} // namespace

int axon::runSimilarity() {
  auto chosen = chosenCategories();
  if (!chosen)
    return fail(llvm::toString(chosen.takeError()));
  if (neighbourCount < 1)
    return fail("-k must be at least 1, not " + llvm::Twine(neighbourCount));
  auto embeddings = readWordEmbeddings(checkpointPath, param);
  if (!embeddings)
    return fail(llvm::toString(embeddings.takeError()));
  auto random = embeddings->randomPairMean(pairs, seed);
  if (!random)
    return fail(checkpointPath + ": " + llvm::toString(random.takeError()));

  // Everything is computed before anything is printed, so that an error
  // leaves no partial report.
  std::string report;
  llvm::raw_string_ostream os(report);
  os << checkpointPath << ": " << param << " (" << embeddings->dimension()
     << "-dimensional vectors of " << embeddings->vocabulary().size() - 1
     << " words)\n";
  double within = 0;
  int64_t withinPairs = 0;
  for (const WordCategory &c : *chosen) {
    CategorySimilarity s = embeddings->similarityWithin(c);
    os << c.name << ": ";
    if (s.pairs)
      os << llvm::format("mean cosine %.4f over %lld pairs", s.meanCosine,
                         (long long)s.pairs);
    else
      os << "no pairs";
    os << " (" << s.present.size() << " of " << c.words.size() << " words";
    if (!s.missing.empty())
      os << "; not in the vocabulary: " << llvm::join(s.missing, ", ");
    os << ")\n";
    if (s.pairs) {
      within += s.meanCosine * double(s.pairs);
      withinPairs += s.pairs;
    }
  }
  if (!withinPairs)
    return fail(checkpointPath + ": no category has two words in the "
                                 "vocabulary, so there is no pair to compare");
  // The mean over all the categories' pairs together.
  os << llvm::format("within categories: mean cosine %.4f over %lld pairs\n",
                     within / double(withinPairs), (long long)withinPairs);
  os << llvm::format("random pairs: mean cosine %.4f over %lld pairs (seed "
                     "%llu)\n",
                     *random, (long long)pairs, (unsigned long long)seed);

  // Words asked for must be known; the default ones are shown when the
  // vocabulary has them.
  std::vector<std::string> words;
  if (neighboursOf.getNumOccurrences()) {
    words = splitWords(neighboursOf);
  } else {
    for (const char *w : kDefaultNeighbours)
      if (embeddings->vocabulary().idOf(w) != Vocabulary::kUnknown)
        words.push_back(w);
  }
  os << "nearest neighbours (cosine):\n";
  for (const std::string &w : words) {
    auto near = embeddings->nearest(w, neighbourCount);
    if (!near)
      return fail(checkpointPath + ": " + llvm::toString(near.takeError()));
    os << "  " << w << ":";
    for (size_t i = 0; i < near->size(); ++i)
      os << (i ? ", " : " ") << (*near)[i].word
         << llvm::format(" %.3f", (*near)[i].cosine);
    os << "\n";
  }
  llvm::outs() << report;
  return 0;
}
