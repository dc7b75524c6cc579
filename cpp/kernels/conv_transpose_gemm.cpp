// Strided transposed convolutions as wide GEMMs (compiled once per ISA). See conv_transpose_gemm.h.
#include "kernels/conv_transpose_gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/buffer.h"
#include "core/cpuinfo.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/conv_transpose_gemm_blocks.h"
#include "kernels/gemm.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

using ctgemm::Blocks;
using ctgemm::blocks_of;
using ctgemm::block_copy;
using ctgemm::for_blocks;

// col (KRS, L) of the block's images [n0, n0 + ni), rows [h0, h1), for group gr (see the header); threads
// over (k, r). Each row of dy is copied once into a zero margin and split into its sw column phases; tap t
// then reads W contiguous floats of one phase (the margin supplies the zeros of the padding).
void dy_im2col(float* col, const float* dy, const ConvTranspose2dShape& s, const Blocks& bl, int64_t n0, int64_t ni,
               int64_t h0, int64_t h1, int64_t gr) {
  const int64_t rows = h1 - h0, L = ni * rows * s.W, PQ = s.P * s.Q, sw = s.stride_w;
  const int64_t M = (s.pad_w + sw - 1) / sw * sw;  // left margin, a multiple of sw
  const int64_t span = std::max(M + s.Q, M + (s.W - 1) * sw + (s.S - 1) * s.dil_w - s.pad_w + 1);
  const int64_t nb = (span + sw - 1) / sw;  // floats per phase
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, s.S * L));
  parallel_for(0, bl.Kg * s.R, grain, [&](int64_t j0, int64_t j1) {
    static thread_local ScratchBuf rowbuf, phbuf;
    float* rb = rowbuf.get(static_cast<size_t>(nb * sw));
    float* ph = phbuf.get(static_cast<size_t>(nb * sw));
    std::fill(rb, rb + nb * sw, 0.f);  // only [M, M + Q) is ever overwritten
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t k = j / s.R, r = j % s.R;
      float* d0 = col + j * s.S * L;  // rows (k, r, t), t = 0 .. S-1
      for (int64_t i = 0; i < ni; ++i) {
        const float* plane = dy + ((n0 + i) * s.K + gr * bl.Kg + k) * PQ;
        for (int64_t h = h0; h < h1; ++h) {
          const int64_t off = (i * rows + h - h0) * s.W, ih = h * s.stride_h - s.pad_h + r * s.dil_h;
          if (ih < 0 || ih >= s.P) {
            for (int64_t t = 0; t < s.S; ++t) std::memset(d0 + t * L + off, 0, sizeof(float) * s.W);
            continue;
          }
          std::memcpy(rb + M, plane + ih * s.Q, sizeof(float) * s.Q);
          if (sw == 2) {  // constant stride: the compiler deinterleaves vectors
            for (int64_t q = 0; q < nb; ++q) ph[q] = rb[2 * q], ph[nb + q] = rb[2 * q + 1];
          } else {
            for (int64_t m = 0; m < sw; ++m)
              for (int64_t q = 0; q < nb; ++q) ph[m * nb + q] = rb[q * sw + m];
          }
          for (int64_t t = 0; t < s.S; ++t) {
            const int64_t e = M + t * s.dil_w - s.pad_w;  // >= 0: input column q*sw + e - M
            const float* src = ph + (e % sw) * nb + e / sw;
            float* d = d0 + t * L + off;
            for (int64_t q = 0; q < s.W; ++q) d[q] = src[q];
          }
        }
      }
    }
  });
}


// The taps reaching output row p (rows[p] .. rows[p + 1] of `tap`: (r, h)) and output columns q = qph + j*sw of
// each column phase (cols[qph] ..: (t, w0, jlo, jhi): column j reads input column w0 + j for j in [jlo, jhi)).
struct TapTables {
  std::vector<int64_t> rows, rtap, cols, ctap;
};

