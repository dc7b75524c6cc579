// Scalar twins of the adaptive_pool2d kernels: plain window loops.
#include <cmath>
#include <cstring>

#include "kernels/adaptive_pool2d.h"

namespace nne {
namespace {

// Calls f(plane, out_index, h0, h1, w0, w1) for every output element.
template <class F>
void for_windows(const AdaptivePool2dShape& s, F f) {
  for (int64_t i = 0; i < s.NC; ++i)
    for (int64_t p = 0; p < s.P; ++p)
      for (int64_t q = 0; q < s.Q; ++q)
        f(i, i * s.P * s.Q + p * s.Q + q, adaptive_start(p, s.H, s.P), adaptive_end(p, s.H, s.P),
          adaptive_start(q, s.W, s.Q), adaptive_end(q, s.W, s.Q));
}

}  // namespace

void adaptive_pool2d_forward_avg_reference(float* y, const float* x, const AdaptivePool2dShape& s) {
  for_windows(s, [&](int64_t i, int64_t o, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
    float acc = 0.f;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) acc += x[(i * s.H + h) * s.W + w];
    y[o] = acc / static_cast<float>((h1 - h0) * (w1 - w0));
  });
}

void adaptive_pool2d_backward_avg_reference(float* dx, const float* dy, const AdaptivePool2dShape& s) {
  std::memset(dx, 0, sizeof(float) * s.NC * s.H * s.W);
  for_windows(s, [&](int64_t i, int64_t o, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
    const float g = dy[o] / static_cast<float>((h1 - h0) * (w1 - w0));
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) dx[(i * s.H + h) * s.W + w] += g;
  });
}

void adaptive_pool2d_forward_max_reference(float* y, int32_t* idx, const float* x, const AdaptivePool2dShape& s) {
  for_windows(s, [&](int64_t i, int64_t o, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
    int64_t best = -1;
    float m = 0.f;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) {
        const float v = x[(i * s.H + h) * s.W + w];
        if (best < 0 || (!std::isnan(m) && (v > m || std::isnan(v)))) m = v, best = h * s.W + w;
      }
    y[o] = m;
    if (idx) idx[o] = static_cast<int32_t>(best);
  });
}

void adaptive_pool2d_backward_max_reference(float* dx, const float* dy, const int32_t* idx, const AdaptivePool2dShape& s) {
  std::memset(dx, 0, sizeof(float) * s.NC * s.H * s.W);
  for (int64_t i = 0; i < s.NC; ++i)
    for (int64_t o = 0; o < s.P * s.Q; ++o) dx[i * s.H * s.W + idx[i * s.P * s.Q + o]] += dy[i * s.P * s.Q + o];
}

}  // namespace nne
