// Direct stride-1 convolution kernels used by conv2d.cpp (internal; compiled per ISA like it).
//
// The image is zero-padded to (Hp, Wp) and the output is computed on the padded-width grid: output
// m = p*Wp + q reads input m + (r*dil_h*Wp + t*dil_w) of each channel, so every tap is a contiguous,
// shifted vector load and the kernel is a register-tiled 1-D convolution (output channels x vectors
// of m). Columns q >= Q of that grid are computed and discarded; the kernel rows that read only zero padding
// for all of a tile's output rows are skipped (with finite weights their products add nothing: same sums). Backward data is the same kernel on
// dy with flipped, transposed weights. Backward weights is a correlation of dy with the padded input:
// when the output channels fill the vector lanes, an outer product per grid position (dy transposed
// to (m, k), taps broadcast, m blocked to stay in L1, partials (tap, k) in registers); else lanes run
// over m with a vector partial per (k, tap); the outer product skips the grid's padding columns. Both are
// summed over fixed image chunks (thread-count independent) and the chunk partials combined in order.
#pragma once

#include <cstring>

#include "core/simd.h"
#include "kernels/conv2d.h"

namespace nne {
namespace NNE_ISA_NS {

// The padded grid of one group of one image, shared by the direct kernels (conv2d_direct.cpp) and the
// channel-lane forward (conv2d_direct_lanes.cpp).
struct Grid {
  int64_t Cg, Kg, CRS, Hp, Wp, HpWp, nvec, xsize;
};

inline Grid grid(const Conv2dShape& s) {
  Grid g;
  g.Cg = s.C / s.groups;
  g.Kg = s.K / s.groups;
  g.CRS = g.Cg * s.R * s.S;
  g.Hp = s.H + 2 * s.pad_h;
  g.Wp = s.W + 2 * s.pad_w;
  g.HpWp = g.Hp * g.Wp;
  g.nvec = (s.P * g.Wp + kLanes - 1) / kLanes;
  // reads run up to one padded plane per channel plus the rounding of m and one row of slack
  g.xsize = g.Cg * g.HpWp + g.nvec * kLanes + g.Wp + kLanes;
  return g;
}

// Zero-padded copy of one group of one image (Cg channels) and the tap offsets.
inline void pad_input(float* xp, const float* x, const Conv2dShape& s, const Grid& g) {
  std::memset(xp, 0, sizeof(float) * g.xsize);
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t h = 0; h < s.H; ++h)
      std::memcpy(xp + c * g.HpWp + (h + s.pad_h) * g.Wp + s.pad_w, x + (c * s.H + h) * s.W, sizeof(float) * s.W);
}

inline void tap_offsets(int64_t* off, const Conv2dShape& s, const Grid& g) {
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t r = 0; r < s.R; ++r)
      for (int64_t t = 0; t < s.S; ++t) off[(c * s.R + r) * s.S + t] = c * g.HpWp + r * s.dil_h * g.Wp + t * s.dil_w;
}

// The weights of every group tap-major, as a row-major (CRS, Kg) matrix per group: wt[gr][i][k] = w[gr*Kg + k][i]
// (conv2d_direct.cpp: 8 x 8 register transposes, blocks of taps split over threads).
void weights_tap_major(float* wt, const float* w, int64_t groups, int64_t Kg, int64_t CRS);

enum class DirectOp { forward, backward_data, backward_weights };

// Whether the direct kernel of `op` handles (and is the faster path for) this shape: stride 1;
// backward data also needs pad <= dil*(k-1).
bool conv2d_direct_ok(const Conv2dShape& s, DirectOp op);
void conv2d_direct_forward(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s);
void conv2d_direct_backward_data(float* dx, const float* dy, const float* w, const Conv2dShape& s);
void conv2d_direct_backward_weights(float* dw, float* db, const float* dy, const float* x, const Conv2dShape& s);

// The forward with the output channels in the vector lanes (conv2d_direct_lanes.cpp), when the group's output
// channels fill whole vectors and either the layer has stride 1 and many taps per output (>= 128, e.g. 64 -> 64
// under 3x3) or a padded grid that would waste many lanes (narrow outputs, e.g. LeNet's 8x8 from 12x12 under
// 5x5), or it is strided (stride_w <= 2) with few taps (the 7x7/2 stem). It computes each output as the grid
// kernel does (the same fma chain over the taps in the same order; the grid kernel's skipped padding-only kernel
// rows add only zero products), so both give bit-identical outputs for finite weights. One channel vector's tile
// width fits the output width (conv2d_direct_lanes.cpp).
bool conv2d_lanes_ok(const Conv2dShape& s);
void conv2d_lanes_forward(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s);

}  // namespace NNE_ISA_NS
}  // namespace nne
