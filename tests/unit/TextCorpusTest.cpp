// Tests of reading text for a text source (runtime/data/TextCorpus.h): the
// error of every bad file, UTF-8 code points, fortune records, and the
// installed fortunes corpus (skipped when Debian's fortunes package is
// missing).
#include "runtime/data/TextCorpus.h"
#include "tests/unit/TempDirTest.h"

#include "llvm/Support/FileSystem.h"

#include <gtest/gtest.h>

#include <set>

using namespace axon;

namespace {

class TextCorpusTest : public axon::test::TempDirTest {};

TEST_F(TextCorpusTest, BadFilesAreNamedWithWhy) {
  std::string missing = path("missing.txt");
  EXPECT_EQ(errorOf(readTextFile(missing)),
            missing + ": cannot open: No such file or directory");
  EXPECT_EQ(errorOf(readTextFile(std::string(dir))),
            std::string(dir) + ": not a regular file (a directory); only "
                               "regular files are read");
  std::string empty = write("empty.txt", "");
  EXPECT_EQ(errorOf(readTextFile(empty)),
            empty + ": is empty; a text source needs some text");
  std::string binary = write("binary.txt", std::string("ab\ncd\0e", 7));
  EXPECT_EQ(errorOf(readTextFile(binary)),
            binary + ":2:3: holds a NUL byte (offset 5): a binary file, not "
                     "text");
  // Latin-1 "café" (0xE9 followed by a newline), on line 3.
  std::string latin1 = write("latin1.txt", "one\ntwo\ncaf\xE9\n");
  EXPECT_EQ(errorOf(readTextFile(latin1)),
            latin1 + ":3:4: not UTF-8 text (byte 0xe9 at offset 11 does not "
                     "start a valid sequence)");
  // A sequence cut short at the end of the file, and an overlong '/'.
  std::string cut = write("cut.txt", "ok \xE2\x82");
  EXPECT_NE(errorOf(readTextFile(cut)).find(":1:4: not UTF-8 text (byte 0xe2"),
            std::string::npos);
  std::string overlong = write("overlong.txt", "\xC0\xAF");
  EXPECT_NE(errorOf(readTextFile(overlong)).find(":1:1: not UTF-8 text"),
            std::string::npos);
  // Valid UTF-8, accents and a character outside the BMP, reads as it is.
  std::string good = write("good.txt", "caf\xC3\xA9 \xF0\x9F\x98\x80\n");
  auto text = readTextFile(good);
  ASSERT_TRUE(bool(text)) << llvm::toString(text.takeError());
  EXPECT_EQ(*text, "caf\xC3\xA9 \xF0\x9F\x98\x80\n");
}

TEST_F(TextCorpusTest, CodePointsRoundTrip) {
  std::string s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\n";
  std::vector<uint32_t> cs = codePoints(s);
  EXPECT_EQ(cs, (std::vector<uint32_t>{'a', 0xE9, 0x20AC, 0x1F600, '\n'}));
  std::string back;
  for (uint32_t c : cs)
    back += utf8(c);
  EXPECT_EQ(back, s);
  EXPECT_EQ(utf8(0xD800), "\xEF\xBF\xBD"); // a surrogate is no character
  EXPECT_EQ(utf8(0x110000), "\xEF\xBF\xBD");
  EXPECT_TRUE(codePoints("").empty());
}

TEST_F(TextCorpusTest, FortuneRecordsDropTheSeparators) {
  EXPECT_EQ(fortuneRecords("one\n%\ntwo\n  lines\n%\n"),
            "one\n\ntwo\n  lines\n\n");
  // Empty records, a file without a final newline or a final '%', CRLF.
  EXPECT_EQ(fortuneRecords("%\n%\nlast"), "last\n\n");
  EXPECT_EQ(fortuneRecords("a\r\n%\r\nb\r\n"), "a\r\n\nb\r\n\n");
  // '%' inside a line is text.
  EXPECT_EQ(fortuneRecords("50% off\n%\n"), "50% off\n\n");
  EXPECT_EQ(fortuneRecords(""), "");
  // Overstrikes show their last character; BEL shows nothing.
  EXPECT_EQ(fortuneRecords("your ____\b\b\b\bBODY!\a\n%\n"), "your BODY!\n\n");
  EXPECT_EQ(fortuneRecords("*___\b\b\band* b\bbold _\bx\n"),
            "*and* bold x\n\n");
  EXPECT_EQ(fortuneRecords("\b\bx\n"), "x\n\n"); // no column before the first
  EXPECT_EQ(fortuneRecords("caf\xC3\xA9\b\xC3\xA8\n"), "caf\xC3\xA8\n\n");
}

TEST_F(TextCorpusTest, CorpusReadsFilesInOrder) {
  std::string a = write("a.txt", "first\n"), b = write("b.txt", "second\n");
  auto text = readCorpus({a, b});
  ASSERT_TRUE(bool(text)) << llvm::toString(text.takeError());
  EXPECT_EQ(*text, "first\nsecond\n");
  EXPECT_EQ(errorOf(readCorpus({})),
            "a text source needs a file, or \"fortunes\"");
  // The fortunes corpus in a directory without it says what to install.
  std::string err = errorOf(readCorpus({"fortunes"}, std::string(dir)));
  EXPECT_EQ(err, path("art") + ": missing; the \"fortunes\" corpus is "
                               "Debian's fortunes package (apt-get install "
                               "fortunes, or scripts/setup.sh)");
  // A fortunes directory of one's own: every file, as records.
  for (const char *name : fortuneFileNames())
    write(name, std::string(name) + "\n%\n");
  auto small = readCorpus({"fortunes"}, std::string(dir));
  ASSERT_TRUE(bool(small)) << llvm::toString(small.takeError());
  EXPECT_EQ(small->substr(0, 16), "art\n\ncomputers\n\n");
}

TEST_F(TextCorpusTest, InstalledFortunesCorpus) {
  if (!llvm::sys::fs::exists(std::string(kFortunesDir) + "/fortunes"))
    GTEST_SKIP() << "Debian's fortunes package is not installed ("
                 << kFortunesDir << "); scripts/setup.sh installs it";
  auto text = readCorpus({"fortunes"});
  ASSERT_TRUE(bool(text)) << llvm::toString(text.takeError());
  // 2.57 MB of files, less the "%" lines.
  EXPECT_GT(text->size(), 2'300'000u);
  EXPECT_LT(text->size(), 2'600'000u);
  std::vector<uint32_t> cs = codePoints(*text);
  std::set<uint32_t> distinct(cs.begin(), cs.end());
  EXPECT_GT(distinct.size(), 80u);  // letters of both cases, digits, marks
  EXPECT_LT(distinct.size(), 200u); // English, not a binary
  EXPECT_EQ(text->find("\n%\n"), std::string::npos);
}

} // namespace
