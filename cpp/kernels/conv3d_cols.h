// The column matrix of conv3d (compiled once per ISA with conv3d.cpp), read from a zero-padded copy of the input
// (or the input itself when unpadded), so every tap of every output row is one run of the volume without bounds
// checks: packed straight into the GEMM's panels (GemmArgs::pack_b) or into a row-major matrix (pack_cols), and
// its adjoint, the scatter-add of a column matrix into a padded gradient (scatter_cols).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/simd.h"
#include "kernels/conv3d.h"
#include "kernels/conv_im2col.h"

namespace nne {
namespace NNE_ISA_NS {

// ni images' Cg channels as volumes of SD x SH x SW floats (the input's, plus the padding on both sides): channel c
// of image i at p + i * img + c * ch.
struct ColSource {
  const Conv3dShape* s = nullptr;
  float* p = nullptr;
  int64_t img = 0, ch = 0, SD = 0, SH = 0, SW = 0;
  int64_t L = 0;       // output positions of one image (OD * P * Q)
  int64_t origin = 0;  // offset of the first output position's window in each volume
};

inline bool padded(const Conv3dShape& s) { return s.pad_d > 0 || s.pad_h > 0 || s.pad_w > 0; }

// The layout of the padded volumes of one group's images (p unset).
inline ColSource padded_layout(const Conv3dShape& s) {
  ColSource c;
  c.s = &s;
  c.L = s.OD * s.P * s.Q;
  c.SD = s.D + 2 * s.pad_d, c.SH = s.H + 2 * s.pad_h, c.SW = s.W + 2 * s.pad_w;
  c.ch = c.SD * c.SH * c.SW, c.img = (s.C / s.groups) * c.ch;
  return c;
}

// Calls fn(padded row, x row) for the W-long rows of ni images of one group: the volume rows of `c` (padded
// layout) and of x (from the group's first channel of the first image).
template <class F>
void for_volume_rows(const ColSource& c, int64_t ni, const F& fn) {
  const Conv3dShape& s = *c.s;
  const int64_t Cg = s.C / s.groups, DHW = s.D * s.H * s.W;
  for (int64_t i = 0; i < ni; ++i)
    for (int64_t ch = 0; ch < Cg; ++ch)
      for (int64_t d = 0; d < s.D; ++d)
        for (int64_t h = 0; h < s.H; ++h)
          fn(i * c.img + ch * c.ch + ((d + s.pad_d) * c.SH + h + s.pad_h) * c.SW + s.pad_w,
             i * s.C * DHW + ch * DHW + (d * s.H + h) * s.W);
}

// The source of images [n0, n0 + ni), group gr: x itself when unpadded, else a zero-bordered copy in buf.
inline ColSource col_source(const float* x, const Conv3dShape& s, int64_t n0, int64_t ni, int64_t gr,
                            std::vector<float>& buf) {
  const int64_t Cg = s.C / s.groups, DHW = s.D * s.H * s.W;
  const float* x0 = x + (n0 * s.C + gr * Cg) * DHW;
  if (!padded(s)) {
    ColSource c = padded_layout(s);
    c.p = const_cast<float*>(x0), c.img = s.C * DHW;  // read only
    return c;
  }
  ColSource c = padded_layout(s);
  buf.assign(static_cast<size_t>(ni * c.img), 0.f);
  c.p = buf.data();
  for_volume_rows(c, ni, [&](int64_t pad_row, int64_t x_row) {
    std::memcpy(c.p + pad_row, x0 + x_row, sizeof(float) * s.W);
  });
  return c;
}

// The runs of columns [n0, n0 + nc) along q, cut at the edges of nr-wide panels of kc rows: source offset of the
// run's first position (from a row's tap offset), length, offset in the packed block.
struct ColRun {
  int64_t src, n, dst;
};

inline void col_runs(const ColSource& cs, int64_t n0, int64_t nc, int64_t nr, int64_t kc, std::vector<ColRun>& runs) {
  const Conv3dShape& s = *cs.s;
  runs.clear();
  const int64_t SHW = cs.SH * cs.SW;
  for (int64_t j = n0; j < n0 + nc;) {
    const int64_t i = j / cs.L, pos = j % cs.L, op = pos / s.Q, q = pos % s.Q;
    int64_t n = std::min(s.Q - q, n0 + nc - j);
    int64_t src = cs.origin + i * cs.img + (op / s.P) * s.stride_d * SHW + (op % s.P) * s.stride_h * cs.SW + q * s.stride_w;
    while (n > 0) {
      const int64_t jj = j - n0, lane = jj % nr, m = std::min(n, nr - lane);
      runs.push_back({src, m, jj / nr * kc * nr + lane});
      src += m * s.stride_w, j += m, n -= m;
    }
  }
}

// The source offset of column-matrix row k = (c, t, r, u): channel c, shifted by the tap.
inline int64_t row_offset(const ColSource& cs, int64_t k) {
  const Conv3dShape& s = *cs.s;
  const int64_t RS = s.R * s.S, TRS = s.T * RS;
  const int64_t c = k / TRS, t = k / RS % s.T, r = k / s.S % s.R, u = k % s.S;
  return c * cs.ch + t * s.dil_d * cs.SH * cs.SW + r * s.dil_h * cs.SW + u * s.dil_w;
}

// A GemmPackFn over a ColSource (ctx): rows k = (c, t, r, u) of the column matrix, columns j = i * L + position
// (image i of the source), written as pack_b's panels: element (k, j) at dst[(j - n0)/nr*kc*nr + (k - k0)*nr +
// (j - n0)%nr], lanes past nc zero. With nr == nc it writes a row-major kc x nc matrix.
inline void pack_cols(const void* ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int64_t nr, float* dst) {
  const ColSource& cs = *static_cast<const ColSource*>(ctx);
  const int64_t sw = cs.s->stride_w;
  static thread_local std::vector<ColRun> runs;
  col_runs(cs, n0, nc, nr, kc, runs);
  for (int64_t k = k0; k < k0 + kc; ++k) {
    const float* src = cs.p + row_offset(cs, k);
    float* d = dst + (k - k0) * nr;
    for (const ColRun& run : runs) {
      if (sw == 1) {
        int64_t i = 0;
        for (; i + kLanes <= run.n; i += kLanes) vstore(d + run.dst + i, vload(src + run.src + i));
        if (i < run.n) {
          const int m = static_cast<int>(run.n - i);
          vstore_n(d + run.dst + i, vload_n(src + run.src + i, m), m);
        }
      } else {
        copy_strided(d + run.dst, src + run.src, 0, run.n, sw);
      }
    }
  }
  const int64_t used = nc % nr;
  if (used == 0) return;
  float* last = dst + nc / nr * kc * nr;
  for (int64_t k = 0; k < kc; ++k) std::fill(last + k * nr + used, last + (k + 1) * nr, 0.f);
}

// The adjoint of pack_cols with nr == nc: the row-major CK x nc column matrix `col` (columns [n0, n0 + nc)) added
// into the source volumes (a padded gradient, or the gradient itself when unpadded).
inline void scatter_cols(const ColSource& cs, const float* col, int64_t n0, int64_t nc) {
  const Conv3dShape& s = *cs.s;
  const int64_t sw = s.stride_w, CK = (s.C / s.groups) * s.T * s.R * s.S;
  static thread_local std::vector<ColRun> runs;
  col_runs(cs, n0, nc, nc, CK, runs);
  for (int64_t k = 0; k < CK; ++k) {
    float* d = cs.p + row_offset(cs, k);
    const float* src = col + k * nc;
    for (const ColRun& run : runs)
      for (int64_t i = 0; i < run.n; ++i) d[run.src + i * sw] += src[run.dst + i];
  }
}

}  // namespace NNE_ISA_NS
}  // namespace nne
