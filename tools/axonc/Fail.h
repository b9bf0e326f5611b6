// How axonc's commands end on an error: "axonc: error: <msg>" on stderr,
// exit code 1.
#ifndef AXON_TOOLS_AXONC_FAIL_H
#define AXON_TOOLS_AXONC_FAIL_H

#include "tools/ToolError.h"

namespace axon {

/// Prints `msg` as axonc's error and returns the exit code 1.
inline int fail(const llvm::Twine &msg) { return failAs("axonc", msg); }

} // namespace axon

#endif // AXON_TOOLS_AXONC_FAIL_H
