// Direct stride-1 convolution (compiled once per ISA). See conv2d_direct.h.
#include "kernels/conv2d_direct.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include "core/buffer.h"
#include "core/cpuinfo.h"
#include "core/parallel.h"
#include "core/reduce.h"
#include "core/simd.h"
#include "kernels/gemm_pack.h"  // gather_transposed

namespace nne {
namespace NNE_ISA_NS {
namespace {

#if defined(__AVX512F__)
constexpr int KB = 8, VB = 3;  // forward tile: output channels x vectors (24 accumulators)
constexpr int WV = 4;          // weight-gradient tile: up to 4 vectors of output channels ...
constexpr int wgrad_taps(int kv) { return kv >= 4 ? 6 : kv == 3 ? 8 : 12; }  // ... x taps (<= 24 acc)
#else
constexpr int KB = 6, VB = 2;  // 12 accumulators, 2 input vectors, 1 broadcast: 15 of 16 registers
constexpr int WV = 2;
constexpr int wgrad_taps(int kv) { return kv >= 2 ? 6 : 12; }
#endif
constexpr int WT = 12;  // most taps of a weight-gradient tile
#if defined(__AVX512F__)
constexpr int WMK = 4, WMT = 4;  // few-channel weight-gradient tile: output channels x taps
#else
constexpr int WMK = 2, WMT = 4;
#endif

// x's lines for a tile come from L2 (a tile of 48 positions touches 3 rows of every input channel: more streams
// than the hardware prefetcher follows), so each tap prefetches its lines kPrefetchChannels channels ahead
// (tiles of 4+ output channels: a narrower tile has too few FMAs per tap to hide the prefetches). Sapphire
// Rapids, 2 threads, alternating processes (medians): 64->64 3x3 on 56x56 N32 forward 30.4-32.0 -> 27.4-28.7 ms,
// forward+backward 99.8-104.8 -> 94.5-99.1 ms (that layer has since taken the channel-lane kernel, conv2d_lanes_ok;
// this kernel keeps the wide layers whose output channels do not fill whole vectors).
constexpr int64_t kPrefetchChannels = 2;

// out[k][m0 + v*L ...] for KBt output channels and VBt vectors: sum over taps of w[k][i] * xp[off[i] + m], the
// taps i = c*RS + j of each input channel c for j in [j0, j1) (the kernel rows that read some image row for
// these outputs; the others read only zero padding and are skipped).
template <int KBt, int VBt>
void fwd_tile(float* out, int64_t ldo, const float* xp, const int64_t* off, const float* w, int64_t CRS, int64_t m0,
              int64_t RS, int64_t j0, int64_t j1) {
  VecF acc[KBt][VBt];
#pragma GCC unroll 16
  for (int k = 0; k < KBt; ++k)
#pragma GCC unroll 8
    for (int v = 0; v < VBt; ++v) acc[k][v] = vzero();
  const int64_t ahead = kPrefetchChannels * RS;
  for (int64_t c0 = 0; c0 < CRS; c0 += RS)
    for (int64_t i = c0 + j0; i < c0 + j1; ++i) {
      const float* p = xp + off[i] + m0;
      if (KBt >= 4 && i + ahead < CRS) {  // the same tap kPrefetchChannels channels ahead: its lines into L1
        const float* pn = xp + off[i + ahead] + m0;
        for (int v = 0; v < VBt; ++v) __builtin_prefetch(pn + v * kLanes, 0, 3);
        __builtin_prefetch(pn + VBt * kLanes - 1, 0, 3);
      }
      VecF xv[VBt];
      for (int v = 0; v < VBt; ++v) xv[v] = vload(p + v * kLanes);
      for (int k = 0; k < KBt; ++k) {
        const VecF wv = vset1(w[k * CRS + i]);
        for (int v = 0; v < VBt; ++v) acc[k][v] = vfma(wv, xv[v], acc[k][v]);
      }
    }
  // (fully unrolled: the accumulators are stored from their registers, never through a zeroed stack copy)
#pragma GCC unroll 16
  for (int k = 0; k < KBt; ++k)
#pragma GCC unroll 8
    for (int v = 0; v < VBt; ++v) vstore(out + k * ldo + m0 + v * kLanes, acc[k][v]);
}

using FwdTile = void (*)(float*, int64_t, const float*, const int64_t*, const float*, int64_t, int64_t, int64_t,
                         int64_t, int64_t);

// The kernel rows [r0, r1] that read at least one image row (not only the zero padding) for output rows
// [pa, pb]: padded row p + r*dil lies in [pad_h, pad_h + H). r0 > r1 when none does.
inline void live_rows(const Conv2dShape& s, int64_t pa, int64_t pb, int64_t& r0, int64_t& r1) {
  const int64_t lo = s.pad_h - pb, hi = s.pad_h + s.H - 1 - pa;  // r*dil in [lo, hi]
  r0 = lo <= 0 ? 0 : (lo + s.dil_h - 1) / s.dil_h;
  r1 = hi < 0 ? -1 : std::min(s.R - 1, hi / s.dil_h);
}

template <int KBt, int... V>
constexpr std::array<FwdTile, sizeof...(V)> fwd_row(std::integer_sequence<int, V...>) {
  return {&fwd_tile<KBt, V + 1>...};
}

template <int... K>
constexpr std::array<std::array<FwdTile, VB>, KB> fwd_table(std::integer_sequence<int, K...>) {
  return {fwd_row<K + 1>(std::make_integer_sequence<int, VB>{})...};
}

constexpr auto kFwd = fwd_table(std::make_integer_sequence<int, KB>{});

// One image, output-channel blocks [kb0, kb1) of every group: y (K, P, Q) from x (C, H, W), w (K, Cg, R, S).
void forward_image(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s, const Grid& g,
                   int64_t kb0, int64_t kb1) {
  static thread_local ScratchBuf xbuf, obuf;
  static thread_local std::vector<int64_t> off;
  float* xp = xbuf.get(static_cast<size_t>(g.xsize));
  const int64_t ldo = g.nvec * kLanes;
  float* out = obuf.get(static_cast<size_t>(g.Kg * ldo));
  off.resize(static_cast<size_t>(g.CRS));
  tap_offsets(off.data(), s, g);
  const int64_t ka = kb0 * KB, kz = std::min(g.Kg, kb1 * KB);
  for (int64_t gr = 0; gr < s.groups; ++gr) {
    pad_input(xp, x + gr * g.Cg * s.H * s.W, s, g);
    const float* wg = w + gr * g.Kg * g.CRS;
    for (int64_t k0 = ka; k0 < kz; k0 += KB) {
      const int kb = static_cast<int>(std::min<int64_t>(KB, kz - k0));
      // Tiles of VB vectors; 2 when padding rows are a big share of the grid (the backward data of small images:
      // a narrower tile spans fewer output rows, so more of its kernel rows read only padding and are skipped).
      const int64_t vbm = 4 * s.pad_h >= s.P ? std::min(2, VB) : VB;
      for (int64_t v0 = 0; v0 < g.nvec; v0 += vbm) {
        const int vb = static_cast<int>(std::min<int64_t>(vbm, g.nvec - v0));
        const int64_t pa = v0 * kLanes / g.Wp, pb = std::min(s.P - 1, ((v0 + vb) * kLanes - 1) / g.Wp);
        int64_t r0, r1;
        live_rows(s, pa, pb, r0, r1);
        if (r1 < r0) r0 = r1 = 0;  // (an all-padding tile: no tap, zero outputs)
        else ++r1;
        kFwd[kb - 1][vb - 1](out + k0 * ldo, ldo, xp, off.data(), wg + k0 * g.CRS, g.CRS, v0 * kLanes,
                             s.R * s.S, r0 * s.S, r1 * s.S);
      }
    }
    for (int64_t k = ka; k < kz; ++k) {
      const float bias = b ? b[gr * g.Kg + k] : 0.f;
      float* yk = y + (gr * g.Kg + k) * s.P * s.Q;
      const float* ok = out + k * ldo;
      const VecF vb = vset1(bias);
      const int tail = static_cast<int>(s.Q % kLanes);
      const int64_t body = s.Q - tail;
      for (int64_t p = 0; p < s.P; ++p) {
        float* yr = yk + p * s.Q;
        const float* orow = ok + p * g.Wp;
        // full vectors unmasked (a masked store is microcoded on some cores), the row's tail masked
        for (int64_t q = 0; q < body; q += kLanes) vstore(yr + q, vadd(vload(orow + q), vb));
        if (tail) vstore_n(yr + body, vadd(vload_n(orow + body, tail), vb), tail);
      }
    }
  }
}

// Work units: images, each cut into `split` ranges of output-channel blocks when there are few
// images (so that one big image still uses every thread). Results do not depend on the cut.
void forward_batch(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s) {
  const Grid g = grid(s);
  const int64_t nkb = (g.Kg + KB - 1) / KB;
  const int64_t split = s.N >= 4 ? 1 : std::min<int64_t>(nkb, 4);
  const int64_t flops = std::max<int64_t>(1, 2 * s.K * g.nvec * kLanes * g.CRS / split);
  parallel_for(0, s.N * split, std::max<int64_t>(1, (int64_t{1} << 18) / flops), [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t n = u / split, part = u % split;
      forward_image(y + n * s.K * s.P * s.Q, x + n * s.C * s.H * s.W, w, b, s, g, nkb * part / split,
                    nkb * (part + 1) / split);
    }
  });
}

// Weight-gradient tile, an outer product over the grid positions m of one block of output rows [p0, p1):
// part[t][k] += sum over m = p*Wp + q, q < Q, of xp[off[t] + m] * dyT[m][k] for TBt taps and KVt vectors of
// channels k (the grid's padding columns q >= Q, where dy is zero, are skipped).
template <int TBt, int KVt>
void wgrad_tile(float* part, int64_t ldp, const float* dyT, int64_t ldd, const float* xp, const int64_t* off,
                int64_t p0, int64_t p1, int64_t Wp, int64_t Q) {
  VecF acc[TBt][KVt];
  for (int t = 0; t < TBt; ++t)
    for (int v = 0; v < KVt; ++v) acc[t][v] = vload(part + t * ldp + v * kLanes);
  const float* xt[TBt];
  for (int t = 0; t < TBt; ++t) xt[t] = xp + off[t];
  for (int64_t p = p0; p < p1; ++p)
    for (int64_t m = p * Wp; m < p * Wp + Q; ++m) {
      VecF dv[KVt];
      for (int v = 0; v < KVt; ++v) dv[v] = vload(dyT + m * ldd + v * kLanes);
      for (int t = 0; t < TBt; ++t) {
        const VecF xs = vset1(xt[t][m]);
        for (int v = 0; v < KVt; ++v) acc[t][v] = vfma(xs, dv[v], acc[t][v]);
      }
    }
  for (int t = 0; t < TBt; ++t)
    for (int v = 0; v < KVt; ++v) vstore(part + t * ldp + v * kLanes, acc[t][v]);
}

using WTile = void (*)(float*, int64_t, const float*, int64_t, const float*, const int64_t*, int64_t, int64_t,
                       int64_t, int64_t);

template <int KVt, int... T>
constexpr std::array<WTile, sizeof...(T)> w_row(std::integer_sequence<int, T...>) {
  return {&wgrad_tile<T + 1, KVt>...};
}

template <int... V>
constexpr std::array<std::array<WTile, WT>, WV> w_table(std::integer_sequence<int, V...>) {
  return {w_row<V + 1>(std::make_integer_sequence<int, WT>{})...};
}

constexpr auto kWgrad = w_table(std::make_integer_sequence<int, WV>{});

// Weight-gradient tile for few output channels, lanes over m: acc[k][j] (vector partials, stored in part)
// += sum over m of dyw[k][m] * xp[off[j] + m].
template <int KBt, int TBt>
void wgrad_m_tile(float* part, int64_t CRS, const float* dyw, int64_t ldd, const float* xp, const int64_t* off,
                  int64_t nvec) {
  VecF acc[KBt][TBt];
  for (int k = 0; k < KBt; ++k)
    for (int t = 0; t < TBt; ++t) acc[k][t] = vload(part + (k * CRS + t) * kLanes);
  for (int64_t v = 0; v < nvec; ++v) {
    VecF dv[KBt];
    for (int k = 0; k < KBt; ++k) dv[k] = vload(dyw + k * ldd + v * kLanes);
    for (int t = 0; t < TBt; ++t) {
      const VecF xv = vload(xp + off[t] + v * kLanes);
      for (int k = 0; k < KBt; ++k) acc[k][t] = vfma(dv[k], xv, acc[k][t]);
    }
  }
  for (int k = 0; k < KBt; ++k)
    for (int t = 0; t < TBt; ++t) vstore(part + (k * CRS + t) * kLanes, acc[k][t]);
}

using WMTile = void (*)(float*, int64_t, const float*, int64_t, const float*, const int64_t*, int64_t);

template <int KBt, int... T>
constexpr std::array<WMTile, sizeof...(T)> wm_row(std::integer_sequence<int, T...>) {
  return {&wgrad_m_tile<KBt, T + 1>...};
}

template <int... K>
constexpr std::array<std::array<WMTile, WMT>, WMK> wm_table(std::integer_sequence<int, K...>) {
  return {wm_row<K + 1>(std::make_integer_sequence<int, WMT>{})...};
}

constexpr auto kWgradM = wm_table(std::make_integer_sequence<int, WMK>{});

// dyT[m][k] (m on the padded-width grid, k < Kp) = dy[k][p][q] for q < Q, else 0; dy is (Kg, P, Q).
void transpose_dy(float* dyT, int64_t Kp, const float* dy, int64_t Kg, const Conv2dShape& s, const Grid& g) {
  const int64_t PQ = s.P * s.Q;
  for (int64_t p = 0; p < s.P; ++p) {
    float* row = dyT + p * g.Wp * Kp;
    std::memset(row + s.Q * Kp, 0, sizeof(float) * (g.Wp - s.Q) * Kp);
    for (int64_t q0 = 0; q0 < s.Q; q0 += 16) {
      const int64_t qn = std::min<int64_t>(16, s.Q - q0);
      for (int64_t k = 0; k < Kg; ++k) {
        const float* src = dy + k * PQ + p * s.Q + q0;
        for (int64_t q = 0; q < qn; ++q) row[(q0 + q) * Kp + k] = src[q];
      }
      if (Kp > Kg)
        for (int64_t q = 0; q < qn; ++q) std::memset(row + (q0 + q) * Kp + Kg, 0, sizeof(float) * (Kp - Kg));
    }
  }
}

}  // namespace

bool conv2d_direct_ok(const Conv2dShape& s, DirectOp op) {
  if (s.bf16) return false;  // bf16 products come from the GEMM path
  if (s.stride_h != 1 || s.stride_w != 1) return false;
  if (op == DirectOp::backward_data) {
    const int64_t th = s.dil_h * (s.R - 1) - s.pad_h, tw = s.dil_w * (s.S - 1) - s.pad_w;
    if (th < 0 || tw < 0) return false;
    // The transposed forward runs over dy padded by (th, tw): when under a quarter of that grid is dy (tiny
    // outputs under big kernels, e.g. a transposed convolution from 1x1), most taps multiply zeros and
    // the GEMM path (col2im of exact products) wins.
    if (4 * s.P * s.Q < (s.P + 2 * th) * (s.Q + 2 * tw)) return false;
  } else {
    // Forward and weight gradient run over the output rows at the padded width, rounded up to whole vectors:
    // a tiny output (e.g. 1x1 from a 4x4 image, a transposed convolution's backward) would waste most lanes.
    const int64_t grid = (s.P * (s.W + 2 * s.pad_w) + kLanes - 1) / kLanes * kLanes;
    if (4 * s.P * s.Q < grid) return false;
  }
  // The weight gradient sums its (tap, k) partials in memory per image chunk: once the weights outgrow a quarter
  // of L2 the GEMM path (dy times the column matrix, block by block) wins (Zen 4, N32, 1 thread: 3x3 512->512 on
  // 7x7 358 -> 98 ms, 256->256 on 14x14 121 -> 82, 128->128 on 28x28 91 -> 85; 64->64 on 56x56, 147 KiB of
  // weights, stays direct: 83 vs 91 ms).
  if (op == DirectOp::backward_weights &&
      static_cast<int64_t>(sizeof(float)) * s.C / s.groups * s.R * s.S * s.K > static_cast<int64_t>(cache_info().l2) / 4)
    return false;
  // One output row (Conv1d): the GEMM path's weight gradient (dy times the column matrix) beats the grid kernel's
  // outer products (Zen 4, 1 thread: 64 -> 64 k5 on 100 N32 1.91 -> 1.56 ms, 128 -> 128 k3 on 64 N8 1.03 -> 0.57,
  // 6 -> 64 k5 0.26 -> 0.22, 32 -> 32 k3 on 256 level, 16 -> 32 k7 on 50 0.33 -> 0.36).
  if (op == DirectOp::backward_weights && s.P == 1) return false;
  // Unpadded 1x1: the GEMM path reads and writes the tensors in place (no im2col), which beats these kernels.
  if (s.R == 1 && s.S == 1 && s.pad_h == 0 && s.pad_w == 0) return false;
  const int64_t CRS = s.C / s.groups * s.R * s.S;
  if (CRS <= 256 || s.P * s.Q <= 256) return true;
  // Wide layers with big images: the direct kernels win for spatial kernels (no im2col), not for
  // pointwise ones (every tap reads another plane).
  return s.R * s.S > 1;
}

void conv2d_direct_forward(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s) {
  forward_batch(y, x, w, b, s);
}

void conv2d_direct_backward_data(float* dx, const float* dy, const float* w, const Conv2dShape& s) {
  // dx = conv(dy, w'), w'[gr*Cg + c][k][r][t] = w[gr*Kg + k][c][R-1-r][S-1-t], padding dil*(k-1) - pad.
  const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups, RS = s.R * s.S;
  static thread_local ScratchBuf wbuf;
  float* wt = wbuf.get(static_cast<size_t>(s.C * Kg * RS));
  for (int64_t gr = 0; gr < s.groups; ++gr)
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t k = 0; k < Kg; ++k)
        for (int64_t i = 0; i < RS; ++i)
          wt[((gr * Cg + c) * Kg + k) * RS + i] = w[((gr * Kg + k) * Cg + c) * RS + (RS - 1 - i)];
  Conv2dShape t = s;
  t.C = s.K, t.H = s.P, t.W = s.Q, t.K = s.C, t.P = s.H, t.Q = s.W;
  t.pad_h = s.dil_h * (s.R - 1) - s.pad_h;
  t.pad_w = s.dil_w * (s.S - 1) - s.pad_w;
  // the channel-lane kernel where it takes this forward (the same fma chain per output as the grid kernel's):
  // Sapphire Rapids, 64 -> 64 3x3 on 56x56 N32, 2 threads, 26.2-26.9 -> 24.8-25.0 ms
  if (conv2d_lanes_ok(t)) return conv2d_lanes_forward(dx, dy, wt, nullptr, t);
  forward_batch(dx, dy, wt, nullptr, t);
}

