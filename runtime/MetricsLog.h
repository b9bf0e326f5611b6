// The training metrics log: one JSON object per line, per step and per epoch.
#ifndef AXON_RUNTIME_METRICSLOG_H
#define AXON_RUNTIME_METRICSLOG_H

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <optional>
#include <string>

namespace axon {

class MetricsLog {
public:
  /// Creates (truncates) `path`.
  static llvm::Expected<MetricsLog> open(const std::string &path);

  void logStep(int64_t epoch, int64_t step, int64_t globalStep, double loss,
               double samplesPerSecond);
  void logEpoch(int64_t epoch, double trainLoss, std::optional<double> evalLoss,
                std::optional<double> evalMetric, double seconds);

private:
  explicit MetricsLog(std::unique_ptr<llvm::raw_fd_ostream> os)
      : os_(std::move(os)) {}
  std::unique_ptr<llvm::raw_fd_ostream> os_;
};

} // namespace axon

#endif // AXON_RUNTIME_METRICSLOG_H
