// Passes over the axon dialect. Each has one .cpp in passes/ and a lit test
// in tests/ir/<flag>.mlir.
#ifndef AXON_PASSES_TD
#define AXON_PASSES_TD

include "mlir/Pass/PassBase.td"

def InferShapes : Pass<"axon-infer-shapes", "::mlir::func::FuncOp"> {
  let summary = "Make `?` extents static wherever the ops' shape rules know them";
  let description = [{
    Model functions are written over symbolic dims (`f32[N, 784]`), so their
    IR is full of `?`. Once a function is specialised (a static argument
    type, or a call inlined with static operands), each op's shape rule
    (InferShapeOpInterface) can tell more. This pass walks the function in
    order and refines every result type to the most static one its rule
    gives; uses that need the old type exactly (func.return, func.call,
    axon.loop, axon.yield) get an `axon.cast` back. Static shapes let the
    backend pick schedules and plan memory at compile time.
  }];
  let dependentDialects = ["::axon::AxonDialect"];
}

def Autodiff : Pass<"axon-autodiff", "::mlir::ModuleOp"> {
  let summary = "Build the bodies of gradient functions by reverse-mode autodiff";
  let description = [{
    Training needs the gradient of a scalar loss with respect to parameters
    (and, for attacks such as FGSM, inputs). The frontend declares each
    gradient it needs as a bodiless function with `axon.grad_of = @f` and
    `axon.wrt = [...]`, returning f's value followed by the gradients. This
    pass fills in the body: f's forward computation (calls inlined), then a
    reverse sweep applying each op's vector-Jacobian rule
    (GradientOpInterface) and summing gradients where a value has several
    uses. A loop stays a loop whatever its trip count (a constant or known
    at run time only): the forward loop also stores each step's incoming
    carried values in [T, ...] tensors, and a reverse loop from the last
    step to the first reads them back, recomputes the step's body and runs
    the reverse sweep on it, carrying the carried values' gradients back
    and summing those of values the body reads from outside (backprop
    through time). Ops marked NoGradient (comparisons,
    argmax, random draws) pass no gradient; any other op without a rule is
    reported at its source location. Run canonicalize and CSE afterwards.
  }];
  let dependentDialects = ["::axon::AxonDialect"];
}

def LowerTrain : Pass<"axon-lower-train", "::mlir::ModuleOp"> {
  let summary = "Compile each train block into a train-step function";
  let description = [{
    A `train` block names a loss, an optimizer and (through the frontend) the
    gradient function of the loss with respect to the trained parameters.
    This pass emits `@<loss>_train_step(<loss args>, %step) -> loss`: the
    gradient call, optional clipping by global norm and weight decay, and
    the optimizer's update (SGD, momentum, Adam with bias correction) as
    axon ops, storing new parameters and optimizer state (new
    `optimizer_state` params) with axon.param_store. The optimizer is thus
    ordinary IR that fusion and the backend treat like the model. Run
    before axon-autodiff.
  }];
  let dependentDialects = ["::axon::AxonDialect"];
}

