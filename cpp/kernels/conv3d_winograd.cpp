// conv3d Winograd path, F(2x2x2, 3x3x3) (compiled once per ISA). See conv3d_winograd.h for the algorithm and
// contract, conv2d_winograd_transforms.h for the 1-D transforms (WinoF2).
//
// Layout: the input zero-padded and channel-last, Xc[n][z][y][x][Cp] (Cp = C rounded up to the lanes, the extra
// channels 0); U[xi][c][k] (Cp x Kp, positions one cache line apart); per chunk of tiles, tile-major, V[t][xi][c]
// and M[t][xi][k], so a tile's transforms read and write one contiguous block. Threads take whole chunks (sized to
// stay in L2); per chunk: the input transform, the products M_xi = V_xi U_xi of every position (a register-blocked
// kernel reading U in place: tiles x output-channel vectors, the sum over input channels in order), and the output
// transform, which adds the bias and writes each tile's 2x2x2 outputs of a vector of channels. The weight gradient
// runs the same chunks with dy's tiles through the adjoint transform, dU_xi += V_xi^T G_xi.
#include "kernels/conv3d_winograd.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/buffer.h"
#include "core/cpuinfo.h"
#include "core/options.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/bias_grad.h"
#include "kernels/conv2d_winograd_transforms.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

using F = WinoF2;
constexpr int kA = F::kAlpha;      // 4 domain points per axis
constexpr int kP = kA * kA * kA;   // 64 positions
constexpr int kT = F::kTile;       // 2 outputs per axis

struct Wino3 {
  int64_t N, C, K, D, H, W, OD, P, Q, pd, ph, pw;
  int64_t Cp, Kp;             // channels rounded up to the lanes
  int64_t tz, ty, tx, tiles;  // output tiles per image along depth, height, width; over all images
  int64_t Dz, Hy, Wx;         // the padded channel-last volume: kT * tiles + 2 along each axis
};

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

Wino3 make(const Conv3dShape& s) {
  Wino3 p{};
  p.N = s.N, p.C = s.C, p.K = s.K, p.D = s.D, p.H = s.H, p.W = s.W, p.OD = s.OD, p.P = s.P, p.Q = s.Q;
  p.pd = s.pad_d, p.ph = s.pad_h, p.pw = s.pad_w;
  p.Cp = round_up(s.C, kLanes), p.Kp = round_up(s.K, kLanes);
  p.tz = (s.OD + kT - 1) / kT, p.ty = (s.P + kT - 1) / kT, p.tx = (s.Q + kT - 1) / kT;
  p.tiles = s.N * p.tz * p.ty * p.tx;
  p.Dz = kT * p.tz + 2, p.Hy = kT * p.ty + 2, p.Wx = kT * p.tx + 2;
  return p;
}

// Floats from one position's matrix to the next: one cache line more than the matrix, so that the 64 rows a
// transform touches at once do not all map to the same cache sets.
inline int64_t pos_stride(int64_t rows, int64_t ld) { return rows * ld + 16; }

// A volume (N, C, D, H, W) copied channel-last, zero-padded: lo in front along each axis and out to the extents
// (Dz, Hy, Wx), the channels to Cp.
struct ClVol {
  int64_t C, Cp, D, H, W, pd, ph, pw, Dz, Hy, Wx;
};

ClVol input_vol(const Wino3& p) { return {p.C, p.Cp, p.D, p.H, p.W, p.pd, p.ph, p.pw, p.Dz, p.Hy, p.Wx}; }

ClVol grad_vol(const Wino3& p) { return {p.K, p.Kp, p.OD, p.P, p.Q, 0, 0, 0, kT * p.tz, kT * p.ty, kT * p.tx}; }

// dst[n][z][y][x][Cp] = src[n][c][z - pd][y - ph][x - pw] or 0 (threads over the padded volume's depth slices).
void to_channel_last(float* dst, const float* src, int64_t N, const ClVol& v) {
  const int64_t row = v.Wx * v.Cp, slice = v.Hy * row, vol = v.D * v.H * v.W;
  parallel_for(0, N * v.Dz, 1, [&](int64_t s0, int64_t s1) {
    for (int64_t si = s0; si < s1; ++si) {
      const int64_t n = si / v.Dz, z = si % v.Dz - v.pd;
      float* d = dst + si * slice;
      std::memset(d, 0, sizeof(float) * slice);
      if (z < 0 || z >= v.D) continue;
      for (int64_t y = 0; y < v.H; ++y) {
        float* drow = d + (y + v.ph) * row + v.pw * v.Cp;
        const float* srow = src + (n * v.C * v.D + z) * v.H * v.W + y * v.W;
        for (int64_t c = 0; c < v.C; ++c) {
          const float* sc = srow + c * vol;
          for (int64_t i = 0; i < v.W; ++i) drow[i * v.Cp + c] = sc[i];
        }
      }
    }
  });
}

