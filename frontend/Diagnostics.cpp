// The printing of a model file's diagnostics (see Diagnostics.h).
#include "frontend/Diagnostics.h"
#include "frontend/SourceFile.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"

using namespace axon;

static llvm::cl::opt<unsigned> errorLimitOption(
    "error-limit",
    llvm::cl::desc("Stop reporting errors in a model file after N (0: no "
                   "limit)"),
    llvm::cl::value_desc("N"), llvm::cl::init(20),
    llvm::cl::sub(llvm::cl::SubCommand::getAll()));

ModelDiagnosticHandler::ModelDiagnosticHandler(SourceFile &file,
                                               llvm::raw_ostream &os)
    : mlir::SourceMgrDiagnosticHandler(file.sourceMgr(), &file.context(), os),
      file_(file), errorLimit_(errorLimitOption) {
  // Replaces the handler the base class registered.
  setHandler([this](mlir::Diagnostic &diag) { handle(diag); });
}

void ModelDiagnosticHandler::handle(mlir::Diagnostic &diag) {
  if (diag.getSeverity() == mlir::DiagnosticSeverity::Error) {
    ++errors_;
    if (stopped()) {
      if (errors_ == errorLimit_ + 1)
        os << file_.name() << ": error: too many errors (" << errorLimit_
           << "; --error-limit=N to change), stopping\n";
      return;
    }
  }
  const char *at = pointerInFile(diag.getLocation());
  if (!at) {
    emitDiagnostic(diag);
    return;
  }
  print(diag.getLocation(), at, diag.str(), diag.getSeverity());
  for (mlir::Diagnostic &note : diag.getNotes()) {
    const char *noteAt = pointerInFile(note.getLocation());
    if (noteAt)
      print(note.getLocation(), noteAt, note.str(), note.getSeverity());
    else
      emitDiagnostic(note.getLocation(), note.str(), note.getSeverity());
  }
  printImportChain(diag.getLocation());
}

void ModelDiagnosticHandler::printImportChain(mlir::Location loc) {
  // An error inside an imported module also shows the import that brought
  // the module in, and so on up to the model file.
  auto fileLoc = loc->findInstanceOf<mlir::FileLineColLoc>();
  llvm::SMLoc importedAt = file_.textNamed(fileLoc.getFilename()).second;
  for (unsigned depth = 0; importedAt.isValid() && depth < 64; ++depth) {
    mlir::FileLineColLoc site = file_.location(importedAt);
    print(site, importedAt.getPointer(),
          "in the module '" + fileLoc.getFilename().str() + "' imported here",
          mlir::DiagnosticSeverity::Note);
    fileLoc = site;
    importedAt = file_.textNamed(site.getFilename()).second;
  }
}

const char *ModelDiagnosticHandler::pointerInFile(mlir::Location loc) const {
  auto fileLoc = loc->findInstanceOf<mlir::FileLineColLoc>();
  if (!fileLoc)
    return nullptr;
  return file_.pointerAt(fileLoc.getLine(), fileLoc.getColumn(),
                         fileLoc.getFilename());
}

void ModelDiagnosticHandler::print(mlir::Location loc, const char *at,
                                   const llvm::Twine &message,
                                   mlir::DiagnosticSeverity kind) {
  // `file:line:col: kind: message`, then the window of the line.
  emitDiagnostic(loc, message, kind, /*displaySourceLine=*/false);
  printSourceWindow(at);
}

void ModelDiagnosticHandler::printSourceWindow(const char *p) {
  // The line from its start to the newline or the end of its text.
  llvm::StringRef text = file_.textContaining(p);
  size_t at = p - text.begin();
  size_t begin = file_.lineStart(p) - text.begin();
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
  os << prefix << llvm::StringRef(shown).slice(from, to)
     << (to < shown.size() ? "..." : "") << "\n";
  os.indent(prefix.size() + caret - from) << "^\n";
}
