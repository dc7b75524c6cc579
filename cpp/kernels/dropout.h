// dropout: inverted dropout (Srivastava et al. 2014) with a counter-based mask. Element i is kept iff
// hash(seed, i) >= p * 2^24 (24-bit uniform from two rounds of the murmur3 finalizer), and kept
// elements are scaled by 1/(1-p). The mask is a pure function of (seed, i): no mask workspace, backward
// regenerates it, and the result does not depend on the thread count. n < 2^32.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

struct DropoutShape {
  int64_t n = 0;
  float p = 0.5f;  // drop probability in [0, 1)
  uint64_t seed = 0;
};

struct DropoutKernels {
  void (*forward)(float* y, const float* x, const DropoutShape& s);
  void (*backward)(float* dx, const float* dy, const DropoutShape& s);
};

// Keep decision for element i (shared by the kernels and the reference twin).
inline bool dropout_keep(uint32_t i, uint32_t k1, uint32_t k2, uint32_t threshold) {
  uint32_t h = i * 0x9E3779B1u + k1;
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  h ^= k2;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return (h >> 8) >= threshold;
}

inline uint32_t dropout_threshold(float p) { return static_cast<uint32_t>(static_cast<double>(p) * 16777216.0); }

// Scalar reference twin (cpp/reference/dropout_ref.cpp).
void dropout_forward_reference(float* y, const float* x, const DropoutShape& s);

}  // namespace nne

NNE_DISPATCH(nne::DropoutKernels, dropout)