def ResolveMode : Pass<"axon-resolve-mode", "::mlir::ModuleOp"> {
  let summary = "Decide training() per call and give a train step fresh random draws at every step";
  let description = [{
    `training()` (axon.training) is true in the code a train step runs and
    false everywhere else (eval_fn, predict, a built binary's infer,
    `grad(...)` outside a train step). The same function may run in both
    modes, so each train step (an axon.train's `step_fn`) whose calls reach
    an axon.training or a random draw gets its calls inlined, a copy of its
    own, in which axon.training becomes `true` and every random draw's
    counter `c` becomes `c + step * 2^24`, `step` being the step function's
    last argument (the global step). So a dropout mask is new at every step,
    the same for the same seed and step (a resumed run is bit-identical), a
    draw in a loop (`counter = t`) still differs per t, and autodiff's
    reverse loops, which recompute the forward draws from the same counter
    expressions, see the same numbers. Every other axon.training becomes
    `false`. Draws outside train steps keep their counters. Run after
    axon-autodiff (whose gradient functions the steps call) and before
    canonicalize, which folds the selects on the mode (a dropout in
    inference is its input, and its mask is never computed).
  }];
  let dependentDialects = ["::axon::AxonDialect"];
}

def PlanMemory : Pass<"axon-plan-memory", "::mlir::func::FuncOp"> {
  let summary = "Give every fused kernel's results a slot in one arena, reusing dead buffers";
  let description = [{
    Runs after axon-fuse on a function whose tensors all have static shapes
    and whose computed values all come from axon.kernel ops (block
    arguments, axon.param_ref and axon.constant need no arena space; any
    other op producing a tensor is an error). The schedule is the order of
    the kernels in the block. Each kernel result is a buffer of
    elements * element bytes (i1 takes one byte), rounded up to 64 bytes. It
    is live from its kernel to the last kernel that reads it; a result read
    by func.return or axon.param_store lives to the end of the function.

    A result `v` stored by `axon.param_store @W, v` is written straight into
    W's storage instead of the arena when nothing can observe W's old value
    afterwards: no later kernel, func.return or param_store reads an
    `axon.param_ref @W`; W has this one store and `v` no other store and is
    not returned; and if `v`'s own kernel reads W, the kernel is
    `injective` (or `elementwise`) with results all of one shape and uses W
    only through same-shape elementwise ops, so that the backend, which
    compiles such a kernel as one loop nest, reads each element of W before
    writing it. Other stored results get an arena slot and the runtime
    copies them into their parameter when the function returns.

    Offsets come from the greedy-by-size planner (as in TFLite): buffers,
    largest first, each go to the lowest offset where they overlap no placed
    buffer whose live range overlaps theirs. The plan is written as
    attributes: on each kernel `axon.offsets = array<i64: ...>` (byte offset
    per result, -1 for a result written in place) and `axon.inplace =
    ["", "W", ...]` (the parameter per result, "" for arena results); on the
    function `axon.arena_size` (bytes, i64) and `axon.buffer_bytes` (the sum
    of all arena buffers, i64; arena_size / buffer_bytes shows the reuse).
    Re-running the pass recomputes the plan. `axonc --emit=plan` prints it
    as a table (printMemoryPlan).

    Loops (axon.loop, whose bodies axon-fuse has fused) are planned in the
    same arena. The schedule numbers events: a kernel is one, a loop two
    (its start, before its body's events, and its end, after them). The
    loop's step `t` (a rank-0 i64) and its carried values get arena buffers
    live from the loop's start to its end (a carried value to the last
    reader of the loop's result, which is that buffer); values from outside
    that the body reads live to the loop's end, initial values to its
    start, values the body yields to its end. Body buffers thus lie within
    one pass over the body and are reused by every step. Where the yield
    gives one carried value another carried value of the same loop (a
    swap), a staging buffer at the loop's end holds it while the others are
    copied. The loop gets `axon.offsets = array<i64: t, carried...>` and
    `axon.staging = array<i64: ...>` (-1 where none). Parameter stores
    inside a loop are an error.

    A kernel that is a lone `axon.dynamic_update_row` of one of its inputs
    (compiled, it writes only the row, into an output buffer the plan must
    fill with the target first) takes the target's buffer instead of one
    of its own when nothing reads the target after it: the carried stack
    of a loop that stores a row per step (autodiff's backprop through
    time), written in place at every step, or a kernel result of the same
    block whose last reader it is (that buffer then lives as long as the
    result). Elsewhere the plan copies the target into its result first.

    A carried stack that every step writes one row of that way, at an
    index taking every row once over the steps (t - lower, or upper - 1 -
    t, also computed in another kernel), and that nothing else in the body
    reads, never has its initial value read: the loop gets
    `axon.overwritten = array<i1: ...>` (per carried value; absent where
    none is), and the compiled plan then neither copies the initial value
    in nor runs a fill kernel read only there (the zero stacks of
    autodiff's forward steps and of axon-hoist-loop-sums' reverse steps).
  }];
  let dependentDialects = ["::axon::AxonDialect"];
}

def Fuse : Pass<"axon-fuse", "::mlir::func::FuncOp"> {
  let summary = "Group each function's tensor ops into axon.kernel ops";
  let description = [{
    Each `axon.kernel` becomes one Halide pipeline, so fusion decides which
    intermediate tensors are never written to memory. The pass walks a
    function body in order and puts every tensor op into a group:

    - injective ops (elementwise, cmp, select, cast, broadcast, reshape,
      transpose, slice, insert_slice, concat, gather, one_hot, fill, random
      draws) join the group of an operand's producer when that group is
      injective, or as an elementwise epilogue when the result has the shape
      of the group's anchor (bias, activation, residual add, scaling);
      operands that an op broadcasts are only read;
    - a reduction (sum, mean, reduce_max, argmax, softmax, log_softmax)
      becomes the anchor of its operand's injective group (prologue), or
      starts a new group;
    - a contraction (matmul, conv2d, conv_transpose2d) starts a new group,
      pulling in an operand's group only when that is pure data movement
      (transpose, reshape, broadcast, cast, slice) read by nothing else;
      window ops (pooling and its gradients) start a new group;
    - scatter_add is alone in a kernel of kind `single`.

    A group never has two anchors and never joins a group that its other
    operands depend on (that would make kernels depend on each other in a
    cycle). Values used outside a group become extra kernel results. Splat
    constants are cloned into every kernel that reads them; parameters,
    non-splat constants, calls, loops, axon.dim and everything else stay in
    the function and are read as kernel inputs. The body of each axon.loop
    is fused the same way, as a block of its own (after the block around
    it): its kernels read the step `t`, the carried values and values from
    outside the loop as inputs, and splat constants from outside are first
    cloned into the body. Kernels are named
    `<function>_k<i>`; `kind` (injective, reduction, contraction, window,
    single) tells the backend how to schedule them. With `explain`, each
    fused op gets a remark saying which kernel it went to and why.
  }];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark on each fused op with the fusion decision and its reason">,
  ];
  let dependentDialects = ["::axon::AxonDialect"];
}

def ContractBatchSums : Pass<"axon-contract-batch-sums", "::mlir::func::FuncOp"> {
  let summary = "Fold a sum over a matmul's batch axes into its contraction";
  let description = [{
    A weight shared by a batch of products gets as gradient the sum over the
    batch of per-item products, x[n]^T g[n] for x @ W with x: [N, T, D];
    multi-head attention's output projection sums its heads' products. Run
    as written, each is N (or H) small matmuls written out whole and then a
    sum. This pass rewrites `sum(matmul(L, R), axes)`, where the axes are
    batch axes of the product and the sum is the matmul's one use, as one
    matmul contracting over the summed axes too:

      sum_s L[.., s, .., M, K] R[.., s, .., K, N]
        = reshape(transpose(L), [.., M, S*K]) @ reshape(transpose(R), [.., S*K, N])

    (the summed axes moved next to K and merged with it; transposes of
    transposes composed, identities dropped), then reshaped to the sum's
    type (keepdims). The sum's order of additions changes, not its terms.
    Sums over an axis along which an operand is broadcast (extent 1 or
    missing) are left alone, as are dynamic shapes: the compiled path runs
    it after axon-specialize, before axon-fuse.
  }];
  let dependentDialects = ["::axon::AxonDialect"];
}

def HoistLoopSums : Pass<"axon-hoist-loop-sums", "::mlir::func::FuncOp"> {
  let summary = "Move a loop's per-step sums of products after the loop, over stacks of the steps";
  let description = [{
    Backprop through time adds, at every step of the reverse loop, each
    weight's gradient term to a carried accumulator: acc = acc + x_t^T dz_t
    (and acc = acc + sum(dz_t, axes) for a bias). T small products, each
    too small to share among threads, become one: the steps' operands are
    stored in [T, ...] stacks (new carried values, one row written per
    step), and after the loop

      acc = init + sum(SA @ SB, axis 0)     (sum(SX, 0 and axes + 1))

    which axon-contract-batch-sums then folds into one matmul over T * K.
    An operand that is already a row of a [T, ...] tensor from before the
    loop (dynamic_row(S, i), gather(X, i, axis), with i = t + c or c - t
    covering every row once) is read from that tensor instead of stored;
    the other operands' rows are then written at i. Transposes between a
    step value and the product move after the loop. Left alone: dynamic
    shapes or bounds, loops of no step, accumulators or terms with other
    uses, broadcasting adds, and terms with an operand that does not vary
    per step. The additions' order changes, not their terms. The compiled
    path runs it after axon-specialize, before axon-contract-batch-sums.
  }];
  let dependentDialects = ["::axon::AxonDialect"];
}

def HoistLoopProducts : Pass<"axon-hoist-loop-products", "::mlir::func::FuncOp"> {
  let summary = "Multiply a tensor's rows by a loop-invariant matrix before the loop, not a row per step";
  let description = [{
    A recurrent layer's input projection, z = x_t @ Wx + h @ Wh + b, reads
    at every step a row of a tensor from before the loop (gather(X, i,
    axis), dynamic_row(S, i)) and multiplies it by a matrix that is the same
    at every step. T small products on the step's serial path, each too
    small to share among threads, become one before the loop:

      P = reshape(X, [rows, K]) @ W

    and the body reads its row, gather(reshape(P, X's shape with K -> M),
    i, axis) (or dynamic_row). Only where the index i = t + c or c - t
    takes every row of the gathered axis once (the same products, no row
    that no step reads), the gathered axis is not the contracted one, the
    shapes and bounds are static with at least one step, and W has rank 2
    and is the same at every step (defined before the loop, or by pure ops
    of the body from such values, which are cloned before the loop).
    Each output element is the same dot product over K. Any other product
    of the body whose operand is the same at every step but made in the
    body (backprop through time's dz_t @ transpose(Wh)) reads it made once
    before the loop: a contraction transposes a transposed operand again
    at every step. The compiled path runs it after axon-specialize.
  }];
  let dependentDialects = ["::axon::AxonDialect"];
}

def Flatten : Pass<"axon-flatten", "::mlir::ModuleOp"> {
  let summary = "Inline every call and unroll every loop with constant bounds";
  let description = [{
    Autodiff needs a function as one straight-line graph: the forward values
    its reverse sweep reads must be plain SSA values, and a random draw in a
    called function or a loop step must be the very same draw forwards and
    backwards. This pass flattens the bodies of the listed functions (every
    function with a body when `functions` is empty): each func.call is
    inlined through MLIR's inliner (the axon dialect's
    DialectInlinerInterface), repeatedly until no call is left, and each
    axon.loop is unrolled step by step. A call of a function without a body,
    a recursive call, a call chain deeper than 64 and a loop whose trip
    count is only known at run time are errors. axon-autodiff and
    axon-specialize inline calls the same way (`inlineCalls` in Passes.h)
    but keep loops (autodiff differentiates them as loops; a plan runs
    them).
  }];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "The functions to flatten (default: every function with a body)">,
  ];
  let dependentDialects = ["::axon::AxonDialect"];
}

def Specialize : Pass<"axon-specialize", "::mlir::ModuleOp"> {
  let summary = "Add a copy of a function specialised to static argument shapes";
  let description = [{
    Model functions are written over symbolic dims (`f32[N, 784]`); compiled
    kernels and memory plans want every extent known. Like XLA and
    torch.compile, the compiled path specialises per argument shape and keeps
    one plan per shape it has seen. This pass adds to the module a private
    copy of `function`, named `name`, whose arguments have the static types
    `arg-types` (one per argument, e.g. `tensor<4x784xf32>`; each must fit
    the declared type), with calls inlined and, to a fixed point, shapes
    inferred (axon-infer-shapes), axon.dim and the extents of reshape,
    broadcast, fill and random draws folded, canonicalised and CSE'd, and
    the results' types made static.

    Loops stay loops: their carried values take the static type of their
    initial values, and the plan runs the body's kernels once per step, so
    a 2,000-step loop compiles its body once. Loops of fewer than two steps
    and loops whose carried values have no static shape are unrolled.
    Errors: an argument type that does not fit, a loop whose bounds are not
    constants, and an extent that stays unknown.
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"",
           "The function to specialise">,
    ListOption<"argTypes", "arg-types", "std::string",
               "The static type of each argument, e.g. tensor<4x784xf32>">,
    Option<"name", "name", "std::string", /*default=*/"",
           "The name of the specialised copy">,
  ];
  let dependentDialects = ["::axon::AxonDialect"];
}

#endif // AXON_PASSES_TD
