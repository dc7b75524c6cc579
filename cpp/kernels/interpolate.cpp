// interpolate kernels (compiled once per ISA). See interpolate.h for the contract. The taps of both
// dimensions are computed once per call; a plane's output row then blends two input rows (bilinear) or copies
// one gathered row (nearest).
#include "kernels/interpolate.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/kernel_status.h"
#include "core/parallel.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// The row and column taps of the shape, in this thread's buffers (read by every worker thread of one call).
void taps(const InterpShape& s, const InterpTap** ph, const InterpTap** pw) {
  static thread_local std::vector<InterpTap> th, tw;
  th.resize(static_cast<size_t>(s.P)), tw.resize(static_cast<size_t>(s.Q));
  interp_taps(th.data(), s.H, s.P, s.scale_h, s.mode, s.align_corners);
  interp_taps(tw.data(), s.W, s.Q, s.scale_w, s.mode, s.align_corners);
  *ph = th.data(), *pw = tw.data();
}

void forward(float* y, const float* x, const InterpShape& s) {
  const InterpTap *ph, *pw;
  taps(s, &ph, &pw);
  const bool nearest = s.mode == InterpMode::nearest;
  parallel_planes(s.NC, s.H * s.W + s.P * s.Q, [&](int64_t i) {
    const float* xp = x + i * s.H * s.W;
    float* yp = y + i * s.P * s.Q;
    for (int64_t p = 0; p < s.P; ++p) {
      const InterpTap a = ph[p];
      const float *r0 = xp + a.i0 * s.W, *r1 = xp + a.i1 * s.W;
      float* yr = yp + p * s.Q;
      if (nearest) {
        for (int64_t q = 0; q < s.Q; ++q) yr[q] = r0[pw[q].i0];
        continue;
      }
      for (int64_t q = 0; q < s.Q; ++q) {
        const InterpTap b = pw[q];
        yr[q] = a.l0 * (b.l0 * r0[b.i0] + b.l1 * r0[b.i1]) + a.l1 * (b.l0 * r1[b.i0] + b.l1 * r1[b.i1]);
      }
    }
  });
}

void backward(float* dx, const float* dy, const InterpShape& s) {
  const InterpTap *ph, *pw;
  taps(s, &ph, &pw);
  const bool nearest = s.mode == InterpMode::nearest;
  parallel_planes(s.NC, s.H * s.W + s.P * s.Q, [&](int64_t i) {
    float* xp = dx + i * s.H * s.W;
    const float* yp = dy + i * s.P * s.Q;
    std::memset(xp, 0, sizeof(float) * s.H * s.W);
    for (int64_t p = 0; p < s.P; ++p) {
      const InterpTap a = ph[p];
      float *r0 = xp + a.i0 * s.W, *r1 = xp + a.i1 * s.W;
      const float* g = yp + p * s.Q;
      if (nearest) {
        for (int64_t q = 0; q < s.Q; ++q) r0[pw[q].i0] += g[q];
        continue;
      }
      for (int64_t q = 0; q < s.Q; ++q) {
        const InterpTap b = pw[q];
        const float g0 = a.l0 * g[q], g1 = a.l1 * g[q];
        r0[b.i0] += b.l0 * g0;
        r0[b.i1] += b.l1 * g0;
        r1[b.i0] += b.l0 * g1;
        r1[b.i1] += b.l1 * g1;
      }
    }
  });
}

}  // namespace

extern const InterpolateKernels interpolate = {NNE_KERNEL_ENTRY(forward), NNE_KERNEL_ENTRY(backward)};

}  // namespace NNE_ISA_NS
}  // namespace nne
