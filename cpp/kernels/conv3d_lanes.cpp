// conv3d's strided forward by channel-lane tiles (compiled once per ISA). See conv3d_lanes.h.
#include "kernels/conv3d_lanes.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/buffer.h"
#include "core/cpuinfo.h"
#include "core/parallel.h"
#include "kernels/conv2d_direct.h"  // weights_tap_major
#include "kernels/conv_lanes_tile.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

struct Lanes3 {
  int64_t Cg, Kg, CRS, Dp, Hp, Wp, vol;  // a group's channels and taps; the padded volume
};

Lanes3 lanes3(const Conv3dShape& s) {
  Lanes3 l;
  l.Cg = s.C / s.groups, l.Kg = s.K / s.groups, l.CRS = l.Cg * s.T * s.R * s.S;
  l.Dp = s.D + 2 * s.pad_d, l.Hp = s.H + 2 * s.pad_h, l.Wp = s.W + 2 * s.pad_w, l.vol = l.Dp * l.Hp * l.Wp;
  return l;
}

int64_t rows_computed(int64_t P, int rb) { return (P + rb - 1) / rb * rb; }

// Tiles one row shorter when they save a tenth of the rows (conv2d's strided rule: P = 8 takes 4 x 2 rows).
bool shorter_tiles(int64_t P, int rb) { return 10 * rows_computed(P, rb - 1) <= 9 * rows_computed(P, rb); }

// ob[(p * Q + q) * Kg + k] for output plane od of one image and group: tiles of RB rows x QB columns (the last
// band and column overlapping their neighbours: a recomputed output is the same value).
template <int KV, int RB, int QB, int SW>
void plane(float* ob, const float* xp, const Conv3dShape& s, const Lanes3& l, const int64_t* off, const float* wt,
           int64_t od) {
  const int64_t rstride = s.stride_h * l.Wp;
  const float* xd = xp + od * s.stride_d * l.Hp * l.Wp;
  for (int64_t p0 = 0; p0 < s.P; p0 += RB) {
    const int64_t pp = std::min<int64_t>(p0, s.P - RB);
    for (int64_t q0 = 0; q0 < s.Q; q0 += QB) {
      const int64_t qq = std::min<int64_t>(q0, s.Q - QB);
      lanes_tile<KV, RB, QB, SW>(ob + (pp * s.Q + qq) * l.Kg, l.Kg, s.Q, xd + pp * rstride + qq * SW, rstride, off,
                                 wt, l.Kg, l.CRS);
    }
  }
}

template <int KV, int RB, int QB>
void plane_sw(float* ob, const float* xp, const Conv3dShape& s, const Lanes3& l, const int64_t* off, const float* wt,
              int64_t od) {
  if (s.stride_w == 1) return plane<KV, RB, QB, 1>(ob, xp, s, l, off, wt, od);
  plane<KV, RB, QB, 2>(ob, xp, s, l, off, wt, od);
}

template <int KV, int RB, int QB>
void plane_any(float* ob, const float* xp, const Conv3dShape& s, const Lanes3& l, const int64_t* off, const float* wt,
               int64_t od) {
  if (shorter_tiles(s.P, RB)) return plane_sw<KV, RB - 1, QB>(ob, xp, s, l, off, wt, od);
  plane_sw<KV, RB, QB>(ob, xp, s, l, off, wt, od);
}

}  // namespace

bool conv3d_lanes_ok(const Conv3dShape& s) {
  if (s.bf16 || s.stride_w > 2) return false;
  if (s.stride_d == 1 && s.stride_h == 1 && s.stride_w == 1) return false;
  const Lanes3 l = lanes3(s);
  if (l.Kg % kLanes != 0 || l.Kg > 2 * kLanes) return false;
  const bool one = l.Kg == kLanes;
  if (s.P < (one ? kRb1 : kRb2) - 1 || s.Q < (one ? kQb1 : kQb2)) return false;
  return l.CRS * l.Kg * static_cast<int64_t>(sizeof(float)) <= static_cast<int64_t>(cache_info().l2) / 4;
}

void conv3d_lanes_forward(float* y, const float* x, const float* w, const float* b, const Conv3dShape& s) {
  const Lanes3 l = lanes3(s);
  const int64_t items = s.N * s.groups, L = s.OD * s.P * s.Q;
  static thread_local ScratchBuf wbuf, xbuf;
  static thread_local std::vector<int64_t> off;
  float* wt = wbuf.get(static_cast<size_t>(s.K * l.CRS));
  weights_tap_major(wt, w, s.groups, l.Kg, l.CRS);  // wt[gr][i][k]
  off.resize(static_cast<size_t>(l.CRS));
  for (int64_t i = 0; i < l.CRS; ++i) {
    const int64_t c = i / (s.T * s.R * s.S), t = i / (s.R * s.S) % s.T, r = i / s.S % s.R, u = i % s.S;
    off[static_cast<size_t>(i)] = c * l.vol + (t * s.dil_d * l.Hp + r * s.dil_h) * l.Wp + u * s.dil_w;
  }
  // the zero-padded copy of every image and group (the tiles read it in place)
  float* xp = xbuf.get(static_cast<size_t>(items * l.Cg * l.vol));
  parallel_for(0, items * l.Cg * l.Dp, 8, [&](int64_t s0, int64_t s1) {
    for (int64_t si = s0; si < s1; ++si) {
      const int64_t ic = si / l.Dp, z = si % l.Dp - s.pad_d;  // ic = (n * groups + gr) * Cg + c = n * C + channel
      float* d = xp + si * l.Hp * l.Wp;
      std::memset(d, 0, sizeof(float) * l.Hp * l.Wp);
      if (z < 0 || z >= s.D) continue;
      for (int64_t h = 0; h < s.H; ++h)
        std::memcpy(d + (h + s.pad_h) * l.Wp + s.pad_w, x + (ic * s.D + z) * s.H * s.W + h * s.W, sizeof(float) * s.W);
    }
  });
  const int64_t* offs = off.data();
  parallel_for(0, items * s.OD, 1, [&](int64_t u0, int64_t u1) {
    static thread_local ScratchBuf obuf;
    float* ob = obuf.get(static_cast<size_t>(s.P * s.Q * l.Kg));
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t item = u / s.OD, od = u % s.OD, n = item / s.groups, gr = item % s.groups;
      const float* xi = xp + item * l.Cg * l.vol;
      const float* wg = wt + gr * l.CRS * l.Kg;
      if (l.Kg == kLanes) {
        plane_any<1, kRb1, kQb1>(ob, xi, s, l, offs, wg, od);
      } else {
        plane_any<2, kRb2, kQb2>(ob, xi, s, l, offs, wg, od);
      }
      for (int64_t k = 0; k < l.Kg; ++k) {  // channel by channel (the output planes are often 4 KiB apart)
        float* yk = y + (n * s.K + gr * l.Kg + k) * L + od * s.P * s.Q;
        const float bias = b ? b[gr * l.Kg + k] : 0.f;
        for (int64_t pos = 0; pos < s.P * s.Q; ++pos) yk[pos] = ob[pos * l.Kg + k] + bias;
      }
    }
  });
}

}  // namespace NNE_ISA_NS
}  // namespace nne
