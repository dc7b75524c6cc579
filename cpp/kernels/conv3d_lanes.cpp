// conv3d's strided forward and weight gradient by channel-lane tiles (compiled once per ISA). See conv3d_lanes.h.
#include "kernels/conv3d_lanes.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/buffer.h"
#include "core/cpuinfo.h"
#include "core/parallel.h"
#include "kernels/bias_grad.h"
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

// ob[(p * Q + q) * Kg + k] for output plane od of one image and group: tiles of RB rows x QB columns (the last
// band and column overlapping their neighbours: a recomputed output is the same value).
template <int KV, int RB, int QB, int SW>
void plane(float* ob, const float* xp, const Conv3dShape& s, const Lanes3& l, const int64_t* off, const float* wt,
           int64_t od) {
  const int64_t rstride = s.stride_h * l.Wp;
  const float* xd = xp + od * s.stride_d * l.Hp * l.Wp;
  for (int64_t p0 = 0; p0 < s.P; p0 += RB) {
    const int64_t pp = std::min<int64_t>(p0, s.P - RB);
    for (int64_t k0 = 0; k0 < l.Kg; k0 += KV * kLanes)
      for (int64_t q0 = 0; q0 < s.Q; q0 += QB) {
        const int64_t qq = std::min<int64_t>(q0, s.Q - QB);
        lanes_tile<KV, RB, QB, SW>(ob + (pp * s.Q + qq) * l.Kg + k0, l.Kg, s.Q, xd + pp * rstride + qq * SW, rstride,
                                   off, wt + k0, l.Kg, l.CRS);
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
  if (shorter_tiles(s.P, RB, false)) return plane_sw<KV, RB - 1, QB>(ob, xp, s, l, off, wt, od);
  plane_sw<KV, RB, QB>(ob, xp, s, l, off, wt, od);
}

// Taps per register block of the weight gradient: TB taps x KV channel vectors of accumulators.
#if defined(__AVX512F__)
constexpr int kTb1 = 24, kTb2 = 12;
#else
constexpr int kTb1 = 12, kTb2 = 6;
#endif

// The zero-padded copy of every image and group, xp[(n * C + channel) * vol + ...] (the tiles read it in place).
void pad_all(float* xp, const float* x, const Conv3dShape& s, const Lanes3& l) {
  parallel_for(0, s.N * s.C * l.Dp, 8, [&](int64_t s0, int64_t s1) {
    for (int64_t si = s0; si < s1; ++si) {
      const int64_t ic = si / l.Dp, z = si % l.Dp - s.pad_d;
      float* d = xp + si * l.Hp * l.Wp;
      std::memset(d, 0, sizeof(float) * l.Hp * l.Wp);
      if (z < 0 || z >= s.D) continue;
      for (int64_t h = 0; h < s.H; ++h)
        std::memcpy(d + (h + s.pad_h) * l.Wp + s.pad_w, x + (ic * s.D + z) * s.H * s.W + h * s.W, sizeof(float) * s.W);
    }
  });
}

// Tap offsets in a padded group: off[i] for i = (c, t, r, u).
void tap_offsets3(int64_t* off, const Conv3dShape& s, const Lanes3& l) {
  for (int64_t i = 0; i < l.CRS; ++i) {
    const int64_t c = i / (s.T * s.R * s.S), t = i / (s.R * s.S) % s.T, r = i / s.S % s.R, u = i % s.S;
    off[i] = c * l.vol + (t * s.dil_d * l.Hp + r * s.dil_h) * l.Wp + u * s.dil_w;
  }
}

// dw[gr * Kg + k][i0 + j] = sum over the group's images, in order, and their output positions, in order, of
// x[off[i0 + j] + position] dyT[position][k], for TB taps from i0 (the last block overlapping its neighbour).
template <int KV, int TB>
void weight_block(float* dw, const float* xp, const float* dyT, const Conv3dShape& s, const Lanes3& l,
                  const int64_t* off, int64_t gr, int64_t i0, int64_t k0) {
  VecF acc[TB][KV];
  for (int j = 0; j < TB; ++j)
    for (int v = 0; v < KV; ++v) acc[j][v] = vzero();
  const int64_t L = s.OD * s.P * s.Q;
  for (int64_t n = 0; n < s.N; ++n) {
    const float* xi = xp + (n * s.groups + gr) * l.Cg * l.vol;
    const float* d = dyT + (n * s.groups + gr) * L * l.Kg + k0;
    for (int64_t od = 0; od < s.OD; ++od)
      for (int64_t p = 0; p < s.P; ++p) {
        const float* xr = xi + od * s.stride_d * l.Hp * l.Wp + p * s.stride_h * l.Wp;
        for (int64_t q = 0; q < s.Q; ++q, d += l.Kg) {
          VecF g[KV];
          for (int v = 0; v < KV; ++v) g[v] = vload(d + v * kLanes);
          const float* xq = xr + q * s.stride_w;
          for (int j = 0; j < TB; ++j) {
            const VecF xs = vset1(xq[off[i0 + j]]);
            for (int v = 0; v < KV; ++v) acc[j][v] = vfma(xs, g[v], acc[j][v]);
          }
        }
      }
  }
  alignas(64) float buf[TB * KV * kLanes];
  for (int j = 0; j < TB; ++j)
    for (int v = 0; v < KV; ++v) vstore(buf + (j * KV + v) * kLanes, acc[j][v]);
  for (int64_t k = 0; k < KV * kLanes; ++k)
    for (int j = 0; j < TB; ++j) dw[(gr * l.Kg + k0 + k) * l.CRS + i0 + j] = buf[j * KV * kLanes + k];
}

}  // namespace

bool conv3d_lanes_weights_ok(const Conv3dShape& s) {
  if (s.bf16 || s.N < 1) return false;
  if (s.stride_d == 1 && s.stride_h == 1 && s.stride_w == 1) return false;
  const Lanes3 l = lanes3(s);
  if (!lane_tile_vectors(l.Kg)) return false;
  return l.CRS >= (l.Kg == kLanes ? kTb1 : kTb2);
}

void conv3d_lanes_backward_weights(float* dw, float* db, const float* dy, const float* x, const Conv3dShape& s) {
  if (db) bias_grad(db, dy, s.N, s.K, s.OD * s.P * s.Q);
  if (!dw) return;
  const Lanes3 l = lanes3(s);
  const int64_t L = s.OD * s.P * s.Q, items = s.N * s.groups;
  static thread_local ScratchBuf xbuf, ybuf;
  static thread_local std::vector<int64_t> off;
  float* xp = xbuf.get(static_cast<size_t>(items * l.Cg * l.vol));
  float* dyT = ybuf.get(static_cast<size_t>(items * L * l.Kg));
  pad_all(xp, x, s, l);
  parallel_for(0, items, 1, [&](int64_t i0, int64_t i1) {  // dyT[item][position][k]
    for (int64_t it = i0; it < i1; ++it)
      for (int64_t k = 0; k < l.Kg; ++k) {
        const float* src = dy + (it * l.Kg + k) * L;
        float* d = dyT + it * L * l.Kg + k;
        for (int64_t pos = 0; pos < L; ++pos) d[pos * l.Kg] = src[pos];
      }
  });
  off.resize(static_cast<size_t>(l.CRS));
  tap_offsets3(off.data(), s, l);
  const int tb = l.Kg == kLanes ? kTb1 : kTb2;
  const int64_t blocks = (l.CRS + tb - 1) / tb, kblocks = l.Kg == kLanes ? 1 : l.Kg / (2 * kLanes);
  const int64_t* offs = off.data();
  parallel_for(0, s.groups * kblocks * blocks, 1, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t gr = u / (kblocks * blocks), kb = u / blocks % kblocks;
      const int64_t i0 = std::min<int64_t>(u % blocks * tb, l.CRS - tb);
      if (l.Kg == kLanes) {
        weight_block<1, kTb1>(dw, xp, dyT, s, l, offs, gr, i0, 0);
      } else {
        weight_block<2, kTb2>(dw, xp, dyT, s, l, offs, gr, i0, kb * 2 * kLanes);
      }
    }
  });
}

