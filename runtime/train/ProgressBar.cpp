// A one-line training progress bar (see ProgressBar.h).
#include "runtime/train/ProgressBar.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

using namespace axon;

namespace {
constexpr int kBarWidth = 30;
constexpr std::chrono::milliseconds kRedrawInterval(100);
} // namespace

std::string axon::formatLoss(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+inf" : "-inf";
  char text[32];
  double a = std::fabs(v);
  std::snprintf(text, sizeof text,
                a >= 1e6 || (a > 0 && a < 1e-4) ? "%.4g" : "%.4f", v);
  return text;
}

ProgressBar::ProgressBar(llvm::raw_ostream &os, int64_t epochs,
                         int64_t stepsPerEpoch)
    : os_(os), epochs_(epochs), steps_(std::max<int64_t>(stepsPerEpoch, 1)),
      terminal_(os.is_displayed()) {}

std::string ProgressBar::barLine(int64_t epoch, int64_t step, double loss,
                                 double rate) const {
  int64_t clamped = std::clamp<int64_t>(step, 0, steps_);
  int filled = static_cast<int>(kBarWidth * clamped / steps_);
  std::string bar(filled, '=');
  if (filled < kBarWidth)
    bar += '>' + std::string(kBarWidth - filled - 1, ' ');
  return llvm::formatv(
             "epoch {0}/{1} [{2}] {3}/{4}  loss {5}  {6:F0} samples/s",
             epoch, epochs_, bar, step, steps_, formatLoss(loss), rate)
      .str();
}

std::string ProgressBar::plainLine(int64_t epoch, int64_t step, double loss,
                                   double rate) const {
  return llvm::formatv(
             "epoch {0}/{1}  step {2}/{3}  loss {4}  {5:F0} samples/s",
             epoch, epochs_, step, steps_, formatLoss(loss), rate)
      .str();
}

void ProgressBar::update(int64_t epoch, int64_t step, double loss,
                         double samplesPerSecond) {
  bool last = step >= steps_;
  if (terminal_) {
    auto now = std::chrono::steady_clock::now();
    if (!last && drawnWidth_ != 0 && now - lastDraw_ < kRedrawInterval)
      return;
    lastDraw_ = now;
    std::string line = barLine(epoch, step, loss, samplesPerSecond);
    // '\r' only moves the cursor: blank out what a longer previous line
    // (a wider loss or rate) left behind.
    size_t width = line.size();
    if (line.size() < drawnWidth_)
      line.append(drawnWidth_ - line.size(), ' ');
    drawnWidth_ = std::max<size_t>(width, 1);
    os_ << '\r' << line;
    os_.flush();
    return;
  }
  int64_t tenth = std::min<int64_t>(step * 10 / steps_, 10);
  if (tenth <= lastTenth_ && !last)
    return;
  lastTenth_ = last ? 10 : tenth;
  os_ << plainLine(epoch, step, loss, samplesPerSecond) << '\n';
  os_.flush();
}

void ProgressBar::interrupt() {
  if (terminal_ && drawnWidth_ != 0)
    os_ << '\n';
  drawnWidth_ = 0;
  os_.flush();
}

void ProgressBar::finishEpoch(int64_t epoch, const std::string &summary) {
  interrupt();
  os_ << llvm::formatv("epoch {0}/{1}: {2}\n", epoch, epochs_, summary);
  os_.flush();
  lastTenth_ = 0;
}
