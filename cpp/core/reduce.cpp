// Deterministic reduction of per-chunk partial sums (see reduce.h).
#include "core/reduce.h"

namespace nne {

void sum_partials(float* out, const float* parts, int64_t n, int64_t stride, int64_t len) {
  for (int64_t i = 0; i < len; ++i) {
    float acc = parts[i];
    for (int64_t c = 1; c < n; ++c) acc += parts[c * stride + i];
    out[i] = acc;
  }
}

}  // namespace nne
