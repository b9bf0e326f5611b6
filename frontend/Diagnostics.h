// Diagnostics for model files: `file:line:col: error: message`, the source
// line and a caret. A long line is cut to a window around the caret
// (kDiagnosticContext columns each side, "..." where cut), so output stays
// linear in the number of errors; after the error limit (`--error-limit`,
// default 20) one "too many errors" line is printed and the rest are only
// counted, and the lexer, parser and MLIRGen stop early.
#ifndef AXON_FRONTEND_DIAGNOSTICS_H
#define AXON_FRONTEND_DIAGNOSTICS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>
#include <vector>

namespace axon {

/// Columns of source shown on each side of a diagnostic's caret.
constexpr unsigned kDiagnosticContext = 60;

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
  /// Errors printed before "too many errors"; 0 prints them all. The
  /// default is axonc's `--error-limit` (20).
  void setErrorLimit(unsigned limit) { errorLimit_ = limit; }
  unsigned errorLimit() const { return errorLimit_; }
  /// Whether the error limit was passed: callers stop working on the file.
  bool stopped() const { return errorLimit_ != 0 && errors_ > errorLimit_; }
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
  void print(llvm::SMLoc loc, const char *kind, const llvm::Twine &message);
  /// Offset of the start of the line holding `offset` (a table built once).
  size_t lineStart(size_t offset) const;
  mutable std::vector<size_t> lineStarts_;
  unsigned errors_ = 0;
  unsigned errorLimit_;
  unsigned bufferId_ = 0;
};

} // namespace axon

#endif // AXON_FRONTEND_DIAGNOSTICS_H