TapTables tap_tables(const ConvTranspose2dShape& s) {
  TapTables tt;
  const int64_t sw = s.stride_w;
  tt.rows.push_back(0);
  for (int64_t p = 0; p < s.P; ++p) {
    for (int64_t r = 0; r < s.R; ++r) {
      const int64_t nh = p + s.pad_h - r * s.dil_h;
      if (nh < 0 || nh % s.stride_h != 0 || nh / s.stride_h >= s.H) continue;
      tt.rtap.push_back(r), tt.rtap.push_back(nh / s.stride_h);
    }
    tt.rows.push_back(static_cast<int64_t>(tt.rtap.size()) / 2);
  }
  tt.cols.push_back(0);
  for (int64_t qph = 0; qph < sw; ++qph) {
    const int64_t nb = qph < s.Q ? (s.Q - qph + sw - 1) / sw : 0;
    for (int64_t t = 0; t < s.S; ++t) {
      const int64_t nw = qph + s.pad_w - t * s.dil_w;  // input column nw / sw + j for output column qph + j*sw
      if (((nw % sw) + sw) % sw != 0) continue;
      const int64_t w0 = nw / sw, jlo = std::max<int64_t>(0, -w0), jhi = std::min(nb, s.W - w0);
      if (jhi <= jlo) continue;
      for (int64_t v : {t, w0, jlo, jhi}) tt.ctap.push_back(v);
    }
    tt.cols.push_back(static_cast<int64_t>(tt.ctap.size()) / 4);
  }
  return tt;
}

// y of images [n0, n0 + ni), group gr, from out (KRS, L) = w_g^T @ x block: each output element is its bias
// plus the taps that reach it, r then t in increasing order, summed once (no scatter-add): a row of y is built
// one column phase (q mod sw) at a time in a small buffer, then interleaved. Threads over output planes, images
// inner so that each tap's row of out streams in order.
void col2im_rows(float* y, const float* out, const float* b, const ConvTranspose2dShape& s, const Blocks& bl,
                 const TapTables& tt, int64_t n0, int64_t ni, int64_t gr, int64_t k0, int64_t k1) {
  const int64_t L = ni * bl.HW, PQ = s.P * s.Q, sw = s.stride_w, nbmax = (s.Q + sw - 1) / sw;
  parallel_for(0, ni * (k1 - k0), std::max<int64_t>(1, (int64_t{1} << 13) / std::max<int64_t>(1, PQ)), [&](int64_t j0, int64_t j1) {
    // Everything the loops read, in locals: the vector stores may alias any memory, so fields read through
    // references would be reloaded after every store.
    const int64_t *rows = tt.rows.data(), *rtap = tt.rtap.data(), *cols = tt.cols.data(), *ctap = tt.ctap.data();
    const int64_t P = s.P, Q = s.Q, W = s.W, SL = s.S * L, RSL = s.R * SL, HW = bl.HW, nt = sw * nbmax + kLanes;
    static thread_local ScratchBuf tbuf;
    float* tmp = tbuf.get(static_cast<size_t>(nt));
#if defined(__AVX512F__)
    // Stride 2 with rows of up to 16 input columns: each column phase of an output row is one register, its
    // taps added under the mask of the columns they reach (the same sums in the same order as the general
    // path below), then the two phases interleaved by two permutes into the row.
    if (sw == 2 && nbmax <= 16) {
      const int64_t ncol = cols[2];
      __mmask16 cmask[64];
      if (ncol <= 64) {
        for (int64_t c = 0; c < ncol; ++c)
          cmask[c] = static_cast<__mmask16>(((1u << ctap[4 * c + 3]) - 1) & ~((1u << ctap[4 * c + 2]) - 1));
        const __m512i ilo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const __m512i ihi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        const __mmask16 m1 = static_cast<__mmask16>(Q >= 16 ? 0xFFFF : (1u << Q) - 1);
        const __mmask16 m2 = static_cast<__mmask16>(Q > 16 ? (1u << (Q - 16)) - 1 : 0);
        for (int64_t j = j0; j < j1; ++j) {
          const int64_t k = k0 + j / ni, i = j % ni;
          float* yk = y + ((n0 + i) * s.K + gr * bl.Kg + k) * PQ;
          const float* ok = out + (k - k0) * RSL + i * HW;
          const __m512 bias = _mm512_set1_ps(b ? b[gr * bl.Kg + k] : 0.f);
          for (int64_t p = 0; p < P; ++p) {
            __m512 acc[2] = {bias, bias};
            for (int64_t a = rows[p]; a < rows[p + 1]; ++a) {
              const float* orow = ok + rtap[2 * a] * SL + rtap[2 * a + 1] * W;
              for (int64_t qph = 0; qph < 2; ++qph)
                for (int64_t c = cols[qph]; c < cols[qph + 1]; ++c) {
                  const int64_t* ct = ctap + 4 * c;
                  acc[qph] = _mm512_mask_add_ps(acc[qph], cmask[c], acc[qph],
                                                _mm512_maskz_loadu_ps(cmask[c], orow + ct[0] * L + ct[1]));
                }
            }
            float* yr = yk + p * Q;
            _mm512_mask_storeu_ps(yr, m1, _mm512_permutex2var_ps(acc[0], ilo, acc[1]));
            if (m2) _mm512_mask_storeu_ps(yr + 16, m2, _mm512_permutex2var_ps(acc[0], ihi, acc[1]));
          }
        }
        return;
      }
    }
#endif
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t k = k0 + j / ni, i = j % ni;  // images inner: the taps' rows of out are read in order
      float* yk = y + ((n0 + i) * s.K + gr * bl.Kg + k) * PQ;
      const float* ok = out + (k - k0) * RSL + i * HW;
      const float bias = b ? b[gr * bl.Kg + k] : 0.f;
      for (int64_t p = 0; p < P; ++p) {
        std::fill(tmp, tmp + nt, bias);
        for (int64_t a = rows[p]; a < rows[p + 1]; ++a) {
          const float* orow = ok + rtap[2 * a] * SL + rtap[2 * a + 1] * W;
          for (int64_t qph = 0; qph < sw; ++qph) {
            float* t0 = tmp + qph * nbmax;
            for (int64_t c = cols[qph]; c < cols[qph + 1]; ++c) {
              const int64_t* ct = ctap + 4 * c;
              const float* src = orow + ct[0] * L + ct[1];
              const int64_t hi = ct[3];
              int64_t q = ct[2];
              for (; q + kLanes <= hi; q += kLanes) vstore(t0 + q, vadd(vload(t0 + q), vload(src + q)));
              // the tail adds zeros past hi (into the next phase or the slack): x + 0 leaves x as it is
              if (q < hi) vstore(t0 + q, vadd(vload(t0 + q), vload_n(src + q, static_cast<int>(hi - q))));
            }
          }
        }
        float* yr = yk + p * Q;
        if (sw == 2) {
          const float *e = tmp, *o = tmp + nbmax;
          for (int64_t q = 0; q < Q / 2; ++q) yr[2 * q] = e[q], yr[2 * q + 1] = o[q];
          if (Q % 2) yr[Q - 1] = e[Q / 2];
        } else {
          for (int64_t q = 0; q < Q; ++q) yr[q] = tmp[(q % sw) * nbmax + q / sw];
        }
      }
    }
  });
}


}  // namespace