// Where tile t's block starts in a channel-last volume of extents (Dz, Hy, Wx) and Cp channels.
inline int64_t tile_origin(const Wino3& p, int64_t t, const ClVol& v) {
  const int64_t per_img = p.tz * p.ty * p.tx, n = t / per_img, r = t % per_img;
  const int64_t z0 = r / (p.ty * p.tx) * kT, y0 = r / p.tx % p.ty * kT, x0 = r % p.tx * kT;
  return (((n * v.Dz + z0) * v.Hy + y0) * v.Wx + x0) * v.Cp;
}

// U[xi][c][k] = G g G^T along the three axes of the taps w[k][c][t][r][s], output channels in the lanes.
void transform_weights(float* U, const float* w, const Wino3& p) {
  const int64_t us = pos_stride(p.Cp, p.Kp);
  parallel_for(0, p.Cp, 1, [&](int64_t c0, int64_t c1) {
    alignas(64) float gf[27 * kLanes];
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t k0 = 0; k0 < p.Kp; k0 += kLanes) {
        for (int e = 0; e < 27; ++e)
          for (int l = 0; l < kLanes; ++l) {
            const int64_t k = k0 + l;
            gf[e * kLanes + l] = c < p.C && k < p.K ? w[(k * p.C + c) * 27 + e] : 0.f;
          }
        VecF g[27], t1[kA * 9], t2[kA * kA * 3], u[kP];
        for (int e = 0; e < 27; ++e) g[e] = vload(gf + e * kLanes);
        for (int rs = 0; rs < 9; ++rs) F::weight_1d(g + rs, 9, t1 + rs, 9);  // depth: t1[a][r][s]
        for (int a = 0; a < kA; ++a)
          for (int s = 0; s < 3; ++s) F::weight_1d(t1 + a * 9 + s, 3, t2 + a * 12 + s, 3);  // height: t2[a][b][s]
        for (int ab = 0; ab < kA * kA; ++ab) F::weight_1d(t2 + ab * 3, 1, u + ab * kA, 1);  // width: u[a][b][c]
        for (int xi = 0; xi < kP; ++xi) vstore(U + xi * us + c * p.Kp + k0, u[xi]);
      }
  });
}

// V[t - t0][xi][c] = B^T d B along the three axes of tile t's 4x4x4 input block, for the chunk's tiles.
void transform_input(float* V, const float* Xc, const Wino3& p, int64_t t0, int64_t nt) {
  const ClVol in = input_vol(p);
  for (int64_t j = 0; j < nt; ++j) {
    const float* base = Xc + tile_origin(p, t0 + j, in);
    for (int64_t c0 = 0; c0 < p.Cp; c0 += kLanes) {
      VecF d[kP], t1[kP], t2[kP], v[kP];
      for (int i = 0; i < kA; ++i)
        for (int jj = 0; jj < kA; ++jj)
          for (int kk = 0; kk < kA; ++kk)
            d[(i * kA + jj) * kA + kk] = vload(base + ((i * p.Hy + jj) * p.Wx + kk) * p.Cp + c0);
      for (int e = 0; e < kA * kA; ++e) F::input_1d(d + e, kA * kA, t1 + e, kA * kA);
      for (int a = 0; a < kA; ++a)
        for (int kk = 0; kk < kA; ++kk) F::input_1d(t1 + a * kA * kA + kk, kA, t2 + a * kA * kA + kk, kA);
      for (int ab = 0; ab < kA * kA; ++ab) F::input_1d(t2 + ab * kA, 1, v + ab * kA, 1);
      for (int xi = 0; xi < kP; ++xi) vstore(V + (j * kP + xi) * p.Cp + c0, v[xi]);
    }
  }
}

