// A model file being compiled: its text, the text of the modules it
// imports, their locations, and the errors reported against them. Errors
// are MLIR diagnostics on FileLineColLoc locations (`file.emitError(loc)
// << "..."`), which the file's ModelDiagnosticHandler prints and counts
// while the file is open. An SMLoc may point into the model's text or into
// an imported module's (addImport): location() names the right one.
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
  /// The model file's own text (not its imports').
  llvm::StringRef text() const;

  /// Adds the text of a module imported at `importedAt` (a location in
  /// this file or in an earlier import) under `name`, the name its
  /// diagnostics carry. Returns the stored text, which lives as long as
  /// the file: tokens and locations point into it.
  llvm::StringRef addImport(llvm::StringRef name, llvm::StringRef text,
                            llvm::SMLoc importedAt);
  /// The text named `name` (the model's or an import's) and where it was
  /// imported (null for the model itself); {"", null} when there is none.
  std::pair<llvm::StringRef, llvm::SMLoc> textNamed(llvm::StringRef name) const;
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

  /// 1-based line and column of `loc` in the text holding it.
  std::pair<unsigned, unsigned> lineAndColumn(llvm::SMLoc loc) const;
  /// The position of 1-based `line` and `column` in the text named `in`
  /// (default: the model's), or null when it has no such line
  /// (lineAndColumn's inverse).
  const char *pointerAt(unsigned line, unsigned column,
                        llvm::StringRef in = {}) const;
  /// The text (the model's or an import's) holding `p`; empty when none.
  llvm::StringRef textContaining(const char *p) const;
  /// The start of the line holding `p`, a pointer into one of the texts.
  const char *lineStart(const char *p) const;
  llvm::SourceMgr &sourceMgr() { return sourceMgr_; }

private:
  SourceFile(mlir::MLIRContext &context, llvm::StringRef name,
             std::unique_ptr<llvm::MemoryBuffer> buffer,
             llvm::raw_ostream &errs);
  /// One text: the model's (texts_[0]) or an import's.
  struct Text {
    std::string name;
    unsigned bufferId = 0;
    llvm::SMLoc importedAt;
    /// Offsets of the line starts (a table built once: SourceMgr's own
    /// lookup scans back to the line start on every call, which is
    /// quadratic on a long line, and MLIRGen asks for every op's location).
    std::vector<size_t> lineStarts;
  };
  void addText(llvm::StringRef name, std::unique_ptr<llvm::MemoryBuffer> buffer,
               llvm::SMLoc importedAt);
  /// The text holding `p`, or null.
  const Text *textHolding(const char *p) const;
  llvm::StringRef textOf(const Text &t) const;

  mlir::MLIRContext &context_;
  std::string name_;
  llvm::SourceMgr sourceMgr_;
  std::vector<Text> texts_;
  std::unique_ptr<ModelDiagnosticHandler> diagnostics_;
};

} // namespace axon

#endif // AXON_FRONTEND_SOURCEFILE_H
