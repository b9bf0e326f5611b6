// Diagnostics for model files: `file:line:col: error: message`, the source
// line and a caret, via LLVM's SourceMgr.
#ifndef AXON_FRONTEND_DIAGNOSTICS_H
#define AXON_FRONTEND_DIAGNOSTICS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

namespace axon {

/// One model file and the errors reported against it.
class SourceFile {
public:
  /// Reads `path`; on failure returns null and prints why to `errs`.
  static std::unique_ptr<SourceFile> open(llvm::StringRef path,
                                          llvm::raw_ostream &errs);
  /// A file whose text is given (tests, stdin).
  SourceFile(llvm::StringRef name, llvm::StringRef text,
             llvm::raw_ostream &errs);

  llvm::StringRef name() const { return name_; }
  llvm::StringRef text() const;

  void error(llvm::SMLoc loc, const llvm::Twine &message);
  void note(llvm::SMLoc loc, const llvm::Twine &message);
  unsigned errorCount() const { return errors_; }
  /// The underlying source manager, for MLIR's SourceMgrDiagnosticHandler.
  llvm::SourceMgr &sourceMgr() { return sourceMgr_; }
  /// 1-based line and column of `loc`.
  std::pair<unsigned, unsigned> lineAndColumn(llvm::SMLoc loc) const;

private:
  SourceFile(llvm::StringRef name, std::unique_ptr<llvm::MemoryBuffer> buffer,
             llvm::raw_ostream &errs);
  std::string name_;
  llvm::SourceMgr sourceMgr_;
  llvm::raw_ostream &errs_;
  unsigned errors_ = 0;
  unsigned bufferId_ = 0;
};

} // namespace axon

#endif // AXON_FRONTEND_DIAGNOSTICS_H
