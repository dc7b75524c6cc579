// dropout2d kernels (compiled once per ISA): one hash per plane, then a scaled copy or a zero fill.
#include "kernels/dropout2d.h"

#include <algorithm>
#include <cstring>

#include "core/kernel_status.h"
#include "core/parallel.h"
#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

void apply_mask(float* y, const float* x, const Dropout2dShape& s) {
  const uint32_t k1 = static_cast<uint32_t>(s.seed), k2 = static_cast<uint32_t>(s.seed >> 32);
  const uint32_t th = dropout_threshold(s.p);
  const float scale = 1.f / (1.f - s.p);
  const VecF sv = vset1(scale);
  const int64_t grain = plane_grain(s.plane);
  parallel_for(0, s.planes, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      float* yp = y + i * s.plane;
      const float* xp = x + i * s.plane;
      if (!dropout_keep(static_cast<uint32_t>(i), k1, k2, th)) {
        std::memset(yp, 0, sizeof(float) * s.plane);
        continue;
      }
      int64_t j = 0;
      for (; j + kLanes <= s.plane; j += kLanes) vstore(yp + j, vmul(vload(xp + j), sv));
      for (; j < s.plane; ++j) yp[j] = xp[j] * scale;
    }
  });
}

}  // namespace

extern const Dropout2dKernels dropout2d = {NNE_KERNEL_ENTRY(apply_mask), NNE_KERNEL_ENTRY(apply_mask)};

}  // namespace NNE_ISA_NS
}  // namespace nne
