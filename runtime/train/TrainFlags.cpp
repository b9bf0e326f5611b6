#include "runtime/train/TrainFlags.h"

using namespace axon;
namespace cl = llvm::cl;

TrainFlags::TrainFlags(cl::SubCommand &command, cl::OptionCategory &category)
    : epochs("epochs", cl::desc("Override the block's epochs"), cl::init(0),
             cl::cat(category), cl::sub(command)),
      limit("limit", cl::desc("Train on the first N samples only"),
            cl::init(0), cl::cat(category), cl::sub(command)),
      evalLimit("eval-limit",
                cl::desc("Evaluate on the first N held-out samples only"),
                cl::init(0), cl::cat(category), cl::sub(command)),
      metrics("metrics",
              cl::desc("Metrics log (JSON lines; default: the block's log, "
                       "or MODEL.metrics.jsonl)"),
              cl::value_desc("path"), cl::cat(category), cl::sub(command)),
      checkpoint("checkpoint",
                 cl::desc("Checkpoint written at each epoch's end "
                          "(safetensors; default MODEL.ckpt.safetensors; "
                          "'none': no checkpoints)"),
                 cl::value_desc("path"), cl::cat(category), cl::sub(command)),
      checkpointEvery("checkpoint-every",
                      cl::desc("Also checkpoint every N steps"), cl::init(0),
                      cl::cat(category), cl::sub(command)),
      resume("resume",
             cl::desc("Continue the run saved in this checkpoint (same data, "
                      "batch and seed): the result is bit-identical to an "
                      "uninterrupted run"),
             cl::value_desc("path"), cl::cat(category), cl::sub(command)),
      allowNonfiniteInputs("allow-nonfinite-inputs",
                           cl::desc("Load NaN and infinite input and label "
                                    "values instead of refusing them"),
                           cl::cat(category), cl::sub(command)),
      onNonfinite(
          "on-nonfinite",
          cl::desc("A NaN or infinite loss: stop training (an error naming "
                   "the step, exit 1) or continue. Checkpoints holding "
                   "non-finite values are never written"),
          cl::values(clEnumValN(OnNonfinite::Stop, "stop",
                                "stop (the default)"),
                     clEnumValN(OnNonfinite::Continue, "continue",
                                "train on")),
          cl::init(OnNonfinite::Stop), cl::cat(category), cl::sub(command)) {}

SessionOptions TrainFlags::sessionOptions() const {
  SessionOptions o;
  o.epochs = epochs;
  o.metricsPath = metrics;
  o.checkpointPath = checkpoint;
  o.checkpointEvery = checkpointEvery;
  o.resumePath = resume;
  o.continueOnNonfinite = onNonfinite == OnNonfinite::Continue;
  return o;
}
