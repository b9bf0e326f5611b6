// A one-line training progress bar for the terminal.
#ifndef AXON_RUNTIME_PROGRESSBAR_H
#define AXON_RUNTIME_PROGRESSBAR_H

#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace axon {

/// On a terminal, redraws `epoch 1/5 [=====>    ] 120/469  loss 0.5321
/// 8123 samples/s` in place (at most ten times a second); elsewhere (a log
/// file, CI) prints a plain line every tenth of an epoch.
class ProgressBar {
public:
  ProgressBar(llvm::raw_ostream &os, int64_t epochs, int64_t stepsPerEpoch);
  /// `step` counts from 1 within `epoch` (counted from 1).
  void update(int64_t epoch, int64_t step, double loss, double samplesPerSecond);
  /// Ends the epoch's line with a summary.
  void finishEpoch(int64_t epoch, const std::string &summary);

private:
  std::string line(int64_t epoch, int64_t step, double loss, double rate) const;
  llvm::raw_ostream &os_;
  int64_t epochs_, steps_;
  bool terminal_;
  std::chrono::steady_clock::time_point lastDraw_;
  int64_t lastTenth_ = -1;
};

} // namespace axon

#endif // AXON_RUNTIME_PROGRESSBAR_H
