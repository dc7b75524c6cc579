// Winograd F(2x2, 2x2) on the sub-pixel phases of stride-2 4x4 transposed convolutions (compiled once per ISA).
// See conv_transpose_winograd.h.
#include "kernels/conv_transpose_winograd.h"

#include <algorithm>
#include <cstring>

#include "core/buffer.h"
#include "core/cpuinfo.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/gemm.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// One axis of a tiling: element m (0..2 for an input tile, 0..1 for an output tile) of tile u is index
// base + step*(2u + m) of a source or destination of length len (outside [0, len): zero, or not written).
struct Axis {
  int64_t base, step, len;
  int64_t at(int64_t u, int64_t m) const { return base + step * (2 * u + m); }
};

inline int64_t grain_for(int64_t work) { return std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, work)); }

// The columns of a source plane the tiles of an axis read, deinterleaved by F = 2*step, for a block of ni images
// (images innermost): D[c][h][tau][j][i] = src[n0 + i][c][h][lo + F*j + tau] (0 outside [0, len)). Element n of the
// tiles u = 0, 1, ... of the block's images is then one contiguous run over (u, i). lo <= 0 is a multiple of F;
// a row (c, h) holds F*wd*ni floats.
struct Frame {
  int64_t F, lo, wd;
  int64_t at(const Axis& a, int64_t n) const {  // offset of element n of tile 0 in a row, in units of ni floats
    const int64_t f = a.base + a.step * n - lo;
    return (f % F) * wd + f / F;
  }
};

Frame frame_of(const Axis* axes, const int64_t* nt, int64_t count) {
  Frame fr{2 * axes[0].step, 0, 0};
  int64_t hi = axes[0].len;
  for (int64_t k = 0; k < count; ++k) {
    fr.lo = std::min(fr.lo, axes[k].base);
    hi = std::max(hi, axes[k].at(std::max<int64_t>(nt[k], 1), 0) + 1);
  }
  fr.lo = -((-fr.lo + fr.F - 1) / fr.F) * fr.F;
  fr.wd = (hi - fr.lo + fr.F - 1) / fr.F;
  return fr;
}

// D (Cs, H, F*wd*ni) for images n0 .. n0+ni of src (N, Cs, H, W), plus kLanes zeros.
void deinterleave(float* D, const float* src, int64_t Cs, int64_t H, int64_t W, int64_t n0, int64_t ni,
                  const Frame& fr) {
  const int64_t row = fr.F * fr.wd * ni;
  parallel_for(0, Cs * H, grain_for(row), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* d = D + r * row;
      for (int64_t i = 0; i < ni; ++i) {
        const float* s = src + ((n0 + i) * Cs + r / H) * H * W + (r % H) * W;
        for (int64_t tau = 0; tau < fr.F; ++tau)
          for (int64_t j = 0; j < fr.wd; ++j) {
            const int64_t c = fr.lo + fr.F * j + tau;
            d[(tau * fr.wd + j) * ni + i] = c >= 0 && c < W ? s[c] : 0.f;
          }
      }
    }
  });
  std::fill(D + Cs * H * row, D + Cs * H * row + kLanes, 0.f);
}

