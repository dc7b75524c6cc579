// conv2d Winograd path (compiled once per ISA). See conv2d_winograd.h for the contract, conv2d_winograd_transforms.h
// for the variants' matrices and conv2d_winograd_tiles.h for the tile geometry.
//
// Work goes in chunks of tiles sized so that a chunk's transformed input and products stay in L3; per chunk: the
// input transform (threads over channels), the alpha^2 GEMMs (threads over positions, each GEMM on one thread),
// the output transform (threads over output channels).
#include "kernels/conv2d_winograd.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/buffer.h"
#include "core/cpuinfo.h"
#include "core/options.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/bias_grad.h"
#include "kernels/conv2d_winograd_tiles.h"
#include "kernels/conv2d_winograd_transforms.h"
#include "kernels/gemm.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// U[xi][o][i] (Co x Ci per position) = G g G^T of the 3x3 taps tap(o, i, r, s), input channels in the lanes.
template <class F, class Tap>
void transform_weights(float* U, const Wino& p, const Tap& tap) {
  parallel_for(0, p.Co, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, p.Ci)), [&](int64_t o0, int64_t o1) {
    alignas(64) float gf[9 * kLanes];
    alignas(64) float uf[kLanes];
    for (int64_t o = o0; o < o1; ++o)
      for (int64_t i0 = 0; i0 < p.Ci; i0 += kLanes) {
        const int n = static_cast<int>(std::min<int64_t>(kLanes, p.Ci - i0));
        for (int e = 0; e < 9; ++e)
          for (int l = 0; l < kLanes; ++l) gf[e * kLanes + l] = l < n ? tap(o, i0 + l, e / 3, e % 3) : 0.f;
        VecF g[9], t[3 * F::kAlpha], u[F::kPos];
        for (int e = 0; e < 9; ++e) g[e] = vload(gf + e * kLanes);
        for (int s = 0; s < 3; ++s) F::weight_1d(g + s, 3, t + s, 3);  // t[a][s], a < alpha
        for (int a = 0; a < F::kAlpha; ++a) F::weight_1d(t + 3 * a, 1, u + F::kAlpha * a, 1);
        for (int xi = 0; xi < F::kPos; ++xi) {
          float* dst = U + xi * pos_stride(p.Co, p.Ci) + o * p.Ci + i0;
          if (n == kLanes) {
            vstore(dst, u[xi]);
          } else {
            vstore(uf, u[xi]);
            std::memcpy(dst, uf, sizeof(float) * n);
          }
        }
      }
  });
}

// D[xi][c][j] (ldv floats per row) for the chunk's tiles [t0, t0 + nt), j = t - t0: the domain of each tile's
// block of every channel of src, op1d applied along columns, then rows (kSize inputs, alpha outputs). Threads
// split the channels; each channel's rows are written front to back (alpha^2 sequential streams, not alpha^2 pages
// per tile group).
template <class F, int kSize, class Op1d>
void to_domain(float* D, int64_t ldv, const Blocks& src, const Wino& p, int64_t t0, int64_t nt, const Op1d& op1d) {
  const int64_t groups = (nt + kLanes - 1) / kLanes;
  static thread_local std::vector<Lanes<F, kSize>> lanes;
  lanes.clear();
  for (int64_t gi = 0; gi < groups; ++gi) lanes.emplace_back(p, src, t0 + gi * kLanes, t0 + nt);
  const Lanes<F, kSize>* L = lanes.data();
  parallel_for(0, src.C, std::max<int64_t>(1, 16 / groups), [&](int64_t c0, int64_t c1) {
    alignas(64) float df[kSize * kSize * kLanes];
    std::memset(df, 0, sizeof df);  // lanes past the last tile stay 0
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t gi = 0; gi < groups; ++gi) {
        VecF d[kSize * kSize], t[F::kAlpha * kSize], v[F::kPos];
        L[gi].load(d, df, src, c);
        for (int b = 0; b < kSize; ++b) op1d(d + b, kSize, t + b, kSize);  // t[a][b], a < alpha
        for (int a = 0; a < F::kAlpha; ++a) op1d(t + kSize * a, 1, v + F::kAlpha * a, 1);
        for (int xi = 0; xi < F::kPos; ++xi) vstore(D + xi * pos_stride(src.C, ldv) + c * ldv + gi * kLanes, v[xi]);
      }
  });
}

// V = B^T d B of the input blocks (from row m ty - ph, column m tx - pw).
template <class F>
void transform_input(float* V, int64_t ldv, const float* in, const Wino& p, int64_t t0, int64_t nt) {
  to_domain<F, F::kAlpha>(V, ldv, Blocks{in, p.Ci, p.Hi, p.Wi, -p.ph, -p.pw}, p, t0, nt, F::input_1d);
}

