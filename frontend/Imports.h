// Imports: `import "nn"` brings in a module of the standard library
// (lib/nn.axon, embedded into the compiler when it is built), and
// `import "layers.axon"` (or `import "../shared/layers.axon" as l`) a file,
// found relative to the file that imports it. The module's functions join
// the model under qualified names (`nn.linear`, `l.block`); inside the
// module they call each other by their plain names. A module holds only
// imports and functions (parameters belong to the model: a layer takes its
// weights as arguments). Errors in a module are reported in it (by its
// name, `lib/nn.axon:12:3`), with a note at the import that brought it in.
#ifndef AXON_FRONTEND_IMPORTS_H
#define AXON_FRONTEND_IMPORTS_H

#include "frontend/AST.h"

#include <optional>
#include <string>
#include <vector>

namespace axon {

/// Loads `model`'s imports (and theirs, each module once) into `file` and
/// adds their functions to `model` with qualified names. Reports unknown
/// modules, unreadable files, import cycles, a module name taken twice and
/// parameters or train blocks in a module.
void resolveImports(SourceFile &file, ast::Module &model);

/// The names of the standard library's modules (`nn`).
std::vector<std::string> standardModules();
/// The text of the standard library's module `name`, or nullopt.
std::optional<llvm::StringRef> standardModuleText(llvm::StringRef name);

} // namespace axon

#endif // AXON_FRONTEND_IMPORTS_H
