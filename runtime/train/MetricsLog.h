// The training metrics log: JSON lines, one object per step and per epoch.
#ifndef AXON_RUNTIME_TRAIN_METRICSLOG_H
#define AXON_RUNTIME_TRAIN_METRICSLOG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <optional>
#include <string>

namespace axon {

/// Writes records such as (llvm::json sorts the keys)
///   {"epoch":1,"global_step":2,"kind":"step","loss":0.53,
///    "samples_per_s":8123,"step":3}
///   {"epoch":1,"eval_loss":0.55,"eval_metric":0.81,"kind":"epoch",
///    "seconds":7.2,"train_loss":0.61,"train_metric":0.83,
///    "validation_loss":0.57}
/// Epochs and steps count from 1, the global step from 0. A non-finite
/// number (a diverged loss) is written as null: JSON has no NaN. Absent eval
/// results are left out. Step records are buffered; each epoch record
/// flushes the file.
class MetricsLog {
public:
  /// Creates (truncates) `path`.
  static llvm::Expected<MetricsLog> open(llvm::StringRef path);
  /// Opens `path` to continue a resumed run: keeps its step records before
  /// `globalStep` and epoch records up to `epochsDone`, drops the rest (steps
  /// done after the checkpoint the run resumes from), and appends from
  /// there. A missing file is created.
  static llvm::Expected<MetricsLog> reopen(llvm::StringRef path,
                                           int64_t globalStep,
                                           int64_t epochsDone);

  MetricsLog(MetricsLog &&) = default;
  MetricsLog &operator=(MetricsLog &&) = default;
  /// Write errors not yet reported by logEpoch are dropped, not fatal.
  ~MetricsLog();

  void logStep(int64_t epoch, int64_t step, int64_t globalStep, double loss,
               double samplesPerSecond);
  /// Writes the record and flushes; reports a failed write (disk full).
  llvm::Error logEpoch(int64_t epoch, double trainLoss,
                       std::optional<double> evalLoss,
                       std::optional<double> evalMetric, double seconds,
                       std::optional<double> trainMetric = std::nullopt,
                       std::optional<double> validationLoss = std::nullopt,
                       std::optional<double> validationMetric = std::nullopt);

  const std::string &path() const { return path_; }

private:
  MetricsLog(std::string path, std::unique_ptr<llvm::raw_fd_ostream> os)
      : path_(std::move(path)), os_(std::move(os)) {}
  std::string path_;
  std::unique_ptr<llvm::raw_fd_ostream> os_;
};

} // namespace axon

#endif // AXON_RUNTIME_TRAIN_METRICSLOG_H
