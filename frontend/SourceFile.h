// A model file being compiled: its text, its locations, and the errors
// reported against it. Errors are MLIR diagnostics on FileLineColLoc
// locations (`file.emitError(loc) << "..."`), which the file's
// ModelDiagnosticHandler prints and counts while the file is open.
#ifndef AXON_FRONTEND_SOURCEFILE_H
#define AXON_FRONTEND_SOURCEFILE_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
}

namespace axon {

class ModelDiagnosticHandler;

class SourceFile {
public:
  /// Reads `path` ("-": stdin); on failure returns null and prints why to
  /// `errs`. Diagnostics of `context` are printed to `errs` while the file
  /// lives (it must not outlive the context).
  static std::unique_ptr<SourceFile> open(mlir::MLIRContext &context,
                                          llvm::StringRef path,
                                          llvm::raw_ostream &errs);
  /// A file whose text is given (tests, fuzzing).
  SourceFile(mlir::MLIRContext &context, llvm::StringRef name,
             llvm::StringRef text, llvm::raw_ostream &errs);
  ~SourceFile();

  llvm::StringRef name() const { return name_; }
  llvm::StringRef text() const;
  mlir::MLIRContext &context() const { return context_; }

  /// The location of `loc`, a pointer into text().
  mlir::FileLineColLoc location(llvm::SMLoc loc) const;
  /// Reports an error at `loc` through MLIR's diagnostic engine.
  mlir::InFlightDiagnostic emitError(llvm::SMLoc loc) const;

  /// Errors reported while the file is open.
  unsigned errorCount() const;
  /// Errors printed before "too many errors"; 0 prints them all. The
  /// default is axonc's `--error-limit` (20).
  void setErrorLimit(unsigned limit);
  /// Whether the error limit was passed: callers stop working on the file.
  bool stopped() const;

  /// 1-based line and column of `loc`.
  std::pair<unsigned, unsigned> lineAndColumn(llvm::SMLoc loc) const;
  /// The position of 1-based `line` and `column`, or null when the file
  /// has no such line (lineAndColumn's inverse).
  const char *pointerAt(unsigned line, unsigned column) const;
  /// The offset of the start of the line holding `offset`.
  size_t lineStart(size_t offset) const;
  llvm::SourceMgr &sourceMgr() { return sourceMgr_; }

private:
  SourceFile(mlir::MLIRContext &context, llvm::StringRef name,
             std::unique_ptr<llvm::MemoryBuffer> buffer,
             llvm::raw_ostream &errs);
  mlir::MLIRContext &context_;
  std::string name_;
  llvm::SourceMgr sourceMgr_;
  unsigned bufferId_ = 0;
  /// Offsets of the line starts (a table built once: SourceMgr's own
  /// lookup scans back to the line start on every call, which is
  /// quadratic on a long line, and MLIRGen asks for every op's location).
  std::vector<size_t> lineStarts_;
  std::unique_ptr<ModelDiagnosticHandler> diagnostics_;
};

} // namespace axon

#endif // AXON_FRONTEND_SOURCEFILE_H
