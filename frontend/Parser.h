// The recursive-descent parser of the model language.
#ifndef AXON_FRONTEND_PARSER_H
#define AXON_FRONTEND_PARSER_H

#include "frontend/AST.h"

namespace axon {

/// Parses a whole model file. Syntax errors are reported to `file`; the
/// parser resynchronises at the next statement or top-level item, so one
/// run reports independent errors. Check file.errorCount() afterwards.
ast::Module parse(SourceFile &file);

} // namespace axon

#endif // AXON_FRONTEND_PARSER_H
