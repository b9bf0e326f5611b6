// Tests of the progress bar (runtime/train/ProgressBar.h): plain lines for logs,
// throttled in-place redraws for terminals.
#include "runtime/train/ProgressBar.h"

#include "llvm/ADT/StringExtras.h"

#include <gtest/gtest.h>

using namespace axon;

namespace {

/// A string stream that claims to be a terminal.
class TerminalStream : public llvm::raw_string_ostream {
public:
  using raw_string_ostream::raw_string_ostream;
  bool is_displayed() const override { return true; }
};

TEST(ProgressBarTest, PlainLinesEveryTenthOfAnEpoch) {
  std::string text;
  llvm::raw_string_ostream os(text);
  ProgressBar bar(os, 2, 20);
  for (int epoch = 1; epoch <= 2; ++epoch) {
    for (int step = 1; step <= 20; ++step)
      bar.update(epoch, step, 0.5 / step, 8123.4);
    bar.finishEpoch(epoch, "train loss 0.1000");
  }
  EXPECT_EQ(text.find('\r'), std::string::npos);
  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(text).split(lines, '\n', -1, /*KeepEmpty=*/false);
  ASSERT_EQ(lines.size(), 22u); // 10 per epoch + 2 summaries
  EXPECT_EQ(lines[0], "epoch 1/2  step 2/20  loss 0.2500  8123 samples/s");
  EXPECT_EQ(lines[1], "epoch 1/2  step 4/20  loss 0.1250  8123 samples/s");
  EXPECT_EQ(lines[9], "epoch 1/2  step 20/20  loss 0.0250  8123 samples/s");
  EXPECT_EQ(lines[10], "epoch 1/2: train loss 0.1000");
  EXPECT_EQ(lines[11], "epoch 2/2  step 2/20  loss 0.2500  8123 samples/s");
  EXPECT_EQ(lines[21], "epoch 2/2: train loss 0.1000");
}

TEST(ProgressBarTest, PlainLinesForShortAndLongEpochs) {
  std::string text;
  llvm::raw_string_ostream os(text);
  ProgressBar few(os, 1, 3);
  for (int step = 1; step <= 3; ++step)
    few.update(1, step, 1.0, 10);
  EXPECT_EQ(text, "epoch 1/1  step 1/3  loss 1.0000  10 samples/s\n"
                  "epoch 1/1  step 2/3  loss 1.0000  10 samples/s\n"
                  "epoch 1/1  step 3/3  loss 1.0000  10 samples/s\n");
  text.clear();
  ProgressBar many(os, 1, 469);
  for (int step = 1; step <= 469; ++step)
    many.update(1, step, 1.0, 10);
  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(text).split(lines, '\n', -1, /*KeepEmpty=*/false);
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_TRUE(lines[0].contains("step 47/469")) << lines[0].str();
  EXPECT_TRUE(lines[9].contains("step 469/469")) << lines[9].str();
}

TEST(ProgressBarTest, TerminalRedrawsInPlace) {
  std::string text;
  TerminalStream os(text);
  ProgressBar bar(os, 5, 469);
  bar.update(1, 120, 0.5321, 8123);
  EXPECT_EQ(text, "\repoch 1/5 [=======>                      ] 120/469  "
                  "loss 0.5321  8123 samples/s");
  // Throttled: updates within 100 ms are skipped, the last step never is.
  for (int step = 121; step <= 469; ++step)
    bar.update(1, step, 0.5, 8000);
  size_t draws = std::count(text.begin(), text.end(), '\r');
  EXPECT_GE(draws, 2u);
  EXPECT_LT(draws, 100u);
  llvm::StringRef last = llvm::StringRef(text).rsplit('\r').second;
  EXPECT_TRUE(last.starts_with(
      "epoch 1/5 [==============================] 469/469  loss 0.5000"))
      << last.str();
  EXPECT_EQ(text.find('\n'), std::string::npos);
  bar.finishEpoch(1, "train loss 0.5000");
  EXPECT_TRUE(llvm::StringRef(text).ends_with(
      "samples/s\nepoch 1/5: train loss 0.5000\n"));
}

TEST(ProgressBarTest, TerminalBlanksWhatALongerLineLeft) {
  std::string text;
  TerminalStream os(text);
  ProgressBar bar(os, 1, 2);
  bar.update(1, 1, 123456.0, 1e6);
  size_t first = text.size() - 1; // without the '\r'
  bar.update(1, 2, 1.0, 1);       // the last step: drawn despite the throttle
  llvm::StringRef second = llvm::StringRef(text).rsplit('\r').second;
  EXPECT_EQ(second.size(), first);
  EXPECT_TRUE(second.starts_with("epoch 1/1 [=============================="
                                 "] 2/2  loss 1.0000  1 samples/s "));
  EXPECT_EQ(second.rtrim(' '), "epoch 1/1 [==============================] "
                               "2/2  loss 1.0000  1 samples/s");
}

TEST(ProgressBarTest, InterruptEndsAHalfDrawnLine) {
  std::string text;
  TerminalStream os(text);
  ProgressBar bar(os, 1, 10);
  bar.update(1, 3, 1.0, 1);
  bar.interrupt();
  EXPECT_EQ(text.back(), '\n');
  bar.interrupt(); // nothing drawn since: no blank line
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);

  std::string plain;
  llvm::raw_string_ostream log(plain);
  ProgressBar quiet(log, 1, 10);
  quiet.interrupt();
  EXPECT_EQ(plain, "");
}

} // namespace