// Tiles x output channels per register block of the products: kRt tiles by up to kKv channel vectors.
#if defined(__AVX512F__)
constexpr int kRt = 6, kKv = 4;  // 24 accumulators, 4 weight vectors, a broadcast: 29 of 32 registers
#else
constexpr int kRt = 6, kKv = 2;  // 12 accumulators, 2 weight vectors, a broadcast: 15 of 16 registers
#endif

// M[t][xi][k0 + v L] = sum over c of V[t][xi][c] U[xi][c][k0 + v L] for tiles t0 <= t < t0 + kRt, v < KV: the sum
// in channel order from zero (the same arithmetic wherever the block runs).
template <int KV>
void products_block(float* M, const float* V, const float* Ux, const Wino3& p, int64_t t0, int64_t xi, int64_t k0) {
  VecF acc[kRt][KV];
  for (int r = 0; r < kRt; ++r)
    for (int v = 0; v < KV; ++v) acc[r][v] = vzero();
  const float* a = V + (t0 * kP + xi) * p.Cp;
  const int64_t as = kP * p.Cp;
  const float* u = Ux + k0;
  for (int64_t c = 0; c < p.Cp; ++c, u += p.Kp) {
    VecF b[KV];
    for (int v = 0; v < KV; ++v) b[v] = vload(u + v * kLanes);
    for (int r = 0; r < kRt; ++r) {
      const VecF x = vset1(a[r * as + c]);
      for (int v = 0; v < KV; ++v) acc[r][v] = vfma(x, b[v], acc[r][v]);
    }
  }
  for (int r = 0; r < kRt; ++r)
    for (int v = 0; v < KV; ++v) vstore(M + ((t0 + r) * kP + xi) * p.Kp + k0 + v * kLanes, acc[r][v]);
}

// M_xi (nt x Kp) = V_xi (nt x Cp) @ U_xi (Cp x Kp) for every position, nt a multiple of kRt.
void products(float* M, const float* V, const float* U, int64_t us, const Wino3& p, int64_t nt) {
  for (int64_t xi = 0; xi < kP; ++xi) {
    const float* Ux = U + xi * us;
    for (int64_t k0 = 0; k0 < p.Kp; k0 += kKv * kLanes) {
      const int64_t kv = std::min<int64_t>(kKv, (p.Kp - k0) / kLanes);
      for (int64_t t0 = 0; t0 < nt; t0 += kRt) {
        switch (kv) {
          case 1: products_block<1>(M, V, Ux, p, t0, xi, k0); break;
#if defined(__AVX512F__)
          case 2: products_block<2>(M, V, Ux, p, t0, xi, k0); break;
          case 3: products_block<3>(M, V, Ux, p, t0, xi, k0); break;
#endif
          default: products_block<kKv>(M, V, Ux, p, t0, xi, k0); break;
        }
      }
    }
  }
}

// G[t - t0][xi][k] = A y A^T along the three axes of tile t's 2x2x2 block of dy (channel-last, Yc): the adjoint of
// the output transform.
void transform_grad(float* G, const float* Yc, const Wino3& p, int64_t t0, int64_t nt) {
  const ClVol gv = grad_vol(p);
  for (int64_t j = 0; j < nt; ++j) {
    const float* base = Yc + tile_origin(p, t0 + j, gv);
    for (int64_t k0 = 0; k0 < p.Kp; k0 += kLanes) {
      VecF d[kT * kT * kT], t1[kA * kT * kT], t2[kA * kA * kT], g[kP];
      for (int i = 0; i < kT; ++i)
        for (int jj = 0; jj < kT; ++jj)
          for (int kk = 0; kk < kT; ++kk)
            d[(i * kT + jj) * kT + kk] = vload(base + ((i * gv.Hy + jj) * gv.Wx + kk) * p.Kp + k0);
      for (int e = 0; e < kT * kT; ++e) F::grad_1d(d + e, kT * kT, t1 + e, kT * kT);  // t1[a][j][k]
      for (int a = 0; a < kA; ++a)
        for (int kk = 0; kk < kT; ++kk) F::grad_1d(t1 + a * kT * kT + kk, kT, t2 + a * kA * kT + kk, kT);
      for (int ab = 0; ab < kA * kA; ++ab) F::grad_1d(t2 + ab * kT, 1, g + ab * kA, 1);
      for (int xi = 0; xi < kP; ++xi) vstore(G + (j * kP + xi) * p.Kp + k0, g[xi]);
    }
  }
}

