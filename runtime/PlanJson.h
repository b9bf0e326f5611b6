// A Plan (and what a built binary needs to train) as JSON: what `axonc
// build` embeds in a binary and the binary reads back at start-up.
#ifndef AXON_RUNTIME_PLANJSON_H
#define AXON_RUNTIME_PLANJSON_H

#include "runtime/Plan.h"

#include "llvm/Support/Error.h"

#include <string>

namespace axon {

/// The train block as a built binary runs it.
struct BinaryConfig {
  std::string model;       ///< The model file it was built from.
  int64_t batch = 0;       ///< The batch size the functions were compiled at.
  std::string stepFn, lossFn, evalFn; ///< Empty when there is no train block.
  std::string trainImages, trainLabels, evalImages, evalLabels;
  std::vector<int64_t> sampleShape;
  int64_t epochs = 1;
  uint64_t seed = 0;
  bool shuffle = true;
};

std::string writePlanJson(const Plan &plan, const BinaryConfig &config);
/// Errors name what is missing or malformed.
llvm::Error readPlanJson(llvm::StringRef text, Plan &plan,
                         BinaryConfig &config);

} // namespace axon

#endif // AXON_RUNTIME_PLANJSON_H
