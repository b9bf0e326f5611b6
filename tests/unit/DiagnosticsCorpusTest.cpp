// Runs every malformed model file in tests/diagnostics through the frontend
// and checks that exactly the errors it declares are reported, each as
// `file:line:col: error: ...` followed by the source line and a caret.
//
// A file declares its errors with comment lines
//   # expected-error@LINE:COL: text the message must contain
#include "frontend/MLIRGen.h"
#include "ir/AxonDialect.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace {

struct Expected {
  unsigned line, col;
  std::string text;
};

std::vector<std::string> corpus() {
  std::vector<std::string> files;
  std::error_code ec;
  std::string dir = std::string(AXON_SOURCE_DIR) + "/tests/diagnostics";
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::StringRef(it->path()).ends_with(".axon"))
      files.push_back(it->path());
  std::sort(files.begin(), files.end());
  return files;
}

class DiagnosticsCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(DiagnosticsCorpus, ReportsExactlyTheDeclaredErrors) {
  const std::string &path = GetParam();
  auto buffer = llvm::MemoryBuffer::getFile(path);
  ASSERT_TRUE(bool(buffer)) << path;
  llvm::StringRef text = (*buffer)->getBuffer();

  std::vector<Expected> expected;
  llvm::Regex directive("# expected-error@([0-9]+):([0-9]+): (.*)$");
  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n');
  for (llvm::StringRef line : lines) {
    llvm::SmallVector<llvm::StringRef> m;
    if (directive.match(line, &m))
      expected.push_back({static_cast<unsigned>(std::stoi(m[1].str())),
                          static_cast<unsigned>(std::stoi(m[2].str())),
                          m[3].str()});
  }
  ASSERT_FALSE(expected.empty()) << path << " declares no expected-error";

  std::string output;
  llvm::raw_string_ostream os(output);
  axon::SourceFile file(path, text, os);
  mlir::MLIRContext context;
  context.loadDialect<axon::AxonDialect, mlir::func::FuncDialect>();
  auto module = axon::compileSource(context, file);
  os.flush();
  EXPECT_FALSE(module) << path << " compiled without errors";
  EXPECT_EQ(file.errorCount(), expected.size()) << output;

  for (const Expected &e : expected) {
    std::string prefix = path + ":" + std::to_string(e.line) + ":" +
                         std::to_string(e.col) + ": error: ";
    size_t at = output.find(prefix);
    ASSERT_NE(at, std::string::npos)
        << "missing error at " << e.line << ":" << e.col << "\n" << output;
    size_t eol = output.find('\n', at);
    std::string message = output.substr(at + prefix.size(), eol - at - prefix.size());
    EXPECT_NE(message.find(e.text), std::string::npos)
        << "message '" << message << "' lacks '" << e.text << "'";
    // The next lines are the offending source line and a caret under COL;
    // a long line is cut to kDiagnosticContext columns around the caret.
    size_t eol2 = output.find('\n', eol + 1);
    std::string src = output.substr(eol + 1, eol2 - eol - 1);
    std::string line = lines[e.line - 1].rtrim("\r").str();
    size_t col = e.col - 1, context = axon::kDiagnosticContext;
    size_t from = col > context ? col - context : 0;
    size_t to = std::min(line.size(), col + context + 1);
    std::string shown = (from ? "..." : "") + line.substr(from, to - from) +
                        (to < line.size() ? "..." : "");
    EXPECT_EQ(src, shown);
    size_t eol3 = output.find('\n', eol2 + 1);
    std::string caret = output.substr(eol2 + 1, eol3 - eol2 - 1);
    EXPECT_EQ(caret.find('^'), (from ? 3 : 0) + col - from) << caret;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Files, DiagnosticsCorpus, ::testing::ValuesIn(corpus()),
    [](const ::testing::TestParamInfo<std::string> &info) {
      std::string name = llvm::sys::path::stem(info.param).str();
      std::replace_if(name.begin(), name.end(),
                      [](char c) { return !std::isalnum(c); }, '_');
      return name;
    });

TEST(DiagnosticsCorpus, HasAtLeastThirtyFiles) { EXPECT_GE(corpus().size(), 30u); }

} // namespace
