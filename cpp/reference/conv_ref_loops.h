// Loop scaffolding shared by the convolution scalar twins (conv2d_ref.cpp, conv_transpose_ref.cpp): every pair
// of a position on one grid and the position a kernel tap maps it to on the other grid, and the bias plumbing.
#pragma once

#include <cstdint>
#include <cstring>

namespace nne {
namespace ref_detail {

// Grid 1 (H1, W1) is walked, grid 2 (H2, W2) is bounds-checked: tap (r, t) maps (u, v) to
// (u*stride_h - pad_h + r*dil_h, v*stride_w - pad_w + t*dil_w). Channels: `outer` per image (groups of
// outer / groups), `inner` per group on the other side. For conv2d grid 1 is the output and outer the output
// channels; for the transposed convolution grid 1 is the input and outer the input channels.
struct TapLoops {
  int64_t N, outer, inner, groups, H1, W1, H2, W2, R, S;
  int64_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
};

// Calls f(n, o, gr, u, v, i, r, t, u2, v2) for every image n, outer channel o (of group gr), position (u, v) of
// grid 1, inner channel i of the group and tap (r, t) whose position (u2, v2) lies inside grid 2, in that order.
template <class F>
void for_conv_taps(const TapLoops& L, F f) {
  const int64_t og = L.outer / L.groups;
  for (int64_t n = 0; n < L.N; ++n)
    for (int64_t o = 0; o < L.outer; ++o) {
      const int64_t gr = o / og;
      for (int64_t u = 0; u < L.H1; ++u)
        for (int64_t v = 0; v < L.W1; ++v)
          for (int64_t i = 0; i < L.inner; ++i)
            for (int64_t r = 0; r < L.R; ++r)
              for (int64_t t = 0; t < L.S; ++t) {
                const int64_t u2 = u * L.stride_h - L.pad_h + r * L.dil_h;
                const int64_t v2 = v * L.stride_w - L.pad_w + t * L.dil_w;
                if (u2 < 0 || u2 >= L.H2 || v2 < 0 || v2 >= L.W2) continue;
                f(n, o, gr, u, v, i, r, t, u2, v2);
              }
    }
}

// y (N, K, plane) = b[k] (0 without a bias).
inline void fill_bias(float* y, const float* b, int64_t N, int64_t K, int64_t plane) {
  for (int64_t i = 0; i < N * K * plane; ++i) y[i] = b ? b[(i / plane) % K] : 0.f;
}

// db[k] = the sum of dy (N, K, plane) over images and positions, in memory order.
inline void sum_bias(float* db, const float* dy, int64_t N, int64_t K, int64_t plane) {
  std::memset(db, 0, sizeof(float) * K);
  for (int64_t i = 0; i < N * K * plane; ++i) db[(i / plane) % K] += dy[i];
}

}  // namespace ref_detail
}  // namespace nne