// Where the output tile of each lane of a group goes: offset of its first element in the output's channel 0,
// and its rows and columns inside the output.
struct OutLanes {
  int64_t base[kLanes];
  int rows[kLanes], cols[kLanes];
  int count;
};

// out tiles [t0, t0 + nt) = A^T M A (+ bias) from M[xi][o][j] (ldv floats per row). Threads split the output
// channels; each reads its rows of M front to back.
template <class F>
void transform_output(float* out, const float* M, int64_t ldv, const float* bias, const Wino& p, int64_t t0,
                      int64_t nt) {
  const int64_t groups = (nt + kLanes - 1) / kLanes, plane = p.Ho * p.Wo;
  static thread_local std::vector<OutLanes> lanes;
  lanes.resize(static_cast<size_t>(groups));
  for (int64_t gi = 0; gi < groups; ++gi) {
    OutLanes& L = lanes[static_cast<size_t>(gi)];
    const int64_t tg = t0 + gi * kLanes;
    L.count = static_cast<int>(std::min<int64_t>(kLanes, t0 + nt - tg));
    for (int l = 0; l < L.count; ++l) {
      const int64_t t = tg + l, n = t / (p.ty * p.tx), r = t % (p.ty * p.tx);
      const int64_t y0 = r / p.tx * F::kTile, x0 = r % p.tx * F::kTile;
      L.base[l] = n * p.Co * plane + y0 * p.Wo + x0;
      L.rows[l] = static_cast<int>(std::min<int64_t>(F::kTile, p.Ho - y0));
      L.cols[l] = static_cast<int>(std::min<int64_t>(F::kTile, p.Wo - x0));
    }
  }
  const OutLanes* LS = lanes.data();
  parallel_for(0, p.Co, std::max<int64_t>(1, 16 / groups), [&](int64_t o0, int64_t o1) {
    alignas(64) float of[F::kTile * F::kTile * kLanes];
    for (int64_t o = o0; o < o1; ++o) {
      const VecF bv = vset1(bias ? bias[o] : 0.f);
      for (int64_t gi = 0; gi < groups; ++gi) {
        const OutLanes& L = LS[gi];
        VecF m[F::kPos], t[F::kTile * F::kAlpha], y[F::kTile * F::kTile];
        for (int xi = 0; xi < F::kPos; ++xi) m[xi] = vload(M + xi * pos_stride(p.Co, ldv) + o * ldv + gi * kLanes);
        for (int b = 0; b < F::kAlpha; ++b) F::output_1d(m + b, F::kAlpha, t + b, F::kAlpha);  // t[i][b], i < m
        for (int i = 0; i < F::kTile; ++i) F::output_1d(t + F::kAlpha * i, 1, y + F::kTile * i, 1);
        for (int e = 0; e < F::kTile * F::kTile; ++e) vstore(of + e * kLanes, bias ? vadd(y[e], bv) : y[e]);
        for (int l = 0; l < L.count; ++l) {
          float* dst = out + L.base[l] + o * plane;
          for (int i = 0; i < L.rows[l]; ++i)
            for (int j = 0; j < L.cols[l]; ++j) dst[i * p.Wo + j] = of[(i * F::kTile + j) * kLanes + l];
        }
      }
    }
  });
}

// Tiles per chunk: a chunk's domain matrices (Ci and Co rows at alpha^2 positions) take about half of L3, and at
// least 512 tiles so that the GEMMs amortise the packing of U (which every chunk repeats) over enough columns
// (Zen 4, F(2x2) 512 -> 512 on 7x7, N32, 1 thread: 512 tiles in one chunk 54 ms, two chunks of 256 57 ms).
// The chunking depends on the shape and the caches only (never on the thread count).
template <class F>
int64_t chunk_tiles(const Wino& p) {
  const int64_t per_tile = F::kPos * (p.Ci + p.Co) * static_cast<int64_t>(sizeof(float));
  const int64_t chunk = std::max<int64_t>(512, cache_info().l3 / 2 / per_tile);
  return std::min(p.tiles, chunk / kLanes * kLanes);
}

