// The training metrics log (see MetricsLog.h), written with llvm::json.
#include "runtime/MetricsLog.h"

#include "llvm/Support/JSON.h"

using namespace axon;

llvm::Expected<MetricsLog> MetricsLog::open(const std::string &path) {
  std::error_code ec;
  auto os = std::make_unique<llvm::raw_fd_ostream>(path, ec);
  if (ec)
    return llvm::createStringError(path + ": cannot write metrics: " +
                                   ec.message());
  return MetricsLog(std::move(os));
}

void MetricsLog::logStep(int64_t epoch, int64_t step, int64_t globalStep,
                         double loss, double samplesPerSecond) {
  *os_ << llvm::json::Value(llvm::json::Object{{"kind", "step"},
                                               {"epoch", epoch},
                                               {"step", step},
                                               {"global_step", globalStep},
                                               {"loss", loss},
                                               {"samples_per_s", samplesPerSecond}})
       << "\n";
}

void MetricsLog::logEpoch(int64_t epoch, double trainLoss,
                          std::optional<double> evalLoss,
                          std::optional<double> evalMetric, double seconds) {
  llvm::json::Object o{{"kind", "epoch"},
                       {"epoch", epoch},
                       {"train_loss", trainLoss},
                       {"seconds", seconds}};
  if (evalLoss)
    o["eval_loss"] = *evalLoss;
  if (evalMetric)
    o["eval_metric"] = *evalMetric;
  *os_ << llvm::json::Value(std::move(o)) << "\n";
  os_->flush();
}
