// RBM Gibbs half-step: one layer of a binary restricted Boltzmann machine given the other.
//
// rbm_sample(prob, state, x, W, bias, seed, s):
//   prob[n, j]  = sigmoid(sum_i x[n, i] * op(W)[i, j] + bias[j])         (N x out)
//   state[n, j] = u(seed, n * out + j) < prob[n, j] ? 1 : 0               (skipped if state is null)
// W is stored (H, V) as in PyTorch's Linear(V, H). Hidden given visible: x = v (N x V), op(W) = W^T
// (trans_w = true, in = V, out = H); visible given hidden: x = h (N x H), op(W) = W (trans_w = false,
// in = H, out = V). bias has `out` entries. The product runs on the GEMM (sgemm) with the bias fused; the
// sigmoid (core/simd.h, rel. error ~4e-7) and the Bernoulli draw are fused in one pass over the output.
// u is a counter-based uniform (splitmix64 of seed and the element's flat index, 24 bits), so the
// samples depend only on (seed, index), never on the thread count or ISA.
// Reference: Hinton, "A Practical Guide to Training Restricted Boltzmann Machines" (2010).
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

struct RbmShape {
  int64_t N = 0;    // batch rows
  int64_t in = 0;   // units given (columns of x)
  int64_t out = 0;  // units sampled (columns of prob/state)
  bool trans_w = true;
};

// Uniform in [0, 1) with 24 random bits: splitmix64(seed + (index + 1) * golden gamma).
inline float rbm_uniform(uint64_t seed, uint64_t index) {
  uint64_t z = seed + (index + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (1.0f / 16777216.0f);
}

struct RbmKernels {
  void (*sample)(float* prob, float* state, const float* x, const float* W, const float* bias, uint64_t seed,
                 const RbmShape& s);
};

// Scalar twin (cpp/reference/rbm_ref.cpp): float64 dot products, libm exp, the same uniforms.
void rbm_sample_reference(float* prob, float* state, const float* x, const float* W, const float* bias,
                          uint64_t seed, const RbmShape& s);

}  // namespace nne

NNE_DISPATCH(nne::RbmKernels, rbm)
