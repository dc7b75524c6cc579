// FMA-throughput probe (private to gemm.cpp, compiled once per ISA with it): the ceiling the GEMM
// benchmarks report their GFLOP/s against.
//
// kProbeAcc independent accumulator vectors (more than FMA latency x FMA ports on current x86 cores:
// 4-5 cycles x 2) each take one FMA per iteration, so the loop is bound by FMA throughput, not
// latency, and needs no memory. Each call does 2 * kLanes * kProbeAcc * iters flops; the returned sum
// keeps the loop alive. The baseline build has no FMA instruction (vfma is a multiply and an add).
#pragma once

#include <cstdint>

#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

constexpr int kProbeAcc = 12;

double fma_probe(int64_t iters, int64_t* flops) {
  VecF acc[kProbeAcc];
  for (int i = 0; i < kProbeAcc; ++i) acc[i] = vset1(1.f + 1e-3f * static_cast<float>(i));
  const VecF m = vset1(0.999999f), a = vset1(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kProbeAcc; ++i) acc[i] = vfma(acc[i], m, a);
  }
  double s = 0;
  for (int i = 0; i < kProbeAcc; ++i) s += static_cast<double>(vsum(acc[i]));
  *flops = 2 * int64_t{kLanes} * kProbeAcc * iters;
  return s;
}

}  // namespace
}  // namespace NNE_ISA_NS
}  // namespace nne
