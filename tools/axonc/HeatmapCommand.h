// `axonc heatmap`: a matrix from a .npy file (a result of `axonc run -o`,
// such as a seq2seq model's attention weights) drawn as an SVG heatmap.
#ifndef AXON_TOOLS_AXONC_HEATMAPCOMMAND_H
#define AXON_TOOLS_AXONC_HEATMAPCOMMAND_H

#include "llvm/Support/CommandLine.h"

namespace axon {

/// The subcommand and its options' category (for axonc's --help).
llvm::cl::SubCommand &heatmapCommand();
llvm::cl::OptionCategory &heatmapCategory();

/// Reads the .npy file and writes its heatmap (runtime/train/Heatmap.h).
/// Returns the process exit code.
int runHeatmap();

} // namespace axon

#endif // AXON_TOOLS_AXONC_HEATMAPCOMMAND_H