// out = winograd(in, U) + bias over every tile, chunk by chunk.
template <class F>
void run(float* out, const float* in, const float* U, const float* bias, const Wino& p) {
  const int64_t chunk = chunk_tiles<F>(p), ldv = (chunk + kLanes - 1) / kLanes * kLanes;
  static thread_local ScratchBuf vbuf, mbuf;
  float* V = vbuf.get(static_cast<size_t>(F::kPos * pos_stride(p.Ci, ldv)));
  float* M = mbuf.get(static_cast<size_t>(F::kPos * pos_stride(p.Co, ldv)));
  for (int64_t t0 = 0; t0 < p.tiles; t0 += chunk) {
    const int64_t nt = std::min(chunk, p.tiles - t0);
    transform_input<F>(V, ldv, in, p, t0, nt);
    parallel_for(0, F::kPos, 1, [&](int64_t x0, int64_t x1) {
      for (int64_t xi = x0; xi < x1; ++xi) {
        GemmArgs a;
        a.M = p.Co, a.N = nt, a.K = p.Ci;
        a.A = U + xi * pos_stride(p.Co, p.Ci), a.lda = p.Ci;
        a.B = V + xi * pos_stride(p.Ci, ldv), a.ldb = ldv;
        a.C = M + xi * pos_stride(p.Co, ldv), a.ldc = ldv;
        sgemm(a);
      }
    });
    transform_output<F>(out, M, ldv, bias, p, t0, nt);
  }
}

// dw[o][i][r][t] = (G^T dU[.][o][i] G)[r][t] for the domain gradient dU[xi][o][i] (Co x Ci per position),
// input channels in the lanes.
template <class F>
void weights_from_domain(float* dw, const float* dU, const Wino& p) {
  parallel_for(0, p.Co, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, p.Ci)), [&](int64_t o0, int64_t o1) {
    alignas(64) float wf[9 * kLanes];
    for (int64_t o = o0; o < o1; ++o)
      for (int64_t i0 = 0; i0 < p.Ci; i0 += kLanes) {
        const int n = static_cast<int>(std::min<int64_t>(kLanes, p.Ci - i0));
        VecF u[F::kPos], t[3 * F::kAlpha], g[9];
        for (int xi = 0; xi < F::kPos; ++xi) u[xi] = vload_n(dU + xi * pos_stride(p.Co, p.Ci) + o * p.Ci + i0, n);
        for (int b = 0; b < F::kAlpha; ++b) F::weight_grad_1d(u + b, F::kAlpha, t + b, F::kAlpha);  // t[r][b], r < 3
        for (int r = 0; r < 3; ++r) F::weight_grad_1d(t + F::kAlpha * r, 1, g + 3 * r, 1);
        for (int e = 0; e < 9; ++e) vstore(wf + e * kLanes, g[e]);
        for (int l = 0; l < n; ++l)
          for (int e = 0; e < 9; ++e) dw[((o * p.Ci + i0 + l) * 9) + e] = wf[e * kLanes + l];
      }
  });
}

// dw = G^T dU G, dU_xi (Co x Ci) = sum over tiles of (A dY A^T)_xi (Co x T) @ V_xi^T (T x Ci). The sum over tiles
// runs chunk by chunk in order (each GEMM accumulating into dU), so it does not depend on the thread count.
template <class F>
void weights_gradient(float* dw, const float* dy, const float* x, const Wino& p) {
  const int64_t chunk = chunk_tiles<F>(p), ldv = (chunk + kLanes - 1) / kLanes * kLanes;
  static thread_local ScratchBuf vbuf, gbuf, ubuf;
  float* V = vbuf.get(static_cast<size_t>(F::kPos * pos_stride(p.Ci, ldv)));
  float* G = gbuf.get(static_cast<size_t>(F::kPos * pos_stride(p.Co, ldv)));
  float* dU = ubuf.get(static_cast<size_t>(F::kPos * pos_stride(p.Co, p.Ci)));
  for (int64_t t0 = 0; t0 < p.tiles; t0 += chunk) {
    const int64_t nt = std::min(chunk, p.tiles - t0);
    transform_input<F>(V, ldv, x, p, t0, nt);
    to_domain<F, F::kTile>(G, ldv, Blocks{dy, p.Co, p.Ho, p.Wo, 0, 0}, p, t0, nt, F::grad_1d);
    parallel_for(0, F::kPos, 1, [&](int64_t x0, int64_t x1) {
      for (int64_t xi = x0; xi < x1; ++xi) {
        GemmArgs a;
        a.trans_b = true;
        a.M = p.Co, a.N = p.Ci, a.K = nt;
        a.A = G + xi * pos_stride(p.Co, ldv), a.lda = ldv;
        a.B = V + xi * pos_stride(p.Ci, ldv), a.ldb = ldv;
        a.C = dU + xi * pos_stride(p.Co, p.Ci), a.ldc = p.Ci;
        a.beta = t0 == 0 ? 0.f : 1.f;
        sgemm(a);
      }
    });
  }
  weights_from_domain<F>(dw, dU, p);
}

