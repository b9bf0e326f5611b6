// Imports (see Imports.h).
#include "frontend/Imports.h"
#include "frontend/Parser.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <map>
#include <optional>
#include <set>

using namespace axon;
using namespace axon::ast;

namespace {

struct StandardModule {
  const char *name;
  const char *text;
};

/// lib/*.axon, embedded by lib/EmbedModules.cmake.
const StandardModule standardLibrary[] = {
#include "frontend/StdlibModules.inc"
};

/// Where a module comes from and what it is called.
struct Source {
  std::string key;  ///< Identity for cycles and repeats: a real path or `<nn>`.
  std::string name; ///< Its diagnostics' file name.
  std::string text;
  std::string qualifier; ///< `nn` in `nn.linear`.
};

bool isName(llvm::StringRef s) {
  if (s.empty() || !(llvm::isAlpha(s[0]) || s[0] == '_'))
    return false;
  return llvm::all_of(s, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

/// Renames, in `f`'s body, the calls of the module's own functions (and
/// grad's function argument) to their qualified names. Iterative: bodies
/// may hold very long operator chains.
void qualifyCalls(Function &f, const std::set<std::string> &own,
                  const std::string &qualifier) {
  std::vector<Expr *> pending;
  std::vector<const std::vector<StmtPtr> *> blocks{&f.body};
  while (!blocks.empty()) {
    const std::vector<StmtPtr> *block = blocks.back();
    blocks.pop_back();
    for (const StmtPtr &s : *block) {
      for (const ExprPtr &e : s->values)
        pending.push_back(e.get());
      blocks.push_back(&s->body);
    }
  }
  while (!pending.empty()) {
    Expr *e = pending.back();
    pending.pop_back();
    if (e->kind == Expr::Call) {
      if (own.count(e->name))
        e->name = qualifier + "." + e->name;
      else if (e->name == "grad" && !e->args.empty() &&
               e->args[0]->kind == Expr::Name && own.count(e->args[0]->name))
        e->args[0]->name = qualifier + "." + e->args[0]->name;
    }
    for (ExprPtr &a : e->args)
      pending.push_back(a.get());
    for (KeywordArg &kw : e->kwargs)
      pending.push_back(kw.value.get());
  }
}

class Importer {
public:
  explicit Importer(SourceFile &file) : file_(file) {
    // The model file itself: a module importing it is a cycle.
    llvm::SmallString<256> real;
    loading_.push_back(llvm::sys::fs::real_path(file.name(), real)
                           ? file.name().str()
                           : real.str().str());
    loadingNames_.push_back(file.name().str());
  }

  void importAll(const std::vector<Import> &imports, llvm::StringRef from,
                 std::vector<Function> &into) {
    for (const Import &i : imports) {
      if (file_.stopped())
        return;
      importOne(i, from, into);
    }
  }

private:
  /// The module `i` names, or nullopt after reporting why there is none.
  std::optional<Source> locate(const Import &i, llvm::StringRef from) {
    Source src;
    if (!llvm::StringRef(i.path).ends_with(".axon")) {
      if (std::optional<llvm::StringRef> text = standardModuleText(i.path)) {
        src.key = "<" + i.path + ">";
        src.name = "lib/" + i.path + ".axon";
        src.text = text->str();
        src.qualifier = i.alias.empty() ? i.path : i.alias;
        return src;
      }
      file_.emitError(i.pathLoc)
          << "unknown module '" + i.path + "' (the standard library has '" +
                 llvm::join(standardModules(), "', '") + "'" +
                 "; a file to import ends in '.axon')";
      return std::nullopt;
    }
    llvm::SmallString<256> path;
    if (llvm::sys::path::is_absolute(i.path)) {
      path = i.path;
    } else {
      path = llvm::sys::path::parent_path(from);
      llvm::sys::path::append(path, i.path);
    }
    llvm::sys::path::remove_dots(path, /*remove_dot_dot=*/true);
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!buffer) {
      file_.emitError(i.pathLoc)
          << "cannot import '" + i.path + "': " +
                 buffer.getError().message() + " (looked for '" + path + "')";
      return std::nullopt;
    }
    llvm::SmallString<256> real;
    src.key = llvm::sys::fs::real_path(path, real) ? path.str().str()
                                                    : real.str().str();
    src.name = path.str().str();
    src.text = (*buffer)->getBuffer().str();
    src.qualifier = i.alias.empty()
                        ? llvm::sys::path::stem(path).str()
                        : i.alias;
    if (!isName(src.qualifier)) {
      file_.emitError(i.pathLoc)
          << "the module name '" + src.qualifier +
                 "' (from the file name) is not a name; give one with "
                 "`import \"" + i.path + "\" as NAME`";
      return std::nullopt;
    }
    return src;
  }

  void importOne(const Import &i, llvm::StringRef from,
                 std::vector<Function> &into) {
    std::optional<Source> src = locate(i, from);
    if (!src)
      return;
    if (llvm::is_contained(loading_, src->key)) {
      std::string chain;
      bool inCycle = false;
      for (const std::string &name : loadingNames_) {
        inCycle |= name == src->name;
        if (inCycle)
          chain += "'" + name + "' imports ";
      }
      file_.emitError(i.pathLoc)
          << "import cycle: " + chain + "'" + src->name + "'";
      return;
    }
    auto done = loaded_.find(src->key);
    if (done != loaded_.end()) {
      if (done->second != src->qualifier)
        file_.emitError(i.pathLoc)
            << "'" + src->name + "' is already imported as '" +
                   done->second + "'";
      return; // a module shared by two importers is loaded once
    }
    auto taken = qualifiers_.find(src->qualifier);
    if (taken != qualifiers_.end()) {
      mlir::InFlightDiagnostic d = file_.emitError(i.loc);
      d << "the module name '" + src->qualifier +
               "' is already taken; import this one `as` another name";
      d.attachNote(file_.location(taken->second.second))
          << "'" + taken->second.first + "' is imported as '" +
                 src->qualifier + "' here";
      return;
    }
    loaded_[src->key] = src->qualifier;
    qualifiers_[src->qualifier] = {src->name, i.loc};

    llvm::StringRef text = file_.addImport(src->name, src->text, i.pathLoc);
    Module m = parseText(file_, text);
    for (const Param &p : m.params)
      file_.emitError(p.loc)
          << "a module cannot declare parameters ('" + p.name +
                 "'): declare them in the model file and pass them to the "
                 "module's functions as arguments";
    for (const Train &t : m.trains)
      file_.emitError(t.loc) << "a module cannot hold a train block";

    loading_.push_back(src->key);
    loadingNames_.push_back(src->name);
    importAll(m.imports, src->name, into);
    loading_.pop_back();
    loadingNames_.pop_back();

    std::set<std::string> own;
    for (const Function &f : m.functions)
      own.insert(f.name);
    for (Function &f : m.functions) {
      qualifyCalls(f, own, src->qualifier);
      f.name = src->qualifier + "." + f.name;
      f.imported = true;
      into.push_back(std::move(f));
    }
  }

  SourceFile &file_;
  std::vector<std::string> loading_, loadingNames_; ///< The import chain.
  std::map<std::string, std::string> loaded_;       ///< key -> qualifier
  /// qualifier -> (module name, the import that took it)
  std::map<std::string, std::pair<std::string, llvm::SMLoc>> qualifiers_;
};

} // namespace

std::vector<std::string> axon::standardModules() {
  std::vector<std::string> names;
  for (const StandardModule &m : standardLibrary)
    names.push_back(m.name);
  return names;
}

std::optional<llvm::StringRef>
axon::standardModuleText(llvm::StringRef name) {
  for (const StandardModule &m : standardLibrary)
    if (name == m.name)
      return llvm::StringRef(m.text);
  return std::nullopt;
}

void axon::resolveImports(SourceFile &file, Module &model) {
  if (model.imports.empty())
    return;
  std::vector<Function> imported;
  Importer(file).importAll(model.imports, file.name(), imported);
  // Imported functions first, in import order.
  for (Function &f : model.functions)
    imported.push_back(std::move(f));
  model.functions = std::move(imported);
}