void conv2d_direct_backward_weights(float* dw, float* db, const float* dy, const float* x, const Conv2dShape& s) {
  const Grid g = grid(s);
  const int64_t wsize = s.K * g.CRS, PQ = s.P * s.Q, M = s.P * g.Wp, ldd = g.nvec * kLanes;
  const int64_t nkv = (g.Kg + kLanes - 1) / kLanes, Kp = nkv * kLanes;
  // Output channels fill the vector lanes (outer product over m) unless they would leave more than a
  // quarter of them empty; then the lanes run over m and each (k, tap) keeps a vector partial.
  const bool outer = 4 * (Kp - g.Kg) <= Kp;
  const int64_t tsize = outer ? s.groups * g.CRS * Kp : wsize * kLanes;  // [gr][tap][k] or [k][tap][lane]
  const int64_t l1_floats = std::clamp<int64_t>(cache_info().l1d / 4, 2048, 32768);
  const int64_t pbk = std::max<int64_t>(1, l1_floats / Kp / g.Wp);       // a block of output rows' dyT fills L1
  const int64_t nc = std::max<int64_t>(1, std::min<int64_t>(s.N, 16));   // fixed chunks: N only
  static thread_local ScratchBuf partbuf;
  float* parts = partbuf.get(static_cast<size_t>(nc * (wsize + s.K)));
  parallel_for(0, nc, 1, [&](int64_t c0, int64_t c1) {
    static thread_local ScratchBuf xbuf, dbuf, tbuf;
    static thread_local std::vector<int64_t> off;
    float* xp = xbuf.get(static_cast<size_t>(g.xsize));
    float* dyb = dbuf.get(static_cast<size_t>(outer ? M * Kp : g.Kg * ldd));
    float* pt = tbuf.get(static_cast<size_t>(tsize));
    off.resize(static_cast<size_t>(g.CRS));
    tap_offsets(off.data(), s, g);
    for (int64_t c = c0; c < c1; ++c) {
      float* pw = parts + c * (wsize + s.K);
      float* pb = pw + wsize;
      std::memset(pt, 0, sizeof(float) * tsize);
      std::memset(pb, 0, sizeof(float) * s.K);
      for (int64_t n = s.N * c / nc; n < s.N * (c + 1) / nc; ++n) {
        const float* dyn = dy + n * s.K * PQ;
        for (int64_t k = 0; k < s.K; ++k) {  // lanes over j (a scalar chain would cost a dependent add each)
          const float* dk = dyn + k * PQ;
          VecF acc = vzero();
          int64_t j = 0;
          for (; j + kLanes <= PQ; j += kLanes) acc = vadd(acc, vload(dk + j));
          float tail = 0.f;
          for (; j < PQ; ++j) tail += dk[j];
          pb[k] += vsum(acc) + tail;
        }
        if (!dw) continue;
        for (int64_t gr = 0; gr < s.groups; ++gr) {
          pad_input(xp, x + (n * s.C + gr * g.Cg) * s.H * s.W, s, g);
          if (outer) {
            transpose_dy(dyb, Kp, dyn + gr * g.Kg * PQ, g.Kg, s, g);
            float* pg = pt + gr * g.CRS * Kp;
            for (int64_t p0 = 0; p0 < s.P; p0 += pbk) {
              for (int64_t v0 = 0; v0 < nkv; v0 += WV) {
                const int kv = static_cast<int>(std::min<int64_t>(WV, nkv - v0));
                const int tmax = wgrad_taps(kv);
                for (int64_t j0 = 0; j0 < g.CRS; j0 += tmax) {
                  const int tb = static_cast<int>(std::min<int64_t>(tmax, g.CRS - j0));
                  kWgrad[kv - 1][tb - 1](pg + j0 * Kp + v0 * kLanes, Kp, dyb + v0 * kLanes, Kp, xp, off.data() + j0,
                                         p0, std::min(s.P, p0 + pbk), g.Wp, s.Q);
                }
              }
            }
            continue;
          }
          std::memset(dyb, 0, sizeof(float) * g.Kg * ldd);
          for (int64_t k = 0; k < g.Kg; ++k)
            for (int64_t p = 0; p < s.P; ++p)
              std::memcpy(dyb + k * ldd + p * g.Wp, dyn + ((gr * g.Kg + k) * s.P + p) * s.Q, sizeof(float) * s.Q);
          float* vg = pt + gr * g.Kg * g.CRS * kLanes;
          for (int64_t k0 = 0; k0 < g.Kg; k0 += WMK) {
            const int kb = static_cast<int>(std::min<int64_t>(WMK, g.Kg - k0));
            for (int64_t j0 = 0; j0 < g.CRS; j0 += WMT) {
              const int tb = static_cast<int>(std::min<int64_t>(WMT, g.CRS - j0));
              kWgradM[kb - 1][tb - 1](vg + (k0 * g.CRS + j0) * kLanes, g.CRS, dyb + k0 * ldd, ldd, xp,
                                      off.data() + j0, g.nvec);
            }
          }
        }
      }
      if (!dw) continue;
      if (outer) {
        for (int64_t gr = 0; gr < s.groups; ++gr)
          for (int64_t k = 0; k < g.Kg; ++k)
            for (int64_t i = 0; i < g.CRS; ++i) pw[(gr * g.Kg + k) * g.CRS + i] = pt[(gr * g.CRS + i) * Kp + k];
      } else {
        for (int64_t i = 0; i < wsize; ++i) pw[i] = vsum(vload(pt + i * kLanes));
      }
    }
  });
  if (dw) sum_partials(dw, parts, nc, wsize + s.K, wsize);
  if (db) sum_partials(db, parts + wsize, nc, wsize + s.K, s.K);
}

void weights_tap_major(float* wt, const float* w, int64_t groups, int64_t Kg, int64_t CRS) {
  // Blocks of 64 taps: each reads its Kg weight rows 64 floats at a time, 8 taps per step (the rows' lines stay in
  // cache across the 8 steps) and writes 64 whole rows of wt. A copy: the same values at any split.
  constexpr int64_t kTaps = 64;
  const int64_t nb = (CRS + kTaps - 1) / kTaps;
  parallel_for(0, groups * nb, std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(1, Kg * kTaps)),
               [&](int64_t b0, int64_t b1) {
                 for (int64_t b = b0; b < b1; ++b) {
                   const int64_t gr = b / nb, i0 = (b % nb) * kTaps, n = std::min(kTaps, CRS - i0);
                   gather_transposed(w + gr * Kg * CRS + i0, CRS, Kg, n, wt + (gr * CRS + i0) * Kg, Kg);
                 }
               });
}

}  // namespace NNE_ISA_NS
}  // namespace nne
