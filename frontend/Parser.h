// The recursive-descent parser of the model language.
#ifndef AXON_FRONTEND_PARSER_H
#define AXON_FRONTEND_PARSER_H

#include "frontend/AST.h"

namespace axon {

/// Parses a whole model file and the modules it imports (their functions
/// join the module under qualified names, see Imports.h). Syntax errors
/// are reported to `file`; the parser resynchronises at the next statement
/// or top-level item, so one run reports independent errors. Check
/// file.errorCount() afterwards.
ast::Module parse(SourceFile &file);

/// Parses one text of `file` (its own or an import's) as written: its
/// imports are listed, not loaded.
ast::Module parseText(SourceFile &file, llvm::StringRef text);

} // namespace axon

#endif // AXON_FRONTEND_PARSER_H
