// Scalar twin of the dropout kernel.
#include "kernels/dropout.h"

namespace nne {

void dropout_forward_reference(float* y, const float* x, const DropoutShape& s) {
  const uint32_t k1 = static_cast<uint32_t>(s.seed), k2 = static_cast<uint32_t>(s.seed >> 32);
  for (int64_t i = 0; i < s.n; ++i)
    y[i] = dropout_keep(static_cast<uint32_t>(i), k1, k2, dropout_threshold(s.p)) ? x[i] * (1.f / (1.f - s.p)) : 0.f;
}

}  // namespace nne