bool conv3d_lanes_ok(const Conv3dShape& s) {
  if (s.bf16 || s.stride_w > 2) return false;
  if (s.stride_d == 1 && s.stride_h == 1 && s.stride_w == 1) return false;
  const Lanes3 l = lanes3(s);
  if (!lane_tile_vectors(l.Kg)) return false;
  const bool one = l.Kg == kLanes;
  if (s.P < (one ? kRb1 : kRb2) - 1 || s.Q < (one ? kQb1 : kQb2)) return false;
  // every tile re-reads its block of channels' weights (CRS x one or two vectors): within a quarter of L2
  const int64_t block = one ? kLanes : 2 * kLanes;
  return l.CRS * block * static_cast<int64_t>(sizeof(float)) <= static_cast<int64_t>(cache_info().l2) / 4;
}

void conv3d_lanes_forward(float* y, const float* x, const float* w, const float* b, const Conv3dShape& s) {
  const Lanes3 l = lanes3(s);
  const int64_t items = s.N * s.groups, L = s.OD * s.P * s.Q;
  static thread_local ScratchBuf wbuf, xbuf;
  static thread_local std::vector<int64_t> off;
  float* wt = wbuf.get(static_cast<size_t>(s.K * l.CRS));
  weights_tap_major(wt, w, s.groups, l.Kg, l.CRS);  // wt[gr][i][k]
  off.resize(static_cast<size_t>(l.CRS));
  tap_offsets3(off.data(), s, l);
  float* xp = xbuf.get(static_cast<size_t>(items * l.Cg * l.vol));
  pad_all(xp, x, s, l);
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