// V[xi*vs + c*ldv + t] = (B^T d B)[xi / 3][xi % 3] for the Cs channels of a block of ni images and their tiles
// t = (uh*ntw + uw)*ni + i, d[m][n] = src[n0 + i][c][ah.at(uh, m)][aw.at(uw, n)] (0 outside), read from the block's
// D (deinterleave). (Tile, image) pairs in vector lanes; a row of V is written in order, whole vectors
// (ldv >= T + kLanes: the lanes past a run are rewritten by the next run or lie past T).
// kA: the weight gradient's transform of x's own 2x2 tiles instead, (A d A^T) with A = G = [[1,0],[1,1],[0,1]]
// (m, n < 2; ah = {0, 1, H}).
template <bool kA>
void transform_in(float* V, int64_t vs, int64_t ldv, const float* D, const Frame& fr, int64_t Cs, int64_t ni,
                  const Axis& ah, int64_t nth, const Axis& aw, int64_t ntw) {
  constexpr int E = kA ? 2 : 3;
  const auto tf = [](const VecF* d, VecF* o) {  // one axis: A (d0, d0 + d1, d1) or B^T (d0 - d1, d1, d2 - d1)
    if (kA)
      o[0] = d[0], o[1] = vadd(d[0], d[1]), o[2] = d[1];
    else
      o[0] = vsub(d[0], d[1]), o[1] = d[1], o[2] = vsub(d[2], d[1]);
  };
  const int64_t row = fr.F * fr.wd * ni, run = ntw * ni;
  parallel_for(0, Cs, grain_for(9 * nth * run), [&](int64_t c0, int64_t c1) {
    static thread_local ScratchBuf zbuf;
    float* zero = zbuf.get(static_cast<size_t>(row + kLanes));
    std::fill(zero, zero + row + kLanes, 0.f);
    int64_t off[E];
    for (int n = 0; n < E; ++n) off[n] = fr.at(aw, n) * ni;
    for (int64_t c = c0; c < c1; ++c) {
      const float* plane = D + c * ah.len * row;
      for (int64_t uh = 0; uh < nth; ++uh) {
        const float* p[E][E];
        for (int m = 0; m < E; ++m) {
          const int64_t h = ah.at(uh, m);
          const float* r = h >= 0 && h < ah.len ? plane + h * row : zero;
          for (int n = 0; n < E; ++n) p[m][n] = r + off[n];
        }
        float* dst = V + c * ldv + uh * run;
        for (int64_t z = 0; z < run; z += kLanes) {
          VecF t[3][3], d[3], col[3], v[3];
          for (int m = 0; m < E; ++m) {  // along the rows
            for (int n = 0; n < E; ++n) d[n] = vload(p[m][n] + z);
            tf(d, t[m]);
          }
          for (int b = 0; b < 3; ++b) {  // and down the columns
            for (int m = 0; m < E; ++m) col[m] = t[m][b];
            tf(col, v);
            for (int a2 = 0; a2 < 3; ++a2) vstore(dst + (3 * a2 + b) * vs + z, v[a2]);
          }
        }
      }
    }
  });
}

// o = A^T m A (2x2, row-major) for m (3x3, row-major), A^T = G^T = [[1,1,0],[0,1,1]].
inline void at_m_a(const VecF* m, VecF* o) {
  for (int e = 0; e < 2; ++e) {  // down the columns, then along the rows
    const VecF s0 = vadd(m[3 * e], m[3 * e + 3]), s1 = vadd(m[3 * e + 1], m[3 * e + 4]);
    const VecF s2 = vadd(m[3 * e + 2], m[3 * e + 5]);
    o[2 * e] = vadd(s0, s1), o[2 * e + 1] = vadd(s1, s2);
  }
}

// One tiling of an output: the GEMM results M (m[a][b] = M[(3a + b)*ms + c*ldm + t], t = (uh*ntw + uw)*ni + i)
// and where tile (uh, uw) lands.
struct OutTiles {
  const float* M;
  Axis oh, ow;
  int64_t nth, ntw;
};

