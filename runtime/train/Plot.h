// Training curves as an SVG image: loss (per step and per epoch, train and
// eval) and the eval metric (train and eval, per epoch), drawn from a
// metrics log (MetricsLog.h) so a user can look instead of read.
#ifndef AXON_RUNTIME_TRAIN_PLOT_H
#define AXON_RUNTIME_TRAIN_PLOT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace axon {

/// The plot's file for a metrics log: "run.metrics.jsonl" -> "run.metrics.svg".
std::string plotPathFor(llvm::StringRef metricsPath);

/// Reads the JSON-lines metrics log at `metricsPath` and writes the plot to
/// `svgPath` (replacing it atomically). `metricName` labels the second
/// panel (e.g. "accuracy_of"). Errors name the file: unreadable log, a line
/// that is not a JSON object, an unwritable image.
llvm::Error writeTrainingPlot(llvm::StringRef metricsPath,
                              llvm::StringRef svgPath,
                              llvm::StringRef metricName);

} // namespace axon

#endif // AXON_RUNTIME_TRAIN_PLOT_H
