// Matmul and 2-D convolution as Halide algorithms, and their hand-written
// schedules. Shared by the kernel lowering (KernelLowering.cpp) and bench/.
//
// Coordinates: a dialect tensor of shape [d0, ..., d{r-1}] is a Halide Func
// whose first argument is the innermost dim d{r-1} (Halide's order), so a
// row-major [M, K] matrix A is A(k, m).
#ifndef AXON_BACKENDS_HALIDE_CONTRACTION_H
#define AXON_BACKENDS_HALIDE_CONTRACTION_H

#include "Halide.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace axon::halide {

/// C(n, m, b...) = sum_k A(k, m, b...) * B(n, k, b...): [.., M, K] x
/// [.., K, N] -> [.., M, N] with `batchRank` leading batch dims (A and B
/// already broadcast to the same batch extents). All extents static.
/// Accumulates in `accType` and returns a Func of that type, named `name`,
/// whose pure definition reads an accumulator Func `name`_acc (zero, then
/// += over K): scheduleMatmul finds and schedules that accumulator, and the
/// returned Func, being pure, can be tiled with shifted-in tails. A `b`
/// whose pure definition reads none of its batch args (a weight broadcast
/// over a batch) is read at batch 0, so one packed panel serves every
/// matrix.
Halide::Func defineMatmul(Halide::Func a, Halide::Func b, int64_t M, int64_t N,
                          int64_t K, int batchRank, Halide::Type accType,
                          const std::string &name);

/// Schedules `mm` (from defineMatmul) together with `out`, the kernel's
/// output Func reading mm at the same coordinates through an elementwise
/// epilogue (out == mm without one; mm is then the output, or computed
/// whole by the caller). `a` and `b` are the Funcs given to defineMatmul:
/// wrappers of inputs or computed producers (a fused transpose, say).
///
/// Structure: `out` is tiled into tiles of NR columns by MR rows (one
/// register block) without K blocks, else by up to 512 rows (batch dims
/// fused in), shared among threads in tasks of whole tiles as
/// planParallelLoop decides from the work of all `batches` matrices (the
/// product of the batch extents), tails shifted inwards, and bounded to
/// [0, N) x [0, M). Per task the accumulator tile is computed in register
/// blocks of NR x MR (NR = matmulBlockVectors vectors, MR = 6 rows on
/// AVX2, 8 on AVX-512; fewer for small matrices) held in registers over a
/// K block (all of K up to 1536, else blocks of ~1024 via rfactor),
/// reading a panel of B packed per column of tiles (for all the matrices'
/// rows under it, where B is the same for every matrix of the batch; per
/// tile where it is not, and per tile and K block with K blocks) and
/// broadcasting A from its rows. A is computed
/// whole first when it computes something or is not contiguous along k (a
/// transpose); B only when it computes something (packing absorbs
/// strides).
/// Mutates the schedules of mm, out, a and b.
void scheduleMatmul(Halide::Func mm, Halide::Func out, Halide::Func a,
                    Halide::Func b, int64_t M, int64_t N, int64_t K,
                    int batchRank, const Halide::Target &target,
                    int64_t batches = 1);

/// Vectors of n in a matmul's register block for N columns, `vec` lanes a
/// vector and `regs` vector registers: 2, or 1 where one-vector blocks
/// cover N with fewer columns computed twice (N < 2 vec, N = 3 vec), or 0
/// for N < vec (one vector of N lanes).
int64_t matmulBlockVectors(int64_t N, int vec, int regs);

/// Vector registers of the target's widest kind (16 or 32), for sizing
/// register blocks.
int vectorRegisters(const Halide::Target &t);

/// Geometry of axon.conv2d (NCHW input, OIHW filter with I = C / groups).
struct Conv2DGeometry {
  int64_t n, c, h, w;      ///< Input extents.
  int64_t o, kh, kw;       ///< Output channels, kernel window.
  int64_t oh, ow;          ///< Output extents.
  int64_t strideH = 1, strideW = 1, padH = 0, padW = 0;
  int64_t dilationH = 1, dilationW = 1, groups = 1;
};

/// out(x, y, o, n) = sum_{ci, ky, kx} in(x*sw + kx*dw - pw, y*sh + ky*dh - ph,
/// g*C/groups + ci, n) * filter(kx, ky, ci, o), reading zeros outside the
/// input (padding), with g = o / (O/groups). `input` must be defined
/// everywhere the window reads (the caller bounds it; defineConv2D adds the
/// zero boundary itself, as a Func `name`_padded, only where the window
/// leaves the input). Like defineMatmul, returns a pure Func `name` over an
/// accumulator `name`_acc.
Halide::Func defineConv2D(Halide::Func input, Halide::Func filter,
                          const Conv2DGeometry &g, Halide::Type accType,
                          const std::string &name);

/// Pixels of a row in a lane group of the paired-channels conv.
constexpr int64_t kPairedPixels = 8;

/// Whether defineConv2D computes `g` with paired output channels: output
/// rows of 8k + 8 pixels (k >= 1; cnn's conv1: 24), which vectors of 16
/// lanes along x cover only with 8 columns computed twice, and vectors of 8
/// at half the multiply-adds per instruction where the FMA units are 512
/// bits wide. Each 16-lane vector is instead 8 pixels of a row by 2 output
/// channels: an 8-pixel input row loaded into both halves, the 2 channels'
/// taps from a filter copy replicated 8 times per channel. Stride 1 along
/// x, one group, an even number of output channels, and not a filter
/// gradient's window larger than its output (ConvFilterGradient.h).
bool pairsOutputChannels(const Conv2DGeometry &g);

/// The name a Func of `name` was given in its algorithm: Halide suffixes a
/// name used before in the process with $n (a second pipeline's "conv" is
/// "conv$1"), so schedules that find stages by name compare given names.
std::string givenName(const std::string &name);

/// Whether the given name of `name` is a stage's name followed by `suffix`
/// (how the schedules recognise the stages a define function made).
bool givenNameEndsWith(const std::string &name, const std::string &suffix);

/// The Funcs that `f`'s definitions call, other than `f` itself (which an
/// update reads): how schedules find the stages a define function made.
std::vector<Halide::Func> directCallees(const Halide::Func &f);

/// The one Func that `f` calls (directCallees); otherwise `f` is not a
/// stage of `definer`, and `scheduler` throws std::invalid_argument.
Halide::Func onlyCallee(const Halide::Func &f, const std::string &scheduler,
                        const std::string &definer);

/// The zero boundary (`conv`_padded) that defineConv2D put between the
/// conv's input and `reader` (its accumulator or a stage of it), if the
/// window leaves the input; schedules compute it once per task.
std::optional<Halide::Func> paddedInputOf(Halide::Func reader,
                                          Halide::Func conv);

/// Schedules a conv from defineConv2D with its epilogue `out` (as for
/// scheduleMatmul). Structure: parallel over (batch, blocks of output
/// channels); register blocks of up to 3 vectors along output x by OB
/// output channels by YB output rows, chosen for multiply-adds per load;
/// the reduction (ci, ky, kx) runs inside with kx unrolled; the padded (or
/// computed) input is computed once per task. Outputs narrower than a
/// vector (small feature maps, filter gradients) are vectorised over output
/// channels instead, register blocks of channel vectors by output pixels,
/// with the filter repacked channels-innermost once per call.
void scheduleConv2D(Halide::Func conv, Halide::Func out, Halide::Func input,
                    Halide::Func filter, const Conv2DGeometry &g,
                    const Halide::Target &target);

} // namespace axon::halide

#endif // AXON_BACKENDS_HALIDE_CONTRACTION_H
