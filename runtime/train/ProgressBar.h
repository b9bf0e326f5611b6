// A one-line training progress bar for the terminal, plain lines elsewhere.
#ifndef AXON_RUNTIME_TRAIN_PROGRESSBAR_H
#define AXON_RUNTIME_TRAIN_PROGRESSBAR_H

#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace axon {

/// A loss for people: "0.2500" (4 decimals), "1.602e+30" when that is too
/// wide (|v| >= 1e6 or a tiny non-zero value), "NaN", "+inf", "-inf".
std::string formatLoss(double v);

/// When `os` is a terminal (is_displayed()), redraws one line in place with
/// '\r', at most ten times a second and always at an epoch's last step:
///   epoch 1/5 [=========>          ] 120/469  loss 0.5321  8123 samples/s
/// Otherwise (a log file, CI) prints a plain line each time the epoch passes
/// another tenth of its steps, so logs stay readable:
///   epoch 1/5  step 47/469  loss 0.5321  8123 samples/s
class ProgressBar {
public:
  ProgressBar(llvm::raw_ostream &os, int64_t epochs, int64_t stepsPerEpoch);
  /// `epoch` and `step` count from 1; `step` runs to stepsPerEpoch.
  void update(int64_t epoch, int64_t step, double loss,
              double samplesPerSecond);
  /// Ends the epoch: the bar's line is kept and `summary` printed after it
  /// as "epoch E/N: summary".
  void finishEpoch(int64_t epoch, const std::string &summary);
  /// Ends a half-drawn bar's line (training stopped mid-epoch), so what is
  /// printed next starts on a fresh line.
  void interrupt();

private:
  std::string barLine(int64_t epoch, int64_t step, double loss,
                      double rate) const;
  std::string plainLine(int64_t epoch, int64_t step, double loss,
                        double rate) const;

  llvm::raw_ostream &os_;
  int64_t epochs_, steps_;
  bool terminal_;
  std::chrono::steady_clock::time_point lastDraw_;
  size_t drawnWidth_ = 0; ///< Length of the bar line on screen; 0: none.
  int64_t lastTenth_ = 0; ///< Tenths of the epoch already printed (plain).
};

} // namespace axon

#endif // AXON_RUNTIME_TRAIN_PROGRESSBAR_H
