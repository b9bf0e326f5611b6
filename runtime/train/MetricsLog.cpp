// The training metrics log (see MetricsLog.h), written with llvm::json.
#include "runtime/train/MetricsLog.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

using namespace axon;

/// A number, or null where JSON cannot hold it (llvm::json would print
/// "nan" or "inf", which no JSON parser reads back).
static llvm::json::Value number(double v) {
  if (!std::isfinite(v))
    return nullptr;
  return v;
}

llvm::Expected<MetricsLog> MetricsLog::open(llvm::StringRef path) {
  std::error_code ec;
  auto os = std::make_unique<llvm::raw_fd_ostream>(path, ec);
  if (ec)
    return llvm::createStringError(
        path + ": cannot open the metrics log: " + ec.message());
  return MetricsLog(path.str(), std::move(os));
}

llvm::Expected<MetricsLog> MetricsLog::reopen(llvm::StringRef path,
                                              int64_t globalStep,
                                              int64_t epochsDone) {
  std::string kept;
  if (auto old = llvm::MemoryBuffer::getFile(path, /*IsText=*/true)) {
    llvm::SmallVector<llvm::StringRef> lines;
    (*old)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef line : lines) {
      auto record = llvm::json::parse(line);
      const llvm::json::Object *o = record ? record->getAsObject() : nullptr;
      if (!o) { // A line cut short by the crash being recovered from.
        llvm::consumeError(record.takeError());
        continue;
      }
      auto kind = o->getString("kind");
      bool keep = (kind == "step" &&
                   o->getInteger("global_step").value_or(INT64_MAX) < globalStep) ||
                  (kind == "epoch" &&
                   o->getInteger("epoch").value_or(INT64_MAX) <= epochsDone);
      if (keep)
        kept += line.str() + "\n";
    }
  }
  auto log = open(path);
  if (log) {
    *log->os_ << kept;
    log->os_->flush();
  }
  return log;
}

MetricsLog::~MetricsLog() {
  if (!os_)
    return;
  os_->flush();
  // raw_fd_ostream aborts the process on destruction if a write error was
  // never looked at; a metrics log must not take training down with it.
  if (os_->has_error())
    os_->clear_error();
}

void MetricsLog::logStep(int64_t epoch, int64_t step, int64_t globalStep,
                         double loss, double samplesPerSecond) {
  *os_ << llvm::json::Value(
              llvm::json::Object{{"kind", "step"},
                                 {"epoch", epoch},
                                 {"step", step},
                                 {"global_step", globalStep},
                                 {"loss", number(loss)},
                                 {"samples_per_s", number(samplesPerSecond)}})
       << "\n";
}

llvm::Error MetricsLog::logEpoch(int64_t epoch, double trainLoss,
                                 std::optional<double> evalLoss,
                                 std::optional<double> evalMetric,
                                 double seconds,
                                 std::optional<double> trainMetric,
                                 std::optional<double> validationLoss,
                                 std::optional<double> validationMetric) {
  llvm::json::Object o{
      {"kind", "epoch"}, {"epoch", epoch}, {"train_loss", number(trainLoss)}};
  if (trainMetric)
    o["train_metric"] = number(*trainMetric);
  if (evalLoss)
    o["eval_loss"] = number(*evalLoss);
  if (evalMetric)
    o["eval_metric"] = number(*evalMetric);
  if (validationLoss)
    o["validation_loss"] = number(*validationLoss);
  if (validationMetric)
    o["validation_metric"] = number(*validationMetric);
  o["seconds"] = number(seconds);
  *os_ << llvm::json::Value(std::move(o)) << "\n";
  os_->flush();
  if (os_->has_error()) {
    std::string why = os_->error().message();
    os_->clear_error();
    return llvm::createStringError(path_ +
                                   ": cannot write the metrics log: " + why);
  }
  return llvm::Error::success();
}