// out[n0 + i][c][oh.at(uh, e)][ow.at(uw, f)] = (A^T m A)[e][f] + bias[c] (bias may be null) for the positions
// inside out (Cs channels, oh.len x ow.len planes), for each tiling of `tl` in turn: one task writes the block's
// planes of a channel whole (they stay in cache across the tilings).
void transform_out(float* out, const OutTiles* tl, int64_t ntl, int64_t ms, int64_t ldm, int64_t Cs, const float* bias,
                   int64_t n0, int64_t ni) {
  const int64_t plane = tl[0].oh.len * tl[0].ow.len;
  parallel_for(0, Cs, grain_for(9 * ni * plane / 4), [&](int64_t c0, int64_t c1) {
    alignas(64) float o[4][kLanes];
    for (int64_t c = c0; c < c1; ++c) {
      const VecF bv = vset1(bias ? bias[c] : 0.f);
      float* pl = out + (n0 * Cs + c) * plane;
      for (int64_t k = 0; k < ntl; ++k) {
        const OutTiles& t = tl[k];
        const int64_t run = t.ntw * ni;
        for (int64_t uh = 0; uh < t.nth; ++uh) {
          const float* src = t.M + c * ldm + uh * run;
          const int64_t rows[2] = {t.oh.at(uh, 0), t.oh.at(uh, 1)}, ne = rows[1] < t.oh.len ? 2 : 1;
          int64_t uw = 0, i = 0;
          for (int64_t z = 0; z < run; z += kLanes) {
            VecF m[9];
            for (int x = 0; x < 9; ++x) m[x] = vload(src + x * ms + z);
            VecF r[4];
            at_m_a(m, r);
            for (int e = 0; e < 4; ++e) vstore(o[e], vadd(r[e], bv));
            const int64_t n = std::min<int64_t>(kLanes, run - z);
            for (int64_t l = 0; l < n; ++l) {  // lane l: tile uw of image i
              const int64_t q0 = t.ow.at(uw, 0), q1 = t.ow.at(uw, 1);
              float* img = pl + i * Cs * plane;
              for (int64_t e = 0; e < ne; ++e) {
                float* orow = img + rows[e] * t.ow.len;
                orow[q0] = o[2 * e][l];
                if (q1 < t.ow.len) orow[q1] = o[2 * e + 1][l];
              }
              if (++i == ni) i = 0, ++uw;
            }
          }
        }
      }
    }
  });
}

// dst (cols, rows) = src (rows, cols), in 16 x 16 blocks.
void transpose(float* dst, const float* src, int64_t rows, int64_t cols) {
  parallel_for(0, (rows + 15) / 16, grain_for(16 * cols), [&](int64_t b0, int64_t b1) {
    for (int64_t r0 = b0 * 16; r0 < std::min(rows, b1 * 16); r0 += 16)
      for (int64_t c0 = 0; c0 < cols; c0 += 16) {
        const int64_t r1 = std::min(rows, r0 + 16), c1 = std::min(cols, c0 + 16);
        for (int64_t c = c0; c < c1; ++c)
          for (int64_t r = r0; r < r1; ++r) dst[c * rows + r] = src[r * cols + c];
      }
  });
}

// U[xi*us + j] = (G g G^T)[xi / 3][xi % 3] for j < n, g[a][b] = tap (fh + sh*a)*4 + fw + sw*b of column j of taps
// (16, n) (taps[rs*n + j]).
void transform_w(float* U, int64_t us, const float* taps, int64_t n, int64_t fh, int64_t sh, int64_t fw, int64_t sw) {
  const float* g[2][2];
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) g[a][b] = taps + ((fh + sh * a) * 4 + fw + sw * b) * n;
  for (int64_t j = 0; j < n; j += kLanes) {
    const int c = static_cast<int>(std::min<int64_t>(kLanes, n - j));
    VecF v[2][2];
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b) v[a][b] = vload_n(g[a][b] + j, c);
    const VecF r[3][2] = {{v[0][0], v[0][1]}, {vadd(v[0][0], v[1][0]), vadd(v[0][1], v[1][1])}, {v[1][0], v[1][1]}};
    for (int a = 0; a < 3; ++a) {
      const VecF u[3] = {r[a][0], vadd(r[a][0], r[a][1]), r[a][1]};
      for (int b = 0; b < 3; ++b) vstore_n(U + (3 * a + b) * us + j, u[b], c);
    }
  }
}

// Images per block: the transforms of a block (`per_image` floats an image) within a quarter of L3 (at least L2),
// but at least 512 tiles (the GEMMs pack the weights once per block), the blocks of equal size.
int64_t images_per_block(int64_t N, int64_t per_image, int64_t tiles) {
  const CacheInfo ci = cache_info();
  const int64_t budget = std::max(ci.l2, ci.l3 / 4) / static_cast<int64_t>(sizeof(float));
  const int64_t most = std::max({int64_t{1}, budget / std::max<int64_t>(1, per_image), 512 / std::max<int64_t>(1, tiles)});
  const int64_t blocks = (N + most - 1) / most;
  return (N + blocks - 1) / blocks;
}

