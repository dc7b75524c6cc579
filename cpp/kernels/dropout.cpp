// Dropout kernels (compiled once per ISA): a branch-free hash per element that the compiler vectorises.
#include "kernels/dropout.h"

#include <algorithm>

#include "core/kernel_status.h"
#include "core/parallel.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

void apply_mask(float* y, const float* x, const DropoutShape& s) {
  const uint32_t k1 = static_cast<uint32_t>(s.seed), k2 = static_cast<uint32_t>(s.seed >> 32);
  const uint32_t th = dropout_threshold(s.p);
  const float scale = 1.f / (1.f - s.p);
  parallel_for(0, s.n, int64_t{1} << 15, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      y[i] = dropout_keep(static_cast<uint32_t>(i), k1, k2, th) ? x[i] * scale : 0.f;
  });
}

}  // namespace

extern const DropoutKernels dropout = {NNE_KERNEL_ENTRY(apply_mask), NNE_KERNEL_ENTRY(apply_mask)};

}  // namespace NNE_ISA_NS
}  // namespace nne
