// How the errors of a model file are printed: MLIR diagnostics located in
// the file become `file:line:col: error: message`, the source line and a
// caret. A long line is cut to a window around the caret
// (kDiagnosticContext columns each side, "..." where cut), so output stays
// linear in the number of errors; after the error limit (`--error-limit`,
// default 20) one "too many errors" line is printed and the rest are only
// counted, and the lexer, parser and MLIRGen stop early. Diagnostics in
// an imported module (`import "nn"`) are printed the same way, named by
// the module, with a note at the import. Diagnostics located elsewhere (other files, passes' unknown locations) are printed
// by SourceMgrDiagnosticHandler as they are.
#ifndef AXON_FRONTEND_DIAGNOSTICS_H
#define AXON_FRONTEND_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"

namespace axon {

class SourceFile;

/// Columns of source shown on each side of a diagnostic's caret.
constexpr unsigned kDiagnosticContext = 60;

/// The diagnostic handler of a SourceFile's context while the file is
/// open (SourceFile creates it).
class ModelDiagnosticHandler : public mlir::SourceMgrDiagnosticHandler {
public:
  ModelDiagnosticHandler(SourceFile &file, llvm::raw_ostream &os);

  unsigned errorCount() const { return errors_; }
  void setErrorLimit(unsigned limit) { errorLimit_ = limit; }
  bool stopped() const { return errorLimit_ != 0 && errors_ > errorLimit_; }

private:
  void handle(mlir::Diagnostic &diag);
  /// Where `loc` points in the file, or null when it is elsewhere.
  const char *pointerInFile(mlir::Location loc) const;
  /// One diagnostic or note located in the file.
  void print(mlir::Location loc, const char *at, const llvm::Twine &message,
             mlir::DiagnosticSeverity kind);
  /// For a diagnostic inside an imported module: a note at the import
  /// that brought the module in (and at the import of that, and so on).
  void printImportChain(mlir::Location loc);
  /// The line holding `at` (tabs expanded to 8-column stops, as LLVM's
  /// SourceMgr prints them), cut to the window, and a caret under `at`.
  void printSourceWindow(const char *at);

  SourceFile &file_;
  unsigned errors_ = 0;
  unsigned errorLimit_;
};

} // namespace axon

#endif // AXON_FRONTEND_DIAGNOSTICS_H
