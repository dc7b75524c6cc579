// The index rule shared by every interpolate kernel, and the scalar twins (plain loops over the taps).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/interpolate.h"

namespace nne {

void interp_taps(InterpTap* taps, int64_t in, int64_t out, double scale, InterpMode mode, bool align_corners) {
  // torch computes the scale in double and casts it to float (compute_scales_value / area_pixel_compute_scale)
  float sc;
  if (mode == InterpMode::bilinear && align_corners)
    sc = out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.f;
  else
    sc = scale > 0.0 ? static_cast<float>(1.0 / scale) : static_cast<float>(in) / static_cast<float>(out);
  for (int64_t o = 0; o < out; ++o) {
    InterpTap& t = taps[o];
    if (mode == InterpMode::nearest) {
      int64_t i;
      if (out == in)
        i = o;
      else if (out == 2 * in)
        i = o >> 1;
      else
        i = std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * sc)), in - 1);
      t = {i, i, 1.f, 0.f};
      continue;
    }
    float src = align_corners ? sc * static_cast<float>(o) : sc * (static_cast<float>(o) + 0.5f) - 0.5f;
    if (!align_corners && src < 0.f) src = 0.f;
    const int64_t i0 = std::min(static_cast<int64_t>(src), in - 1);
    const int64_t i1 = i0 + (i0 < in - 1 ? 1 : 0);
    const float l1 = std::min(std::max(src - static_cast<float>(i0), 0.f), 1.f);
    t = {i0, i1, 1.f - l1, l1};
  }
}

void interpolate_forward_reference(float* y, const float* x, const InterpShape& s) {
  std::vector<InterpTap> th(static_cast<size_t>(s.P)), tw(static_cast<size_t>(s.Q));
  interp_taps(th.data(), s.H, s.P, s.scale_h, s.mode, s.align_corners);
  interp_taps(tw.data(), s.W, s.Q, s.scale_w, s.mode, s.align_corners);
  for (int64_t i = 0; i < s.NC; ++i)
    for (int64_t p = 0; p < s.P; ++p)
      for (int64_t q = 0; q < s.Q; ++q) {
        const float* xp = x + i * s.H * s.W;
        const InterpTap &a = th[static_cast<size_t>(p)], &b = tw[static_cast<size_t>(q)];
        if (s.mode == InterpMode::nearest) {
          y[(i * s.P + p) * s.Q + q] = xp[a.i0 * s.W + b.i0];
          continue;
        }
        y[(i * s.P + p) * s.Q + q] = a.l0 * (b.l0 * xp[a.i0 * s.W + b.i0] + b.l1 * xp[a.i0 * s.W + b.i1]) +
                                     a.l1 * (b.l0 * xp[a.i1 * s.W + b.i0] + b.l1 * xp[a.i1 * s.W + b.i1]);
      }
}

void interpolate_backward_reference(float* dx, const float* dy, const InterpShape& s) {
  std::vector<InterpTap> th(static_cast<size_t>(s.P)), tw(static_cast<size_t>(s.Q));
  interp_taps(th.data(), s.H, s.P, s.scale_h, s.mode, s.align_corners);
  interp_taps(tw.data(), s.W, s.Q, s.scale_w, s.mode, s.align_corners);
  std::memset(dx, 0, sizeof(float) * s.NC * s.H * s.W);
  for (int64_t i = 0; i < s.NC; ++i)
    for (int64_t p = 0; p < s.P; ++p)
      for (int64_t q = 0; q < s.Q; ++q) {
        float* xp = dx + i * s.H * s.W;
        const InterpTap &a = th[static_cast<size_t>(p)], &b = tw[static_cast<size_t>(q)];
        const float g = dy[(i * s.P + p) * s.Q + q];
        if (s.mode == InterpMode::nearest) {
          xp[a.i0 * s.W + b.i0] += g;
          continue;
        }
        xp[a.i0 * s.W + b.i0] += a.l0 * b.l0 * g;
        xp[a.i0 * s.W + b.i1] += a.l0 * b.l1 * g;
        xp[a.i1 * s.W + b.i0] += a.l1 * b.l0 * g;
        xp[a.i1 * s.W + b.i1] += a.l1 * b.l1 * g;
      }
}

}  // namespace nne
