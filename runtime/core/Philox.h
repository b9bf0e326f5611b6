// Philox-4x32-10: the counter-based random generator behind every random
// draw in Axon (parameter initialisers and the axon.random_* ops).
//
// A counter-based generator is a pure function of (key, counter), so element
// i of a random tensor can be computed anywhere, in any order, by any
// backend, and the forward and backward passes see the same numbers.
//
// Exact bit recipe (a backend must reproduce it bit for bit):
//
//   key     k = (k0, k1)         = (seed & 0xffffffff, seed >> 32)
//   counter c = (c0, c1, c2, c3) = (index & 0xffffffff, index >> 32,
//                                   counter & 0xffffffff, counter >> 32)
//   10 rounds; round r (r = 0..9) uses the key bumped r times by
//   (W0, W1) = (0x9E3779B9, 0xBB67AE85), mod 2^32, and computes
//     (hi0, lo0) = 64-bit product 0xD2511F53 * c0, split in halves
//     (hi1, lo1) = 64-bit product 0xCD9E8D57 * c2, split in halves
//     c = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
//   The block is the final (x0, x1, x2, x3). This is Random123's
//   philox4x32 with 10 rounds; its known-answer vectors hold (PhiloxTest).
//
//   uniform(seed, counter, index) = (x0 >> 8) * 2^-24
//     a multiple of 2^-24 in [0, 1): exact in f32 and in f64.
//   normal(seed, counter, index): Box-Muller on the same block, in double:
//     u1 = ((x0 >> 8) + 1) * 2^-24      in (0, 1], so log(u1) is finite
//     u2 =  (x1 >> 8)      * 2^-24      in [0, 1)
//     normal = sqrt(-2 * log(u1)) * cos(2 * pi * u2)
//   with pi = 3.14159265358979323846 as a double; a backend that wants the
//   same bits as the reference computes this in double and rounds once.
#ifndef AXON_RUNTIME_CORE_PHILOX_H
#define AXON_RUNTIME_CORE_PHILOX_H

#include <array>
#include <cmath>
#include <cstdint>

namespace axon::philox {

using Block = std::array<uint32_t, 4>;

constexpr uint32_t kMul0 = 0xD2511F53u;
constexpr uint32_t kMul1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u;
constexpr uint32_t kWeyl1 = 0xBB67AE85u;
constexpr int kRounds = 10;

/// The raw Philox-4x32-10 block for a counter block and a key.
inline Block philox4x32(Block ctr, std::array<uint32_t, 2> key) {
  for (int round = 0; round < kRounds; ++round) {
    if (round > 0) {
      key[0] += kWeyl0;
      key[1] += kWeyl1;
    }
    uint64_t p0 = static_cast<uint64_t>(kMul0) * ctr[0];
    uint64_t p1 = static_cast<uint64_t>(kMul1) * ctr[2];
    uint32_t hi0 = static_cast<uint32_t>(p0 >> 32),
             lo0 = static_cast<uint32_t>(p0);
    uint32_t hi1 = static_cast<uint32_t>(p1 >> 32),
             lo1 = static_cast<uint32_t>(p1);
    ctr = {hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0};
  }
  return ctr;
}

/// The block Axon draws element `index` of a tensor from.
inline Block block(uint64_t seed, uint64_t counter, uint64_t index) {
  Block ctr = {static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32),
               static_cast<uint32_t>(counter),
               static_cast<uint32_t>(counter >> 32)};
  return philox4x32(
      ctr, {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
}

/// 2^-24: one step of a 24-bit mantissa.
constexpr double kInv24 = 1.0 / 16777216.0;

/// Uniform in [0, 1), a multiple of 2^-24 (exactly representable as f32).
inline double uniform(uint64_t seed, uint64_t counter, uint64_t index) {
  return static_cast<double>(block(seed, counter, index)[0] >> 8) * kInv24;
}

/// Standard normal by Box-Muller from the first two words of the block.
inline double normal(uint64_t seed, uint64_t counter, uint64_t index) {
  Block x = block(seed, counter, index);
  double u1 = static_cast<double>((x[0] >> 8) + 1) * kInv24; // (0, 1]
  double u2 = static_cast<double>(x[1] >> 8) * kInv24;       // [0, 1)
  const double pi = 3.14159265358979323846;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * pi * u2);
}

} // namespace axon::philox

#endif // AXON_RUNTIME_CORE_PHILOX_H
