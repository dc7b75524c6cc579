// Scalar twins of the pooling and maxout kernels: plain window loops, the oracle inside C++.
#include <algorithm>
#include <cstring>

#include "kernels/pool2d.h"

namespace nne {

void pool2d_forward_max_reference(float* y, int32_t* idx, const float* x, const Pool2dShape& s, bool is_min,
                                  bool relu) {
  for (int64_t c = 0; c < s.NC; ++c)
    for (int64_t p = 0; p < s.P; ++p)
      for (int64_t q = 0; q < s.Q; ++q) {
        int64_t bi = -1;
        float best = 0.f;
        for (int64_t r = 0; r < s.kh; ++r)
          for (int64_t t = 0; t < s.kw; ++t) {
            const int64_t h = p * s.sh - s.ph + r, w = q * s.sw - s.pw + t;
            if (h < 0 || h >= s.H || w < 0 || w >= s.W) continue;
            float v = x[(c * s.H + h) * s.W + w];
            if (relu && 0.f > v) v = 0.f;  // the activation kernel's relu: vmax(0, v) (NaN and -0 pass)
            if (bi < 0 || (is_min ? v < best : v > best) || (v != v && best == best)) {  // the first NaN wins
              best = v;
              bi = h * s.W + w;
            }
          }
        y[(c * s.P + p) * s.Q + q] = best;
        if (idx) idx[(c * s.P + p) * s.Q + q] = static_cast<int32_t>(bi);
      }
}

void pool2d_backward_max_reference(float* dx, const float* dy, const int32_t* idx, const Pool2dShape& s) {
  std::memset(dx, 0, sizeof(float) * s.NC * s.H * s.W);
  for (int64_t c = 0; c < s.NC; ++c)
    for (int64_t j = 0; j < s.P * s.Q; ++j) dx[c * s.H * s.W + idx[c * s.P * s.Q + j]] += dy[c * s.P * s.Q + j];
}

void pool2d_forward_avg_reference(float* y, const float* x, const Pool2dShape& s) {
  for (int64_t c = 0; c < s.NC; ++c)
    for (int64_t p = 0; p < s.P; ++p)
      for (int64_t q = 0; q < s.Q; ++q) {
        float acc = 0.f;
        for (int64_t r = 0; r < s.kh; ++r)
          for (int64_t t = 0; t < s.kw; ++t) {
            const int64_t h = p * s.sh - s.ph + r, w = q * s.sw - s.pw + t;
            if (h >= 0 && h < s.H && w >= 0 && w < s.W) acc += x[(c * s.H + h) * s.W + w];
          }
        y[(c * s.P + p) * s.Q + q] = acc / static_cast<float>(s.kh * s.kw);
      }
}

void pool2d_backward_avg_reference(float* dx, const float* dy, const Pool2dShape& s) {
  std::memset(dx, 0, sizeof(float) * s.NC * s.H * s.W);
  for (int64_t c = 0; c < s.NC; ++c)
    for (int64_t p = 0; p < s.P; ++p)
      for (int64_t q = 0; q < s.Q; ++q)
        for (int64_t r = 0; r < s.kh; ++r)
          for (int64_t t = 0; t < s.kw; ++t) {
            const int64_t h = p * s.sh - s.ph + r, w = q * s.sw - s.pw + t;
            if (h >= 0 && h < s.H && w >= 0 && w < s.W)
              dx[(c * s.H + h) * s.W + w] += dy[(c * s.P + p) * s.Q + q] / static_cast<float>(s.kh * s.kw);
          }
}

void pool2d_forward_maxout_reference(float* y, int32_t* idx, const float* x, const MaxoutShape& s) {
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t j = 0; j < s.k; ++j)
      for (int64_t i = 0; i < s.inner; ++i) {
        int32_t bi = 0;
        float best = x[((o * s.k + j) * s.pieces) * s.inner + i];
        for (int64_t p = 1; p < s.pieces; ++p) {
          const float v = x[((o * s.k + j) * s.pieces + p) * s.inner + i];
          if (v > best || (v != v && best == best)) {
            best = v;
            bi = static_cast<int32_t>(p);
          }
        }
        y[(o * s.k + j) * s.inner + i] = best;
        if (idx) idx[(o * s.k + j) * s.inner + i] = bi;
      }
}

void pool2d_backward_maxout_reference(float* dx, const float* dy, const int32_t* idx, const MaxoutShape& s) {
  std::memset(dx, 0, sizeof(float) * s.outer * s.k * s.pieces * s.inner);
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t j = 0; j < s.k; ++j)
      for (int64_t i = 0; i < s.inner; ++i) {
        const int64_t r = (o * s.k + j) * s.inner + i;
        dx[((o * s.k + j) * s.pieces + idx[r]) * s.inner + i] = dy[r];
      }
}

}  // namespace nne