// Forward sub-pixel phase ph of one axis (pad, input length n, output length len): output a = 2u + e of the phase
// (index ph + 2a) reads input a + off + j' with tap r0 + 2 - 2j'.
struct FwdPhase {
  Axis in, out;
  int64_t nt, r0;
};

FwdPhase fwd_phase(int64_t ph, int64_t pad, int64_t n, int64_t len) {
  const int64_t r0 = (ph + pad) % 2, off = (ph + pad - r0) / 2 - 1;
  const int64_t A = ph < len ? (len - ph + 1) / 2 : 0;
  return {{off, 1, n}, {ph, 2, len}, (A + 1) / 2, r0};
}

}  // namespace

bool conv_transpose2d_winograd_ok(const ConvTranspose2dShape& s) {
  return s.stride_h == 2 && s.stride_w == 2 && s.R == 4 && s.S == 4 && s.dil_h == 1 && s.dil_w == 1 &&
         s.groups == 1 && !s.bf16 && s.C >= 16 && s.K >= 16 && s.N * s.H * s.W >= 1024 &&
         36 * s.C * s.K <= (int64_t{1} << 24);
}

// Rows of V and M: T tiles rounded up, plus a vector (transform_in writes whole vectors).
inline int64_t row_len(int64_t T) { return (T + kLanes - 1) / kLanes * kLanes + kLanes; }

void conv_transpose2d_winograd_forward(float* y, const float* x, const float* w, const float* b,
                                       const ConvTranspose2dShape& s) {
  const int64_t C = s.C, K = s.K, KC = K * C;
  const FwdPhase fh[2] = {fwd_phase(0, s.pad_h, s.H, s.P), fwd_phase(1, s.pad_h, s.H, s.P)};
  const FwdPhase fw[2] = {fwd_phase(0, s.pad_w, s.W, s.Q), fwd_phase(1, s.pad_w, s.W, s.Q)};
  const Axis aws[2] = {fw[0].in, fw[1].in};
  const int64_t nts[2] = {fw[0].nt, fw[1].nt};
  const Frame fr = frame_of(aws, nts, 2);
  // U_xi^T of phase f = 2*ph + pw (C, K) at U + (9f + xi)*KC: row c from the taps of w[c] (K, 16) read as (16, K),
  // g[j][j'] = tap (r0h + 2 - 2j, r0w + 2 - 2j').
  static thread_local ScratchBuf ubuf, tbuf, dbuf, vbuf, mbuf;
  float* U = ubuf.get(static_cast<size_t>(36 * KC));
  parallel_for(0, C, grain_for(144 * K), [&](int64_t c0, int64_t c1) {
    float* taps = tbuf.get(static_cast<size_t>(16 * K));
    for (int64_t c = c0; c < c1; ++c) {
      transpose(taps, w + c * K * 16, K, 16);
      for (int64_t f = 0; f < 4; ++f)
        transform_w(U + f * 9 * KC + c * K, KC, taps, K, fh[f / 2].r0 + 2, -2, fw[f % 2].r0 + 2, -2);
    }
  });
  int64_t tiles[4], most = 0;
  for (int64_t f = 0; f < 4; ++f) tiles[f] = fh[f / 2].nt * fw[f % 2].nt, most = std::max(most, tiles[f]);
  // Per block: D, V of one phase and M of all four (so that the output transform writes each plane once).
  const int64_t ipb = images_per_block(s.N, 9 * most * (C + 4 * K) + C * s.H * fr.F * fr.wd, most);
  const int64_t ld = row_len(ipb * most);
  float* D = dbuf.get(static_cast<size_t>(C * s.H * fr.F * fr.wd * ipb + kLanes));
  float* V = vbuf.get(static_cast<size_t>(9 * C * ld));
  float* M = mbuf.get(static_cast<size_t>(36 * K * ld));
  for (int64_t n0 = 0; n0 < s.N; n0 += ipb) {
    const int64_t ni = std::min(ipb, s.N - n0);
    deinterleave(D, x, C, s.H, s.W, n0, ni, fr);
    OutTiles tl[4];
    int64_t ntl = 0;
    for (int64_t f = 0; f < 4; ++f) {
      const FwdPhase &ah = fh[f / 2], &aw = fw[f % 2];
      const int64_t T = ni * tiles[f];
      if (T == 0) continue;
      float* Mf = M + f * 9 * K * ld;
      transform_in<false>(V, C * ld, ld, D, fr, C, ni, ah.in, ah.nt, aw.in, aw.nt);
      for (int64_t xi = 0; xi < 9; ++xi) {
        GemmArgs a;  // M_xi (K, T) = U_xi (K, C) @ V_xi (C, T)
        a.trans_a = true;
        a.M = K, a.N = T, a.K = C;
        a.A = U + (f * 9 + xi) * KC, a.lda = K;
        a.B = V + xi * C * ld, a.ldb = ld;
        a.C = Mf + xi * K * ld, a.ldc = ld;
        sgemm(a);
      }
      tl[ntl++] = {Mf, ah.out, aw.out, ah.nt, aw.nt};
    }
    transform_out(y, tl, ntl, K * ld, ld, K, b, n0, ni);
  }
}

