// Scalar twin of the dropout2d kernel.
#include "kernels/dropout2d.h"

namespace nne {

void dropout2d_forward_reference(float* y, const float* x, const Dropout2dShape& s) {
  const uint32_t k1 = static_cast<uint32_t>(s.seed), k2 = static_cast<uint32_t>(s.seed >> 32);
  for (int64_t i = 0; i < s.planes; ++i) {
    const bool keep = dropout_keep(static_cast<uint32_t>(i), k1, k2, dropout_threshold(s.p));
    for (int64_t j = 0; j < s.plane; ++j) y[i * s.plane + j] = keep ? x[i * s.plane + j] * (1.f / (1.f - s.p)) : 0.f;
  }
}

}  // namespace nne