// Input channels x output channel vectors per register block of the weight-gradient products.
#if defined(__AVX512F__)
constexpr int kRc = 8, kKw = 3;  // 24 accumulators, 3 gradient vectors, a broadcast
#else
constexpr int kRc = 4, kKw = 2;  // 8 accumulators, 2 gradient vectors, a broadcast (Cp is a multiple of 4)
#endif

// dU[xi][c0 + r][k0 + v L] += sum over the chunk's tiles t, in order, of V[t][xi][c0 + r] G[t][xi][k0 + v L].
template <int KV>
void grad_products_block(float* dU, const float* V, const float* G, const Wino3& p, int64_t nt, int64_t xi,
                         int64_t c0, int64_t k0, int64_t us) {
  float* d = dU + xi * us + c0 * p.Kp + k0;
  VecF acc[kRc][KV];
  for (int r = 0; r < kRc; ++r)
    for (int v = 0; v < KV; ++v) acc[r][v] = vload(d + r * p.Kp + v * kLanes);
  const float* a = V + xi * p.Cp + c0;
  const float* g = G + xi * p.Kp + k0;
  for (int64_t t = 0; t < nt; ++t, a += kP * p.Cp, g += kP * p.Kp) {
    VecF b[KV];
    for (int v = 0; v < KV; ++v) b[v] = vload(g + v * kLanes);
    for (int r = 0; r < kRc; ++r) {
      const VecF x = vset1(a[r]);
      for (int v = 0; v < KV; ++v) acc[r][v] = vfma(x, b[v], acc[r][v]);
    }
  }
  for (int r = 0; r < kRc; ++r)
    for (int v = 0; v < KV; ++v) vstore(d + r * p.Kp + v * kLanes, acc[r][v]);
}

// dU_xi (Cp x Kp) += V_xi^T (Cp x nt) @ G_xi (nt x Kp) for every position.
void grad_products(float* dU, const float* V, const float* G, const Wino3& p, int64_t nt, int64_t us) {
  for (int64_t xi = 0; xi < kP; ++xi)
    for (int64_t c0 = 0; c0 < p.Cp; c0 += kRc)
      for (int64_t k0 = 0; k0 < p.Kp; k0 += kKw * kLanes) {
        switch (std::min<int64_t>(kKw, (p.Kp - k0) / kLanes)) {
          case 1: grad_products_block<1>(dU, V, G, p, nt, xi, c0, k0, us); break;
#if defined(__AVX512F__)
          case 2: grad_products_block<2>(dU, V, G, p, nt, xi, c0, k0, us); break;
#endif
          default: grad_products_block<kKw>(dU, V, G, p, nt, xi, c0, k0, us); break;
        }
      }
}

// dw[k][c][t][r][s] = G^T dU G along the three axes (the adjoint of transform_weights), output channels in lanes.
void weights_from_domain(float* dw, const float* dU, const Wino3& p, int64_t us) {
  parallel_for(0, p.C, 1, [&](int64_t c0, int64_t c1) {
    alignas(64) float wf[27 * kLanes];
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t k0 = 0; k0 < p.K; k0 += kLanes) {
        VecF u[kP], t2[kA * kA * 3], t1[kA * 9], g[27];
        for (int xi = 0; xi < kP; ++xi) u[xi] = vload(dU + xi * us + c * p.Kp + k0);
        for (int ab = 0; ab < kA * kA; ++ab) F::weight_grad_1d(u + ab * kA, 1, t2 + ab * 3, 1);  // t2[a][b][s]
        for (int a = 0; a < kA; ++a)
          for (int s = 0; s < 3; ++s) F::weight_grad_1d(t2 + a * 12 + s, 3, t1 + a * 9 + s, 3);  // t1[a][r][s]
        for (int rs = 0; rs < 9; ++rs) F::weight_grad_1d(t1 + rs, 9, g + rs, 9);  // g[t][r][s]
        for (int e = 0; e < 27; ++e) vstore(wf + e * kLanes, g[e]);
        const int nk = static_cast<int>(std::min<int64_t>(kLanes, p.K - k0));
        for (int l = 0; l < nk; ++l)
          for (int e = 0; e < 27; ++e) dw[((k0 + l) * p.C + c) * 27 + e] = wf[e * kLanes + l];
      }
  });
}

