#include "ir/SourceLocation.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

std::string axon::sourceLocation(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().getValue() + ":" + llvm::Twine(file.getLine()) +
            ":" + llvm::Twine(file.getColumn()))
        .str();
  if (auto name = dyn_cast<NameLoc>(loc))
    return sourceLocation(name.getChildLoc());
  if (auto site = dyn_cast<CallSiteLoc>(loc))
    return sourceLocation(site.getCallee());
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location sub : fused.getLocations())
      if (isa<FileLineColLoc>(sub))
        return sourceLocation(sub);
  std::string s;
  llvm::raw_string_ostream os(s);
  loc.print(os);
  return s;
}
