// adaptive_pool2d kernels (compiled once per ISA). See adaptive_pool2d.h for the contract. Rows of a window are
// contiguous, so the average sums them with vector loads when windows are wide (a window of whole rows as one
// span); the maximum keeps the first winner in scan order.
#include "kernels/adaptive_pool2d.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/kernel_status.h"
#include "core/parallel.h"
#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// sum of n contiguous floats, four independent vector accumulators
inline float span_sum(const float* p, int64_t n) {
  VecF a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero();
  int64_t j = 0;
  for (; j + 4 * kLanes <= n; j += 4 * kLanes) {
    a0 = vadd(a0, vload(p + j));
    a1 = vadd(a1, vload(p + j + kLanes));
    a2 = vadd(a2, vload(p + j + 2 * kLanes));
    a3 = vadd(a3, vload(p + j + 3 * kLanes));
  }
  for (; j + kLanes <= n; j += kLanes) a0 = vadd(a0, vload(p + j));
  float tail = 0.f;
  for (; j < n; ++j) tail += p[j];
  return vsum(vadd(vadd(a0, a1), vadd(a2, a3))) + tail;
}

// sum over rows [h0, h1) x columns [w0, w1) of a plane with row length W: one contiguous span when the window
// covers whole rows (global pooling), else the rows' vector parts summed lane-wise and reduced once
inline float window_sum(const float* xp, int64_t W, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
  if (w0 == 0 && w1 == W) return span_sum(xp + h0 * W, (h1 - h0) * W);
  const int64_t n = w1 - w0, nv = n / kLanes * kLanes;
  VecF acc = vzero();
  float tail = 0.f;
  for (int64_t h = h0; h < h1; ++h) {
    const float* r = xp + h * W + w0;
    for (int64_t j = 0; j < nv; j += kLanes) acc = vadd(acc, vload(r + j));
    for (int64_t j = nv; j < n; ++j) tail += r[j];
  }
  return nv ? vsum(acc) + tail : tail;
}

void forward_avg(float* y, const float* x, const AdaptivePool2dShape& s) {
  parallel_planes(s.NC, s.H * s.W + s.P * s.Q, [&](int64_t i) {
    const float* xp = x + i * s.H * s.W;
    float* yp = y + i * s.P * s.Q;
    for (int64_t p = 0; p < s.P; ++p) {
      const int64_t h0 = adaptive_start(p, s.H, s.P), h1 = adaptive_end(p, s.H, s.P);
      for (int64_t q = 0; q < s.Q; ++q) {
        const int64_t w0 = adaptive_start(q, s.W, s.Q), w1 = adaptive_end(q, s.W, s.Q);
        yp[p * s.Q + q] = window_sum(xp, s.W, h0, h1, w0, w1) / static_cast<float>((h1 - h0) * (w1 - w0));
      }
    }
  });
}

void backward_avg(float* dx, const float* dy, const AdaptivePool2dShape& s) {
  parallel_planes(s.NC, s.H * s.W + s.P * s.Q, [&](int64_t i) {
    float* xp = dx + i * s.H * s.W;
    const float* yp = dy + i * s.P * s.Q;
    std::memset(xp, 0, sizeof(float) * s.H * s.W);
    for (int64_t p = 0; p < s.P; ++p) {
      const int64_t h0 = adaptive_start(p, s.H, s.P), h1 = adaptive_end(p, s.H, s.P);
      for (int64_t q = 0; q < s.Q; ++q) {
        const int64_t w0 = adaptive_start(q, s.W, s.Q), w1 = adaptive_end(q, s.W, s.Q);
        const float g = yp[p * s.Q + q] / static_cast<float>((h1 - h0) * (w1 - w0));
        const VecF gv = vset1(g);
        for (int64_t h = h0; h < h1; ++h) {
          float* r = xp + h * s.W;
          int64_t w = w0;
          for (; w + kLanes <= w1; w += kLanes) vstore(r + w, vadd(vload(r + w), gv));
          for (; w < w1; ++w) r[w] += g;
        }
      }
    }
  });
}

void forward_max(float* y, int32_t* idx, const float* x, const AdaptivePool2dShape& s) {
  parallel_planes(s.NC, s.H * s.W + s.P * s.Q, [&](int64_t i) {
    const float* xp = x + i * s.H * s.W;
    for (int64_t p = 0; p < s.P; ++p) {
      const int64_t h0 = adaptive_start(p, s.H, s.P), h1 = adaptive_end(p, s.H, s.P);
      for (int64_t q = 0; q < s.Q; ++q) {
        const int64_t w0 = adaptive_start(q, s.W, s.Q), w1 = adaptive_end(q, s.W, s.Q);
        int64_t best = h0 * s.W + w0;
        float m = xp[best];
        for (int64_t h = h0; h < h1 && !std::isnan(m); ++h)
          for (int64_t w = w0; w < w1; ++w) {
            const float v = xp[h * s.W + w];
            if (v > m || std::isnan(v)) {
              m = v, best = h * s.W + w;
              if (std::isnan(v)) break;
            }
          }
        const int64_t o = i * s.P * s.Q + p * s.Q + q;
        y[o] = m;
        if (idx) idx[o] = static_cast<int32_t>(best);
      }
    }
  });
}

void backward_max(float* dx, const float* dy, const int32_t* idx, const AdaptivePool2dShape& s) {
  parallel_planes(s.NC, s.H * s.W + s.P * s.Q, [&](int64_t i) {
    float* xp = dx + i * s.H * s.W;
    std::memset(xp, 0, sizeof(float) * s.H * s.W);
    for (int64_t o = 0; o < s.P * s.Q; ++o) xp[idx[i * s.P * s.Q + o]] += dy[i * s.P * s.Q + o];
  });
}

}  // namespace

extern const AdaptivePool2dKernels adaptive_pool2d = {
    NNE_KERNEL_ENTRY(forward_avg), NNE_KERNEL_ENTRY(backward_avg), NNE_KERNEL_ENTRY(forward_max),
    NNE_KERNEL_ENTRY(backward_max)
};

}  // namespace NNE_ISA_NS
}  // namespace nne
