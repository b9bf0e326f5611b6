// axonc's error exit (see Fail.h).
#include "tools/axonc/Fail.h"

#include "llvm/Support/WithColor.h"

int axon::fail(const llvm::Twine &msg) {
  llvm::WithColor::error(llvm::errs(), "axonc") << msg << "\n";
  return 1;
}