// out (N, K, OD, P, Q) at the chunk's tiles = A^T M A along the three axes (+ bias), channels in the lanes.
void transform_output(float* out, const float* M, const float* bias, const Wino3& p, int64_t t0, int64_t nt) {
  const int64_t per_img = p.tz * p.ty * p.tx, vol = p.OD * p.P * p.Q;
  alignas(64) float of[kT * kT * kT * kLanes];
  for (int64_t j = 0; j < nt; ++j) {
    const int64_t t = t0 + j, n = t / per_img, r = t % per_img;
    const int64_t z0 = r / (p.ty * p.tx) * kT, y0 = r / p.tx % p.ty * kT, x0 = r % p.tx * kT;
    const int nz = static_cast<int>(std::min<int64_t>(kT, p.OD - z0));
    const int ny = static_cast<int>(std::min<int64_t>(kT, p.P - y0));
    const int nx = static_cast<int>(std::min<int64_t>(kT, p.Q - x0));
    for (int64_t k0 = 0; k0 < p.K; k0 += kLanes) {
      const int nk = static_cast<int>(std::min<int64_t>(kLanes, p.K - k0));
      VecF m[kP], t1[kT * kA * kA], t2[kT * kT * kA], y[kT * kT * kT];
      for (int xi = 0; xi < kP; ++xi) m[xi] = vload(M + (j * kP + xi) * p.Kp + k0);
      for (int e = 0; e < kA * kA; ++e) F::output_1d(m + e, kA * kA, t1 + e, kA * kA);  // t1[i][b][c], i < 2
      for (int i = 0; i < kT; ++i)
        for (int cc = 0; cc < kA; ++cc)
          F::output_1d(t1 + i * kA * kA + cc, kA, t2 + i * kT * kA + cc, kA);  // t2[i][j][c], j < 2
      for (int ij = 0; ij < kT * kT; ++ij) F::output_1d(t2 + ij * kA, 1, y + ij * kT, 1);
      const VecF bv = bias ? vload_n(bias + k0, nk) : vzero();
      for (int e = 0; e < kT * kT * kT; ++e) vstore(of + e * kLanes, vadd(y[e], bv));
      float* o = out + (n * p.K + k0) * vol + (z0 * p.P + y0) * p.Q + x0;
      if (nz == kT && ny == kT && nx == kT) {  // a whole tile: the 8 offsets fixed
        const int64_t off[8] = {0, 1, p.Q, p.Q + 1, p.P * p.Q, p.P * p.Q + 1, (p.P + 1) * p.Q, (p.P + 1) * p.Q + 1};
        for (int l = 0; l < nk; ++l, o += vol)
          for (int e = 0; e < 8; ++e) o[off[e]] = of[e * kLanes + l];
        continue;
      }
      for (int l = 0; l < nk; ++l)
        for (int i = 0; i < nz; ++i)
          for (int jj = 0; jj < ny; ++jj)
            for (int kk = 0; kk < nx; ++kk)
              o[l * vol + (i * p.P + jj) * p.Q + kk] = of[((i * kT + jj) * kT + kk) * kLanes + l];
    }
  }
}

// Tiles per chunk: a multiple of kRt whose domain matrices (Cp and Kp floats at 64 positions a tile) take about
// half of L2, so that the transforms and the products of a chunk stay in L2. Depends on the shape and caches only.
int64_t chunk_tiles(const Wino3& p) {
  const int64_t per_tile = kP * (p.Cp + p.Kp) * static_cast<int64_t>(sizeof(float));
  const int64_t chunk = std::max<int64_t>(kRt, cache_info().l2 / 2 / per_tile / kRt * kRt);
  return std::min(chunk, (p.tiles + kRt - 1) / kRt * kRt);
}

}  // namespace

bool conv3d_winograd_ok(const Conv3dShape& s) {
  if (winograd_mode() == WinogradMode::off) return false;
  if (s.N < 1 || s.bf16 || s.groups != 1 || s.T != 3 || s.R != 3 || s.S != 3) return false;  // (an empty batch:
  // no tiles to chunk; the GEMM path returns the empty output and zero weight gradients)
  if (s.stride_d != 1 || s.stride_h != 1 || s.stride_w != 1 || s.dil_d != 1 || s.dil_h != 1 || s.dil_w != 1)
    return false;
  if (s.pad_d > 2 || s.pad_h > 2 || s.pad_w > 2) return false;
  if (s.C < 16 || s.K < 16) return false;
  // 64 products per tile against the direct 27 per output: the tiles over the output may waste at most 40%
  const int64_t tiles = (s.OD + 1) / 2 * ((s.P + 1) / 2) * ((s.Q + 1) / 2);
  return 100 * kP * tiles <= 60 * 27 * s.OD * s.P * s.Q;
}

