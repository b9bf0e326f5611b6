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
  addText(name, std::move(buffer), llvm::SMLoc());
  diagnostics_ = std::make_unique<ModelDiagnosticHandler>(*this, errs);
}

SourceFile::~SourceFile() = default;

void SourceFile::addText(llvm::StringRef name,
                         std::unique_ptr<llvm::MemoryBuffer> buffer,
                         llvm::SMLoc importedAt) {
  Text t;
  t.name = name.str();
  t.importedAt = importedAt;
  t.bufferId = sourceMgr_.AddNewSourceBuffer(std::move(buffer), importedAt);
  llvm::StringRef text = sourceMgr_.getMemoryBuffer(t.bufferId)->getBuffer();
  t.lineStarts.push_back(0);
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n')
      t.lineStarts.push_back(i + 1);
  texts_.push_back(std::move(t));
}

llvm::StringRef SourceFile::addImport(llvm::StringRef name,
                                      llvm::StringRef text,
                                      llvm::SMLoc importedAt) {
  addText(name, llvm::MemoryBuffer::getMemBufferCopy(text, name), importedAt);
  return textOf(texts_.back());
}

llvm::StringRef SourceFile::textOf(const Text &t) const {
  return sourceMgr_.getMemoryBuffer(t.bufferId)->getBuffer();
}

llvm::StringRef SourceFile::text() const { return textOf(texts_.front()); }

const SourceFile::Text *SourceFile::textHolding(const char *p) const {
  if (!p)
    return nullptr;
  for (const Text &t : texts_) {
    llvm::StringRef text = textOf(t);
    if (p >= text.begin() && p <= text.end())
      return &t;
  }
  return nullptr;
}

llvm::StringRef SourceFile::textContaining(const char *p) const {
  const Text *t = textHolding(p);
  return t ? textOf(*t) : llvm::StringRef();
}

std::pair<llvm::StringRef, llvm::SMLoc>
SourceFile::textNamed(llvm::StringRef name) const {
  for (const Text &t : texts_)
    if (t.name == name)
      return {textOf(t), t.importedAt};
  return {llvm::StringRef(), llvm::SMLoc()};
}

mlir::FileLineColLoc SourceFile::location(llvm::SMLoc loc) const {
  auto [line, col] = lineAndColumn(loc);
  const Text *t = textHolding(loc.getPointer());
  return mlir::FileLineColLoc::get(&context_, t ? t->name : name_, line, col);
}

mlir::InFlightDiagnostic SourceFile::emitError(llvm::SMLoc loc) const {
  return mlir::emitError(location(loc));
}

unsigned SourceFile::errorCount() const { return diagnostics_->errorCount(); }
void SourceFile::setErrorLimit(unsigned limit) {
  diagnostics_->setErrorLimit(limit);
}
bool SourceFile::stopped() const { return diagnostics_->stopped(); }

const char *SourceFile::lineStart(const char *p) const {
  const Text *t = textHolding(p);
  if (!t)
    return p;
  size_t at = p - textOf(*t).begin();
  auto it = std::upper_bound(t->lineStarts.begin(), t->lineStarts.end(), at);
  return textOf(*t).begin() + *(it - 1);
}

std::pair<unsigned, unsigned> SourceFile::lineAndColumn(llvm::SMLoc loc) const {
  const char *p = loc.getPointer();
  const Text *t = textHolding(p);
  if (!t)
    return sourceMgr_.getLineAndColumn(loc, texts_.front().bufferId);
  size_t at = p - textOf(*t).begin();
  auto it = std::upper_bound(t->lineStarts.begin(), t->lineStarts.end(), at);
  unsigned line = it - t->lineStarts.begin();
  return {line, static_cast<unsigned>(at - *(it - 1) + 1)};
}

const char *SourceFile::pointerAt(unsigned line, unsigned column,
                                  llvm::StringRef in) const {
  const Text *t = &texts_.front();
  if (!in.empty()) {
    t = nullptr;
    for (const Text &x : texts_)
      if (x.name == in) {
        t = &x;
        break;
      }
    if (!t)
      return nullptr;
  }
  if (line == 0 || line > t->lineStarts.size() || column == 0)
    return nullptr;
  size_t at = t->lineStarts[line - 1] + column - 1;
  llvm::StringRef text = textOf(*t);
  return at <= text.size() ? text.begin() + at : nullptr;
}
