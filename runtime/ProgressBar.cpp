// A one-line training progress bar (see ProgressBar.h).
#include "runtime/ProgressBar.h"

#include "llvm/Support/FormatVariadic.h"

using namespace axon;

ProgressBar::ProgressBar(llvm::raw_ostream &os, int64_t epochs,
                         int64_t stepsPerEpoch)
    : os_(os), epochs_(epochs), steps_(std::max<int64_t>(stepsPerEpoch, 1)),
      terminal_(os.is_displayed()) {}

std::string ProgressBar::line(int64_t epoch, int64_t step, double loss,
                              double rate) const {
  const int width = 24;
  int filled = static_cast<int>(width * step / steps_);
  std::string bar(filled, '=');
  if (filled < width)
    bar += '>' + std::string(width - filled - 1, ' ');
  return llvm::formatv("epoch {0}/{1} [{2}] {3}/{4}  loss {5:F4}  {6:F0} samples/s",
                       epoch, epochs_, bar, step, steps_, loss, rate)
      .str();
}

void ProgressBar::update(int64_t epoch, int64_t step, double loss,
                         double samplesPerSecond) {
  auto now = std::chrono::steady_clock::now();
  if (terminal_) {
    if (step != steps_ && now - lastDraw_ < std::chrono::milliseconds(100))
      return;
    lastDraw_ = now;
    os_ << '\r' << line(epoch, step, loss, samplesPerSecond);
    os_.flush();
    return;
  }
  int64_t tenth = step * 10 / steps_;
  if (tenth == lastTenth_ && step != steps_)
    return;
  lastTenth_ = tenth;
  os_ << line(epoch, step, loss, samplesPerSecond) << '\n';
}

void ProgressBar::finishEpoch(int64_t epoch, const std::string &summary) {
  if (terminal_)
    os_ << '\n';
  os_ << llvm::formatv("epoch {0}/{1}: {2}\n", epoch, epochs_, summary);
  os_.flush();
  lastTenth_ = -1;
}
