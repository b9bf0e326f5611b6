// `axonc text-baseline`: the bigram model's validation NLL on a text
// source's split, the bar a character-level language model has to beat.
#ifndef AXON_TOOLS_AXONC_TEXTBASELINECOMMAND_H
#define AXON_TOOLS_AXONC_TEXTBASELINECOMMAND_H

#include "llvm/Support/CommandLine.h"

namespace axon {

/// The subcommand and its options' category (for axonc's --help).
llvm::cl::SubCommand &textBaselineCommand();
llvm::cl::OptionCategory &textBaselineCategory();

/// Reads the text, splits and tokenizes it as a text(...) source does and
/// prints the split's sizes and the bigram baseline's NLL per token.
/// Returns the process exit code.
int runTextBaseline();

} // namespace axon

#endif // AXON_TOOLS_AXONC_TEXTBASELINECOMMAND_H
