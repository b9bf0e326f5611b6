// A model file being compiled (see SourceFile.h).
#include "frontend/SourceFile.h"
#include "frontend/Diagnostics.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>

using namespace axon;

std::unique_ptr<SourceFile> SourceFile::open(mlir::MLIRContext &context,
                                             llvm::StringRef path,
                                             llvm::raw_ostream &errs) {
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (!buffer) {
    errs << path << ": error: cannot read file: " << buffer.getError().message()
         << "\n";
    return nullptr;
  }
  return std::unique_ptr<SourceFile>(
      new SourceFile(context, path, std::move(*buffer), errs));
}

SourceFile::SourceFile(mlir::MLIRContext &context, llvm::StringRef name,
                       llvm::StringRef text, llvm::raw_ostream &errs)
    : SourceFile(context, name,
                 llvm::MemoryBuffer::getMemBufferCopy(text, name), errs) {}

SourceFile::SourceFile(mlir::MLIRContext &context, llvm::StringRef name,
                       std::unique_ptr<llvm::MemoryBuffer> buffer,
                       llvm::raw_ostream &errs)
    : context_(context), name_(name.str()) {
  bufferId_ = sourceMgr_.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  llvm::StringRef text = this->text();
  lineStarts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n')
      lineStarts_.push_back(i + 1);
  diagnostics_ = std::make_unique<ModelDiagnosticHandler>(*this, errs);
}

SourceFile::~SourceFile() = default;

llvm::StringRef SourceFile::text() const {
  return sourceMgr_.getMemoryBuffer(bufferId_)->getBuffer();
}

mlir::FileLineColLoc SourceFile::location(llvm::SMLoc loc) const {
  auto [line, col] = lineAndColumn(loc);
  return mlir::FileLineColLoc::get(&context_, name_, line, col);
}

mlir::InFlightDiagnostic SourceFile::emitError(llvm::SMLoc loc) const {
  return mlir::emitError(location(loc));
}

unsigned SourceFile::errorCount() const { return diagnostics_->errorCount(); }
void SourceFile::setErrorLimit(unsigned limit) {
  diagnostics_->setErrorLimit(limit);
}
bool SourceFile::stopped() const { return diagnostics_->stopped(); }

size_t SourceFile::lineStart(size_t offset) const {
  auto it = std::upper_bound(lineStarts_.begin(), lineStarts_.end(), offset);
  return *(it - 1);
}

std::pair<unsigned, unsigned> SourceFile::lineAndColumn(llvm::SMLoc loc) const {
  llvm::StringRef text = this->text();
  const char *p = loc.getPointer();
  if (!p || p < text.begin() || p > text.end())
    return sourceMgr_.getLineAndColumn(loc, bufferId_);
  size_t at = p - text.begin();
  auto it = std::upper_bound(lineStarts_.begin(), lineStarts_.end(), at);
  unsigned line = it - lineStarts_.begin();
  return {line, static_cast<unsigned>(at - *(it - 1) + 1)};
}

const char *SourceFile::pointerAt(unsigned line, unsigned column) const {
  if (line == 0 || line > lineStarts_.size() || column == 0)
    return nullptr;
  size_t at = lineStarts_[line - 1] + column - 1;
  llvm::StringRef text = this->text();
  return at <= text.size() ? text.begin() + at : nullptr;
}
