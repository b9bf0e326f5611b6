// A matrix as an SVG heatmap: one shaded cell per entry, its value written
// in it, labelled rows and columns. Drawn for a seq2seq model's attention
// weights (rows: output steps, columns: input positions), or any 2-D result
// of `axonc run` (`axonc heatmap weights.npy -o weights.svg`).
#ifndef AXON_RUNTIME_TRAIN_HEATMAP_H
#define AXON_RUNTIME_TRAIN_HEATMAP_H

#include "runtime/core/Tensor.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace axon {

struct HeatmapOptions {
  std::string title;
  /// One label per row / column (empty: their indices 0, 1, ...).
  std::vector<std::string> rowLabels, columnLabels;
  /// What the rows and columns are ("output step", "input position").
  std::string rowAxis, columnAxis;
  /// The values of the lightest and darkest shade (default: the smallest
  /// and largest finite value).
  std::optional<double> low, high;
};

/// The most rows or columns a heatmap draws (a larger matrix is an error:
/// its cells would be too small to see).
constexpr int64_t kHeatmapMaxSide = 512;

/// `values` (rank 2, or rank 3 with a leading extent of 1, as a batch of
/// one gives it) as SVG, written atomically to `svgPath`. NaN and infinite
/// entries are drawn grey, with their value. Errors: another rank, no
/// entries, a side longer than kHeatmapMaxSide, labels that are not one per
/// row / column, low >= high, an unwritable file (named).
llvm::Error writeHeatmap(const Tensor &values, const HeatmapOptions &options,
                         llvm::StringRef svgPath);

/// The SVG text writeHeatmap writes (same errors, but for the file's).
llvm::Expected<std::string> heatmapSvg(const Tensor &values,
                                       const HeatmapOptions &options);

} // namespace axon

#endif // AXON_RUNTIME_TRAIN_HEATMAP_H
