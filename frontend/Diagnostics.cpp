// Diagnostics for model files (see Diagnostics.h).
#include "frontend/Diagnostics.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>

using namespace axon;

static llvm::cl::opt<unsigned> errorLimitOption(
    "error-limit",
    llvm::cl::desc("Stop reporting errors in a model file after N (0: no "
                   "limit)"),
    llvm::cl::value_desc("N"), llvm::cl::init(20),
    llvm::cl::sub(llvm::cl::SubCommand::getAll()));

std::unique_ptr<SourceFile> SourceFile::open(llvm::StringRef path,
                                             llvm::raw_ostream &errs) {
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (!buffer) {
    errs << path << ": error: cannot read file: " << buffer.getError().message()
         << "\n";
    return nullptr;
  }
  return std::unique_ptr<SourceFile>(
      new SourceFile(path, std::move(*buffer), errs));
}

SourceFile::SourceFile(llvm::StringRef name, llvm::StringRef text,
                       llvm::raw_ostream &errs)
    : SourceFile(name, llvm::MemoryBuffer::getMemBufferCopy(text, name), errs) {}

SourceFile::SourceFile(llvm::StringRef name,
                       std::unique_ptr<llvm::MemoryBuffer> buffer,
                       llvm::raw_ostream &errs)
    : name_(name.str()), errs_(errs), errorLimit_(errorLimitOption) {
  bufferId_ = sourceMgr_.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
}

llvm::StringRef SourceFile::text() const {
  return sourceMgr_.getMemoryBuffer(bufferId_)->getBuffer();
}

void SourceFile::error(llvm::SMLoc loc, const llvm::Twine &message) {
  ++errors_;
  if (errorLimit_ != 0 && errors_ > errorLimit_) {
    if (errors_ == errorLimit_ + 1)
      errs_ << name_ << ": error: too many errors (" << errorLimit_
            << "; --error-limit=N to change), stopping\n";
    return;
  }
  print(loc, "error", message);
}

void SourceFile::note(llvm::SMLoc loc, const llvm::Twine &message) {
  if (stopped())
    return;
  print(loc, "note", message);
}

/// `file:line:col: kind: message`, the line (tabs expanded to 8-column
/// stops, as LLVM's SourceMgr prints them) and a caret under the column;
/// a line longer than the window is cut around the caret. Only the line
/// itself is scanned: the line number comes from SourceMgr's offset cache.
void SourceFile::print(llvm::SMLoc loc, const char *kind,
                       const llvm::Twine &message) {
  llvm::StringRef text = this->text();
  const char *p = loc.getPointer();
  if (!p || p < text.begin() || p > text.end()) {
    errs_ << name_ << ": " << kind << ": " << message << "\n";
    return;
  }
  auto [line, col] = lineAndColumn(loc);
  errs_ << name_ << ":" << line << ":" << col << ": " << kind << ": "
        << message << "\n";
  size_t at = p - text.begin();
  size_t begin = lineStart(at);
  size_t end = text.find('\n', at);
  if (end == llvm::StringRef::npos)
    end = text.size();
  llvm::StringRef src = text.slice(begin, end).rtrim("\r");
  // Expand tabs; remember where the caret's character lands.
  std::string shown;
  size_t caret = 0;
  for (size_t i = 0; i < src.size(); ++i) {
    if (begin + i == at)
      caret = shown.size();
    if (src[i] == '\t')
      shown.append(8 - shown.size() % 8, ' ');
    else
      shown += src[i];
  }
  if (begin + src.size() <= at)
    caret = shown.size() + (at - begin - src.size());
  size_t from = 0, to = shown.size();
  if (caret > kDiagnosticContext)
    from = caret - kDiagnosticContext;
  if (to > caret + kDiagnosticContext + 1)
    to = caret + kDiagnosticContext + 1;
  std::string prefix = from > 0 ? "..." : "";
  errs_ << prefix << llvm::StringRef(shown).slice(from, to)
        << (to < shown.size() ? "..." : "") << "\n";
  errs_.indent(prefix.size() + caret - from) << "^\n";
}

size_t SourceFile::lineStart(size_t offset) const {
  if (lineStarts_.empty()) {
    llvm::StringRef text = this->text();
    lineStarts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n')
        lineStarts_.push_back(i + 1);
  }
  auto it = std::upper_bound(lineStarts_.begin(), lineStarts_.end(), offset);
  return *(it - 1);
}

// SourceMgr's own lookup scans back to the line start on every call, which
// is quadratic on a long line (MLIRGen asks for every op's location).
std::pair<unsigned, unsigned> SourceFile::lineAndColumn(llvm::SMLoc loc) const {
  llvm::StringRef text = this->text();
  const char *p = loc.getPointer();
  if (!p || p < text.begin() || p > text.end())
    return sourceMgr_.getLineAndColumn(loc, bufferId_);
  size_t at = p - text.begin();
  size_t start = lineStart(at);
  unsigned line = std::upper_bound(lineStarts_.begin(), lineStarts_.end(), at) -
                  lineStarts_.begin();
  return {line, static_cast<unsigned>(at - start + 1)};
}
