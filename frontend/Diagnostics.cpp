// Diagnostics for model files (see Diagnostics.h).
#include "frontend/Diagnostics.h"

#include "llvm/Support/MemoryBuffer.h"

using namespace axon;

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
    : name_(name.str()), errs_(errs) {
  bufferId_ = sourceMgr_.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
}

llvm::StringRef SourceFile::text() const {
  return sourceMgr_.getMemoryBuffer(bufferId_)->getBuffer();
}

void SourceFile::error(llvm::SMLoc loc, const llvm::Twine &message) {
  ++errors_;
  sourceMgr_.PrintMessage(errs_, loc, llvm::SourceMgr::DK_Error, message);
}

void SourceFile::note(llvm::SMLoc loc, const llvm::Twine &message) {
  sourceMgr_.PrintMessage(errs_, loc, llvm::SourceMgr::DK_Note, message);
}

std::pair<unsigned, unsigned> SourceFile::lineAndColumn(llvm::SMLoc loc) const {
  return sourceMgr_.getLineAndColumn(loc, bufferId_);
}
