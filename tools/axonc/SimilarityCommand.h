// `axonc similar`: how a checkpoint's word embeddings group words: the mean
// cosine similarity within categories (weekdays, months, number words,
// colours) against that of random word pairs, and nearest neighbours.
#ifndef AXON_TOOLS_AXONC_SIMILARITYCOMMAND_H
#define AXON_TOOLS_AXONC_SIMILARITYCOMMAND_H

#include "llvm/Support/CommandLine.h"

namespace axon {

/// The subcommand and its options' category (for axonc's --help).
llvm::cl::SubCommand &similarityCommand();
llvm::cl::OptionCategory &similarityCategory();

/// Reads the embedding parameter and vocabulary from the checkpoint and
/// prints the similarities (runtime/train/EmbeddingSimilarity.h). Returns
/// the process exit code.
int runSimilarity();

} // namespace axon

#endif // AXON_TOOLS_AXONC_SIMILARITYCOMMAND_H