// Whether the F(2x2, 3x3) variant runs (else F(4x4, 3x3)); every entry point reads it once.
inline bool use_f2() { return winograd_mode() != WinogradMode::f4; }

template <class F>
void forward_impl(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s) {
  const Wino p = make<F>(s.N, s.C, s.K, s.H, s.W, s.P, s.Q, s.pad_h, s.pad_w);
  static thread_local ScratchBuf ubuf;
  float* U = ubuf.get(static_cast<size_t>(F::kPos * pos_stride(s.K, s.C)));
  transform_weights<F>(U, p, [&](int64_t k, int64_t c, int r, int t) { return w[((k * s.C + c) * 3 + r) * 3 + t]; });
  run<F>(y, x, U, b, p);
}

template <class F>
void backward_data_impl(float* dx, const float* dy, const float* w, const Conv2dShape& s) {
  // dx = conv(dy, w'), w'[c][k][r][t] = w[k][c][2 - r][2 - t], padding 2 - pad.
  const Wino p = make<F>(s.N, s.K, s.C, s.P, s.Q, s.H, s.W, 2 - s.pad_h, 2 - s.pad_w);
  static thread_local ScratchBuf ubuf;
  float* U = ubuf.get(static_cast<size_t>(F::kPos * pos_stride(s.K, s.C)));
  transform_weights<F>(U, p, [&](int64_t c, int64_t k, int r, int t) {
    return w[((k * s.C + c) * 3 + 2 - r) * 3 + 2 - t];
  });
  run<F>(dx, dy, U, nullptr, p);
}

}  // namespace

bool conv2d_winograd_ok(const Conv2dShape& s, DirectOp op) {
  const WinogradMode mode = winograd_mode();
  if (mode == WinogradMode::off) return false;
  if (s.bf16 || s.groups != 1 || s.R != 3 || s.S != 3) return false;
  if (s.stride_h != 1 || s.stride_w != 1 || s.dil_h != 1 || s.dil_w != 1) return false;
  if (op == DirectOp::backward_data && (s.pad_h > 2 || s.pad_w > 2)) return false;
  // Enough channels that the GEMMs outweigh the transforms (whose cost is per channel, not per channel pair),
  // and tiles of the computed grid (the output; the input for backward data) that waste little, as multiplications
  // against the direct kernel's 9 per output. Measured on Zen 4, N32, 1 thread, against the direct kernel
  // (forward, weight gradient): F(2x2) wins from 128 channels (128 on 28x28 68 vs 73 ms, 512 on 7x7 61 vs 88 ms,
  // where its 4 tiles per 3x3 of outputs make 58% of the direct multiplications) and loses below (96 on 28x28
  // 49 vs 42 ms); F(4x4) wins from 32 channels (64 on 56x56 54 vs 71 ms).
  const bool f2 = mode != WinogradMode::f4;
  const int64_t min_channels = f2 ? 128 : 32;
  if (s.C < min_channels || s.K < min_channels) return false;
  const int64_t ho = op == DirectOp::forward ? s.P : s.H, wo = op == DirectOp::forward ? s.Q : s.W;
  const int64_t m = f2 ? WinoF2::kTile : WinoF4::kTile, waste_pct = f2 ? 60 : 50;
  const int64_t tiles = (ho + m - 1) / m * ((wo + m - 1) / m);
  return 100 * (m + 2) * (m + 2) * tiles <= waste_pct * 9 * ho * wo;
}

void conv2d_winograd_forward(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s) {
  use_f2() ? forward_impl<WinoF2>(y, x, w, b, s) : forward_impl<WinoF4>(y, x, w, b, s);
}

void conv2d_winograd_backward_data(float* dx, const float* dy, const float* w, const Conv2dShape& s) {
  use_f2() ? backward_data_impl<WinoF2>(dx, dy, w, s) : backward_data_impl<WinoF4>(dx, dy, w, s);
}

void conv2d_winograd_backward_weights(float* dw, float* db, const float* dy, const float* x, const Conv2dShape& s) {
  if (dw && use_f2()) {
    weights_gradient<WinoF2>(dw, dy, x, make<WinoF2>(s.N, s.C, s.K, s.H, s.W, s.P, s.Q, s.pad_h, s.pad_w));
  } else if (dw) {
    weights_gradient<WinoF4>(dw, dy, x, make<WinoF4>(s.N, s.C, s.K, s.H, s.W, s.P, s.Q, s.pad_h, s.pad_w));
  }
  if (db) bias_grad(db, dy, s.N, s.K, s.P * s.Q);
}

}  // namespace NNE_ISA_NS
}  // namespace nne