bool conv_transpose2d_gemm_forward_ok(const ConvTranspose2dShape& s) {
  return (s.stride_h > 1 || s.stride_w > 1) && blocks_of(s).hb == s.H;
}

void conv_transpose2d_gemm_forward(float* y, const float* x, const float* w, const float* b,
                                   const ConvTranspose2dShape& s) {
  const Blocks bl = blocks_of(s);
  // Output channels per GEMM: their rows of out (kch*R*S, L) about an eighth of L3 (at least L2), so col2im
  // reads them from cache right after the GEMM wrote them.
  const CacheInfo ci = cache_info();
  const int64_t chunk_floats = std::max(ci.l2, ci.l3 / 8) / static_cast<int64_t>(sizeof(float));
  const int64_t kch = std::clamp<int64_t>(chunk_floats / std::max<int64_t>(1, s.R * s.S * bl.ipb * bl.HW), 1, bl.Kg);
  static thread_local ScratchBuf outbuf, xbuf;
  float* out = outbuf.get(static_cast<size_t>(kch * s.R * s.S * bl.ipb * bl.HW));
  float* xb = xbuf.get(static_cast<size_t>(bl.ipb > 1 ? bl.Cg * bl.ipb * bl.HW : 1));
  const TapTables tt = tap_tables(s);
  for_blocks(s, bl, [&](int64_t n0, int64_t ni, int64_t, int64_t) {
    const int64_t L = ni * bl.HW;
    for (int64_t gr = 0; gr < s.groups; ++gr) {
      GemmArgs a;  // out (kch*R*S, L) = rows [k0*R*S, k1*R*S) of w_g^T (KRS, Cg) @ x_g (Cg, L)
      a.trans_a = true;
      a.N = L, a.K = bl.Cg;
      a.lda = bl.KRS;
      if (ni == 1) {
        a.B = x + (n0 * s.C + gr * bl.Cg) * bl.HW, a.ldb = bl.HW;
      } else {
        block_copy<false>(xb, x, s, bl, n0, ni, gr);
        a.B = xb, a.ldb = L;
      }
      a.C = out, a.ldc = L;
      for (int64_t k0 = 0; k0 < bl.Kg; k0 += kch) {
        const int64_t k1 = std::min(bl.Kg, k0 + kch);
        a.M = (k1 - k0) * s.R * s.S;
        a.A = w + gr * bl.Cg * bl.KRS + k0 * s.R * s.S;
        a.bf16 = s.bf16;

        sgemm(a);
        col2im_rows(y, out, b, s, bl, tt, n0, ni, gr, k0, k1);
      }
    }
  });
}

