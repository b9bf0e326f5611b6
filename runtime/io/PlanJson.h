// A Plan (and what a built binary needs to train) as JSON: what `axonc
// build` embeds in a binary and the binary reads back at start-up.
#ifndef AXON_RUNTIME_IO_PLANJSON_H
#define AXON_RUNTIME_IO_PLANJSON_H

#include "runtime/core/Plan.h"
#include "runtime/core/TrainConfig.h"

#include "llvm/Support/Error.h"

#include <string>

namespace axon {

/// What a built binary knows besides its plan.
struct BinaryConfig {
  std::string model; ///< The model file it was built from.
  int64_t batch = 0; ///< The batch size the functions were compiled at.
  TrainConfig train; ///< train.stepFn is empty when there is no train block.
};

std::string writePlanJson(const Plan &plan, const BinaryConfig &config);
/// Errors name what is missing or malformed.
llvm::Error readPlanJson(llvm::StringRef text, Plan &plan,
                         BinaryConfig &config);

} // namespace axon

#endif // AXON_RUNTIME_IO_PLANJSON_H