void conv3d_winograd_forward(float* y, const float* x, const float* w, const float* b, const Conv3dShape& s) {
  const Wino3 p = make(s);
  const int64_t chunk = chunk_tiles(p), us = pos_stride(p.Cp, p.Kp), chunks = (p.tiles + chunk - 1) / chunk;
  static thread_local ScratchBuf xbuf, ubuf;
  float* Xc = xbuf.get(static_cast<size_t>(p.N * p.Dz * p.Hy * p.Wx * p.Cp));
  float* U = ubuf.get(static_cast<size_t>(kP * us));
  to_channel_last(Xc, x, p.N, input_vol(p));
  transform_weights(U, w, p);
  parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    static thread_local ScratchBuf vbuf, mbuf;
    float* V = vbuf.get(static_cast<size_t>(chunk * kP * p.Cp));
    float* M = mbuf.get(static_cast<size_t>(chunk * kP * p.Kp));
    for (int64_t ci = c0; ci < c1; ++ci) {
      const int64_t t0 = ci * chunk, nt = std::min(chunk, p.tiles - t0), padded = (nt + kRt - 1) / kRt * kRt;
      transform_input(V, Xc, p, t0, nt);
      if (padded > nt) std::memset(V + nt * kP * p.Cp, 0, sizeof(float) * (padded - nt) * kP * p.Cp);
      products(M, V, U, us, p, padded);
      transform_output(y, M, b, p, t0, nt);
    }
  });
}

void conv3d_winograd_backward_weights(float* dw, float* db, const float* dy, const float* x, const Conv3dShape& s) {
  if (db) bias_grad(db, dy, s.N, s.K, s.OD * s.P * s.Q);
  if (!dw) return;
  const Wino3 p = make(s);
  const int64_t chunk = chunk_tiles(p), us = pos_stride(p.Cp, p.Kp), chunks = (p.tiles + chunk - 1) / chunk;
  // the chunks summed in kParts fixed runs (each in order), the runs' sums then added in order: the same bits at
  // any thread count
  constexpr int64_t kParts = 4;
  const int64_t parts = std::min(chunks, kParts);
  const ClVol in = input_vol(p), gv = grad_vol(p);
  static thread_local ScratchBuf xbuf, ybuf, ubuf;
  float* Xc = xbuf.get(static_cast<size_t>(p.N * in.Dz * in.Hy * in.Wx * in.Cp));
  float* Yc = ybuf.get(static_cast<size_t>(p.N * gv.Dz * gv.Hy * gv.Wx * gv.Cp));
  float* dU = ubuf.get(static_cast<size_t>(parts * kP * us));
  to_channel_last(Xc, x, p.N, in);
  to_channel_last(Yc, dy, p.N, gv);
  parallel_for(0, parts, 1, [&](int64_t q0, int64_t q1) {
    static thread_local ScratchBuf vbuf, gbuf;
    float* V = vbuf.get(static_cast<size_t>(chunk * kP * p.Cp));
    float* G = gbuf.get(static_cast<size_t>(chunk * kP * p.Kp));
    for (int64_t q = q0; q < q1; ++q) {
      float* dUq = dU + q * kP * us;
      std::memset(dUq, 0, sizeof(float) * kP * us);
      for (int64_t ci = q * chunks / parts; ci < (q + 1) * chunks / parts; ++ci) {
        const int64_t t0 = ci * chunk, nt = std::min(chunk, p.tiles - t0);
        transform_input(V, Xc, p, t0, nt);
        transform_grad(G, Yc, p, t0, nt);
        grad_products(dUq, V, G, p, nt, us);
      }
    }
  });
  for (int64_t q = 1; q < parts; ++q) {
    const float* src = dU + q * kP * us;
    for (int64_t i = 0; i < kP * us; ++i) dU[i] += src[i];
  }
  weights_from_domain(dw, dU, p, us);
}

}  // namespace NNE_ISA_NS
}  // namespace nne