bool conv_transpose2d_gemm_ok(const ConvTranspose2dShape& s) { return s.stride_h > 1 || s.stride_w > 1; }

void conv_transpose2d_gemm_backward(float* dx, float* dw, const float* dy, const float* x, const float* w,
                                    const ConvTranspose2dShape& s) {
  const Blocks bl = blocks_of(s, true);
  if (s.N * s.H * s.W == 0) {
    if (dw) std::memset(dw, 0, sizeof(float) * s.C * bl.KRS);
    return;
  }
  // The column matrix, built once per block for both GEMMs, or the packed path (backward_packed): the packed
  // path builds the columns twice (once per GEMM) but packs the weights once per ~4096 positions instead of once
  // per block, a win when a group's weights (Cg x KRS) outweigh the block's columns (KRS x L). A choice by shape
  // alone: dw's sums (blocks of positions) are the same whichever gradients a call asks for.
  if (!s.bf16 && bl.Cg >= bl.ipb * bl.hb * s.W) return ctgemm::backward_packed(dx, dw, dy, x, w, s);
  static thread_local ScratchBuf colbuf, tbuf;
  float* col = colbuf.get(static_cast<size_t>(bl.KRS * bl.ipb * bl.hb * s.W));
  float* tmp = tbuf.get(static_cast<size_t>(bl.ipb > 1 ? bl.Cg * bl.ipb * bl.HW : 1));
  for_blocks(s, bl, [&](int64_t n0, int64_t ni, int64_t h0, int64_t h1) {
    const int64_t L = ni * (h1 - h0) * s.W;
    for (int64_t gr = 0; gr < s.groups; ++gr) {
      dy_im2col(col, dy, s, bl, n0, ni, h0, h1, gr);
      // The block's (Cg, L) slice of dx or x: in place for one image (row stride H*W), else through tmp.
      const int64_t at = (n0 * s.C + gr * bl.Cg) * bl.HW + h0 * s.W, ld = ni == 1 ? bl.HW : L;
      if (dx) {
        GemmArgs a;  // dx_g (Cg, L) = w_g (Cg, KRS) @ col (KRS, L)
        a.M = bl.Cg, a.N = L, a.K = bl.KRS;
        a.A = w + gr * bl.Cg * bl.KRS, a.lda = bl.KRS;
        a.B = col, a.ldb = L;
        a.C = ni == 1 ? dx + at : tmp, a.ldc = ld;
        a.bf16 = s.bf16;

        sgemm(a);
        if (ni > 1) block_copy<true>(dx, tmp, s, bl, n0, ni, gr);
      }
      if (dw) {
        if (ni > 1) block_copy<false>(tmp, x, s, bl, n0, ni, gr);
        GemmArgs a;  // dw_g (Cg, KRS) (+)= x_g (Cg, L) @ col^T (L, KRS), blocks in order
        a.trans_b = true;
        a.M = bl.Cg, a.N = bl.KRS, a.K = L;
        a.A = ni == 1 ? x + at : tmp, a.lda = ld;
        a.B = col, a.ldb = L;
        a.C = dw + gr * bl.Cg * bl.KRS, a.ldc = bl.KRS;
        a.beta = n0 == 0 && h0 == 0 ? 0.f : 1.f;
        a.bf16 = s.bf16;

        sgemm(a);
      }
    }
  });
}

}  // namespace NNE_ISA_NS
}  // namespace nne
