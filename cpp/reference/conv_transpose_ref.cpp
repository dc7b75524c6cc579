// Scalar twins of the conv_transpose2d kernels: direct scatter loops over input positions and taps (no
// conv2d code), the oracle inside C++.
#include <cstring>

#include "kernels/conv_transpose.h"

namespace nne {
namespace {

// Calls f(x_index, w_index, y_index) for every input element, tap and output channel whose output
// position lies inside y.
template <class F>
void for_taps(const ConvTranspose2dShape& s, F f) {
  const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups;
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t c = 0; c < s.C; ++c) {
      const int64_t gr = c / Cg;
      for (int64_t h = 0; h < s.H; ++h)
        for (int64_t wi = 0; wi < s.W; ++wi)
          for (int64_t kk = 0; kk < Kg; ++kk)
            for (int64_t r = 0; r < s.R; ++r)
              for (int64_t t = 0; t < s.S; ++t) {
                const int64_t oh = h * s.stride_h - s.pad_h + r * s.dil_h;
                const int64_t ow = wi * s.stride_w - s.pad_w + t * s.dil_w;
                if (oh < 0 || oh >= s.P || ow < 0 || ow >= s.Q) continue;
                f(((n * s.C + c) * s.H + h) * s.W + wi, ((c * Kg + kk) * s.R + r) * s.S + t,
                  ((n * s.K + gr * Kg + kk) * s.P + oh) * s.Q + ow);
              }
    }
}

}  // namespace

void conv_transpose2d_forward_reference(float* y, const float* x, const float* w, const float* b,
                                        const ConvTranspose2dShape& s) {
  for (int64_t i = 0; i < s.N * s.K * s.P * s.Q; ++i) y[i] = b ? b[(i / (s.P * s.Q)) % s.K] : 0.f;
  for_taps(s, [&](int64_t xi, int64_t wi, int64_t yi) { y[yi] += x[xi] * w[wi]; });
}

void conv_transpose2d_backward_data_reference(float* dx, const float* dy, const float* w,
                                              const ConvTranspose2dShape& s) {
  std::memset(dx, 0, sizeof(float) * s.N * s.C * s.H * s.W);
  for_taps(s, [&](int64_t xi, int64_t wi, int64_t yi) { dx[xi] += dy[yi] * w[wi]; });
}

void conv_transpose2d_backward_weights_reference(float* dw, float* db, const float* dy, const float* x,
                                                 const ConvTranspose2dShape& s) {
  if (db) {
    std::memset(db, 0, sizeof(float) * s.K);
    for (int64_t i = 0; i < s.N * s.K * s.P * s.Q; ++i) db[(i / (s.P * s.Q)) % s.K] += dy[i];
  }
  if (!dw) return;
  std::memset(dw, 0, sizeof(float) * s.C * (s.K / s.groups) * s.R * s.S);
  for_taps(s, [&](int64_t xi, int64_t wi, int64_t yi) { dw[wi] += x[xi] * dy[yi]; });
}

}  // namespace nne