void conv_transpose2d_winograd_backward(float* dx, float* dw, const float* dy, const float* x, const float* w,
                                        const ConvTranspose2dShape& s) {
  const int64_t C = s.C, K = s.K, K4 = 4 * K;
  if (s.N == 0) {
    if (dw) std::memset(dw, 0, sizeof(float) * C * K * 16);
    return;
  }
  // dx[h] = sum over rho, i of dy[2(h + i) + rho - pad] w[2i + rho]: tile element m of tile u reads dy row
  // rho - pad + 2(2u + m); the output tiles are dx's own.
  const int64_t nth = (s.H + 1) / 2, ntw = (s.W + 1) / 2, tiles = nth * ntw;
  const Axis aws[2] = {{-s.pad_w, 2, s.Q}, {1 - s.pad_w, 2, s.Q}}, axw{0, 1, s.W};
  const int64_t nts[2] = {ntw, ntw};
  const Frame fr = frame_of(aws, nts, 2), frx = frame_of(&axw, &ntw, 1);
  static thread_local ScratchBuf ubuf, tbuf, dbuf, vbuf, mbuf, xbuf, sbuf, gbuf;
  float* U = nullptr;
  if (dx) {
    // U_xi^T (4K, C): row rho*K + k (rho = 2*rho_h + rho_w) from the taps of w[:, k] (rows k*16 .. of w^T),
    // g[i][j] = tap (2i + rho_h, 2j + rho_w).
    float* wt = tbuf.get(static_cast<size_t>(16 * K * C));
    transpose(wt, w, C, 16 * K);
    U = ubuf.get(static_cast<size_t>(9 * C * K4));
    parallel_for(0, K, grain_for(36 * C), [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k)
        for (int64_t rho = 0; rho < 4; ++rho)
          transform_w(U + (rho * K + k) * C, K4 * C, wt + k * 16 * C, C, rho / 2, 2, rho % 2, 2);
    });
  }
  // Blocks by shape alone (dw's sums do not depend on which gradients a call asks for).
  const int64_t dyrow = s.P * fr.F * fr.wd, xrow = s.H * frx.F * frx.wd;
  const int64_t ipb = images_per_block(s.N, 9 * tiles * (K4 + 2 * C) + K * dyrow + C * xrow, tiles);
  const int64_t ld = row_len(ipb * tiles);
  float* D = dbuf.get(static_cast<size_t>(K * dyrow * ipb + kLanes));
  float* V = vbuf.get(static_cast<size_t>(9 * K4 * ld));
  float* M = dx ? mbuf.get(static_cast<size_t>(9 * C * ld)) : nullptr;
  float* Dx = dw ? xbuf.get(static_cast<size_t>(C * xrow * ipb + kLanes)) : nullptr;
  float* X = dw ? sbuf.get(static_cast<size_t>(9 * C * ld)) : nullptr;
  float* G = dw ? gbuf.get(static_cast<size_t>(9 * C * K4)) : nullptr;
  for (int64_t n0 = 0; n0 < s.N; n0 += ipb) {
    const int64_t ni = std::min(ipb, s.N - n0), T = ni * tiles;
    deinterleave(D, dy, K, s.P, s.Q, n0, ni, fr);
    for (int64_t rho = 0; rho < 4; ++rho) {  // rows rho*K + k of V
      const Axis ah{rho / 2 - s.pad_h, 2, s.P};
      transform_in<false>(V + rho * K * ld, K4 * ld, ld, D, fr, K, ni, ah, nth, aws[rho % 2], ntw);
    }
    if (dx) {
      for (int64_t xi = 0; xi < 9; ++xi) {
        GemmArgs a;  // M_xi (C, T) = U_xi (C, 4K) @ V_xi (4K, T)
        a.trans_a = true;
        a.M = C, a.N = T, a.K = K4;
        a.A = U + xi * K4 * C, a.lda = C;
        a.B = V + xi * K4 * ld, a.ldb = ld;
        a.C = M + xi * C * ld, a.ldc = ld;
        sgemm(a);
      }
      const OutTiles tl{M, {0, 1, s.H}, axw, nth, ntw};
      transform_out(dx, &tl, 1, C * ld, ld, C, nullptr, n0, ni);
    }
    if (dw) {
      deinterleave(Dx, x, C, s.H, s.W, n0, ni, frx);
      transform_in<true>(X, C * ld, ld, Dx, frx, C, ni, {0, 1, s.H}, nth, axw, ntw);
      for (int64_t xi = 0; xi < 9; ++xi) {
        GemmArgs a;  // G_xi (C, 4K) (+)= X_xi (C, T) @ V_xi^T (T, 4K), blocks in order
        a.trans_b = true;
        a.M = C, a.N = K4, a.K = T;
        a.A = X + xi * C * ld, a.lda = ld;
        a.B = V + xi * K4 * ld, a.ldb = ld;
        a.C = G + xi * C * K4, a.ldc = K4;
        a.beta = n0 == 0 ? 0.f : 1.f;
        sgemm(a);
      }
    }
  }
  if (!dw) return;
  // dw[c][k][2i + rho_h][2j + rho_w] = (G^T g G)[i][j], g[a][b] = G_(3a+b)[c][rho*K + k]: per c, the (16, K) taps
  // then transposed into dw[c] (K, 16).
  parallel_for(0, C, grain_for(36 * K), [&](int64_t c0, int64_t c1) {
    float* taps = tbuf.get(static_cast<size_t>(16 * K + kLanes));
    for (int64_t c = c0; c < c1; ++c) {
      for (int64_t rho = 0; rho < 4; ++rho)
        for (int64_t k = 0; k < K; k += kLanes) {
          const int n = static_cast<int>(std::min<int64_t>(kLanes, K - k));
          VecF m[9];
          for (int xi = 0; xi < 9; ++xi) m[xi] = vload_n(G + xi * C * K4 + c * K4 + rho * K + k, n);
          VecF o[4];
          at_m_a(m, o);
          for (int e = 0; e < 4; ++e)  // tap (2*(e/2) + rho_h, 2*(e%2) + rho_w)
            vstore_n(taps + ((2 * (e / 2) + rho / 2) * 4 + 2 * (e % 2) + rho % 2) * K + k, o[e], n);
        }
      transpose(dw + c * K * 16, taps, 16, K);
    }
  });
}

}  // namespace NNE_ISA_NS
}  // namespace nne
