// float32 values rounded to bf16 precision, kept as float32 (per ISA: include only from kernel files).
//
// The bf16 compute of the recurrent kernels' fallback and of the direct convolutions under autocast: a product of
// two bf16 values is exact in float32, so float32 FMAs over rounded operands sum the same products as the bf16
// kernels (up to the order of the sums).
#pragma once

#include <cstdint>
#include <cstring>

namespace nne {
namespace NNE_ISA_NS {

// The bits of f rounded to bf16 (gemm_bf16.h's float_to_bf16_bits: ties to even, NaN quieted) in the high
// half, zero low half; branch-free so that loops over it vectorize.
inline uint32_t bf16_round_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u, q = (u | 0x400000u) & 0xffff0000u;
  return (u & 0x7fffffffu) > 0x7f800000u ? q : r;
}

// dst[0..n) = src[0..n) rounded to bf16, as float32 values (dst == src rounds in place).
inline void round_bf16_copy(float* dst, const float* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t u = bf16_round_bits(src[i]);
    std::memcpy(dst + i, &u, 4);
  }
}

// A vector of float32 (any ISA's VecF) rounded to bf16 lane by lane, to nearest even as bf16_round_bits does,
// except that NaN lanes are kept as they are (bf16_round_bits quiets them: NaN either way): the few-row bf16
// products (gemm_dot.h, gemm.cpp's small-M path) round op(B) as they load it, so no copy of it is made.
template <class V>
inline V bf16_round_vec(V v) {
  typedef uint32_t U __attribute__((vector_size(sizeof(V))));
  U u;
  std::memcpy(&u, &v, sizeof u);
  const U r = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  const U nan = (U)(v != v);  // all ones in the NaN lanes, kept as they are (NaN either way; the carry of the
  const U o = (u & nan) | (r & ~nan);  // rounding could turn some of them into zeros)
  std::memcpy(&v, &o, sizeof o);
  return v;
}

// p[0..n) rounded to bf16 in place, as float32 values.
inline void round_bf16(float* p, int64_t n) { round_bf16_copy(p, p, n); }

}  // namespace NNE_ISA_NS
}  // namespace nne
