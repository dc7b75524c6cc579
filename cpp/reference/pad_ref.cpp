// Scalar twins of the pad kernels: one loop over output elements through the index map.
#include <cstring>

#include "kernels/pad.h"

namespace nne {

void pad_forward_reference(float* y, const float* x, const PadShape& s) {
  for (int64_t i = 0; i < s.NC; ++i)
    for (int64_t p = 0; p < s.P; ++p)
      for (int64_t q = 0; q < s.Q; ++q) {
        const int64_t h = pad_source(p, s.top, s.H, s.mode), w = pad_source(q, s.left, s.W, s.mode);
        y[(i * s.P + p) * s.Q + q] = (h < 0 || w < 0) ? s.value : x[(i * s.H + h) * s.W + w];
      }
}

void pad_backward_reference(float* dx, const float* dy, const PadShape& s) {
  std::memset(dx, 0, sizeof(float) * s.NC * s.H * s.W);
  for (int64_t i = 0; i < s.NC; ++i)
    for (int64_t p = 0; p < s.P; ++p)
      for (int64_t q = 0; q < s.Q; ++q) {
        const int64_t h = pad_source(p, s.top, s.H, s.mode), w = pad_source(q, s.left, s.W, s.mode);
        if (h >= 0 && w >= 0) dx[(i * s.H + h) * s.W + w] += dy[(i * s.P + p) * s.Q + q];
      }
}

}  // namespace nne
