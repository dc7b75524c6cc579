// The float32 backward of strided transposed convolutions with op(B) packed straight from dy into the GEMMs'
// panels (compiled once per ISA). See conv_transpose_gemm.h.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/buffer.h"
#include "core/simd.h"
#include "kernels/conv_transpose_gemm_blocks.h"
#include "kernels/gemm.h"

namespace nne {
namespace NNE_ISA_NS {
namespace ctgemm {
namespace {

// ---- Backward with the column matrix packed straight into the GEMM's panels (float32) ----
// The block's positions l = (i*H + h)*W + w (whole images [n0, n0 + ni)), its col rows j = (k*R + r)*S + t.
struct PackCtx {
  const ConvTranspose2dShape* s;
  const float* dy;
  int64_t n0, gr, Kg;
};

// Zero the lanes past nc of the last of the panels of nc columns (kc rows each).
void zero_ragged(float* dst, int64_t kc, int64_t nc, int64_t nr) {
  const int64_t used = nc % nr;
  if (used == 0) return;
  float* last = dst + nc / nr * kc * nr;
  for (int64_t k = 0; k < kc; ++k) std::fill(last + k * nr + used, last + (k + 1) * nr, 0.f);
}

// The image rows that positions [l0, l0 + n) of a block cross: image offset in dy (i*K*P*Q), row h, columns
// [wa, wb), and the pieces of [wa, wb) that lie in one panel of nr (for pack_col): built once per call, so the
// loops over taps divide nothing.
struct RowSpan {
  int64_t img, h, wa, wb, l;  // l: position of column wa, from l0
  int64_t sg0, sg1;           // pieces [sg0, sg1) of `segs`
};
struct Seg {
  int64_t w, n, off;  // columns [w, w + n): panel lanes at off (+ tap row * nr)
};

void row_spans(std::vector<RowSpan>& rs, std::vector<Seg>* segs, const ConvTranspose2dShape& s, int64_t l0,
               int64_t n, int64_t kc, int64_t nr) {
  rs.clear();
  if (segs) segs->clear();
  const int64_t W = s.W;
  int64_t row = l0 / W, i = row / s.H, h = row % s.H;
  for (; row * W < l0 + n; ++row) {
    RowSpan r{i * s.K * s.P * s.Q, h, std::max<int64_t>(0, l0 - row * W), std::min(W, l0 + n - row * W), 0, 0, 0};
    r.l = row * W + r.wa - l0;
    if (segs) {
      r.sg0 = static_cast<int64_t>(segs->size());
      for (int64_t w = r.wa; w < r.wb;) {
        const int64_t l = row * W + w - l0, lane = l % nr, m = std::min(r.wb - w, nr - lane);
        segs->push_back({w, m, l / nr * kc * nr + lane});
        w += m;
      }
      r.sg1 = static_cast<int64_t>(segs->size());
    }
    rs.push_back(r);
    if (++h == s.H) h = 0, ++i;
  }
}

// The packers read each row of dy once per GEMM block, from L3 or memory: the row that (k, r) pair kr reads for
// image row rs[ri + kAhead] (or the next pair's first rows) is prefetched while row rs[ri] is copied.
constexpr int64_t kAhead = 4;
inline void prefetch_dy(const PackCtx& c, const std::vector<RowSpan>& rs, int64_t kr, int64_t ri) {
  const ConvTranspose2dShape& s = *c.s;
  const int64_t nrow = static_cast<int64_t>(rs.size());
  ri += kAhead;
  if (ri >= nrow) ri -= nrow, ++kr;
  if (ri >= nrow || kr >= c.Kg * s.R) return;
  const int64_t k = kr / s.R, r = kr % s.R, ih = rs[ri].h * s.stride_h - s.pad_h + r * s.dil_h;
  if (ih < 0 || ih >= s.P) return;
  const float* row = c.dy + (c.n0 * s.K + c.gr * c.Kg + k) * s.P * s.Q + rs[ri].img + ih * s.Q;
  for (int64_t q = 0; q < s.Q; q += 64 / static_cast<int64_t>(sizeof(float))) __builtin_prefetch(row + q, 0, 3);
  __builtin_prefetch(row + s.Q - 1, 0, 3);
}

// dx's op(B) = col (KRS, L), rows [j0, j0 + kc) x positions [l0, l0 + nc), into panels of nr positions (see
// GemmArgs::pack_b). Per (k, r) and image row, the row of dy is copied into a zero margin and split into its
// sw column phases once; tap t then reads a contiguous run of one phase (as dy_im2col above). Runs are copied
// a vector at a time while the vector stays inside its panel: the lanes past a run belong to positions of the
// next image rows, written later (the ragged lanes past nc are zeroed last).
void pack_col(const void* ctx, int64_t j0, int64_t kc, int64_t l0, int64_t nc, int64_t nr, float* dst) {
  const PackCtx& c = *static_cast<const PackCtx*>(ctx);
  const ConvTranspose2dShape& s = *c.s;
  const int64_t W = s.W, Q = s.Q, S = s.S, sw = s.stride_w, PQ = s.P * s.Q;
  const int64_t M = (s.pad_w + sw - 1) / sw * sw;  // left margin, a multiple of sw
  const int64_t span = std::max(M + Q, M + (W - 1) * sw + (S - 1) * s.dil_w - s.pad_w + 1);
  const int64_t nb = (span + sw - 1) / sw;  // floats per phase
  static thread_local ScratchBuf rowbuf, phbuf;
  static thread_local std::vector<RowSpan> rs;
  static thread_local std::vector<Seg> segs;
  float* rb = rowbuf.get(static_cast<size_t>(nb * sw));
  float* ph = phbuf.get(static_cast<size_t>(nb * sw + kLanes));  // + the lanes a vector reads past a run
  std::fill(rb, rb + nb * sw, 0.f);  // only [M, M + Q) is ever overwritten
  std::fill(ph + nb * sw, ph + nb * sw + kLanes, 0.f);
  row_spans(rs, &segs, s, l0, nc, kc, nr);
  const Seg* sg = segs.data();
  const VecF zero = vzero();
  for (int64_t kr = j0 / S; kr * S < j0 + kc; ++kr) {
    const int64_t k = kr / s.R, r = kr % s.R;
    const int64_t ta = std::max<int64_t>(0, j0 - kr * S), tb = std::min(S, j0 + kc - kr * S);
    const float* plane0 = c.dy + (c.n0 * s.K + c.gr * c.Kg + k) * PQ;
#if defined(__AVX512F__)
    // Stride 2: tap t's run is dy[2w + t*dil_w - pad_w] (0 outside the row), 16 columns at a time: two masked
    // loads (never touching memory outside the row) and one permute that keeps the even lanes.
    if (sw == 2) {
      const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
      const auto range = [](int64_t a, int64_t z) {  // lanes [a, z) of 16
        a = std::clamp<int64_t>(a, 0, 16), z = std::clamp<int64_t>(z, 0, 16);
        return static_cast<__mmask16>(a < z ? ((1u << z) - 1) & ~((1u << a) - 1) : 0u);
      };
      for (size_t ri = 0; ri < rs.size(); ++ri) {
        const RowSpan& rw = rs[ri];
        prefetch_dy(c, rs, kr, static_cast<int64_t>(ri));
        const int64_t ih = rw.h * s.stride_h - s.pad_h + r * s.dil_h;
        const bool inside = ih >= 0 && ih < s.P;
        const float* row = plane0 + rw.img + ih * Q;
        for (int64_t t = ta; t < tb; ++t) {
          const int64_t o = t * s.dil_w - s.pad_w;
          float* drow = dst + (kr * S + t - j0) * nr;
          for (int64_t g = rw.sg0; g < rw.sg1; ++g) {
            const int64_t n = sg[g].n, lane = sg[g].off % nr;
            for (int64_t q = 0; q < n; q += 16) {
              __m512 v = zero;
              if (inside) {
                const int64_t b = 2 * (sg[g].w + q) + o;  // dy column of output lane 0
                const __m512 lo = _mm512_maskz_loadu_ps(range(-b, Q - b), row + b);
                const __m512 hi = n - q > 8 ? _mm512_maskz_loadu_ps(range(-b - 16, Q - b - 16), row + b + 16) : zero;
                v = _mm512_permutex2var_ps(lo, even, hi);
              }
              float* d = drow + sg[g].off + q;
              if (lane + q + 16 <= nr)  // lanes past the run: later positions of this panel row, written later
                _mm512_storeu_ps(d, v);
              else
                _mm512_mask_storeu_ps(d, range(0, n - q), v);
            }
          }
        }
      }
      continue;
    }
#endif
    for (size_t ri = 0; ri < rs.size(); ++ri) {
      const RowSpan& rw = rs[ri];
      prefetch_dy(c, rs, kr, static_cast<int64_t>(ri));
      const int64_t ih = rw.h * s.stride_h - s.pad_h + r * s.dil_h;
      const bool inside = ih >= 0 && ih < s.P;
      if (inside) {
        std::memcpy(rb + M, plane0 + rw.img + ih * Q, sizeof(float) * Q);
        if (sw == 2) {  // constant stride: the compiler deinterleaves vectors
          for (int64_t q = 0; q < nb; ++q) ph[q] = rb[2 * q], ph[nb + q] = rb[2 * q + 1];
        } else {
          for (int64_t m = 0; m < sw; ++m)
            for (int64_t q = 0; q < nb; ++q) ph[m * nb + q] = rb[q * sw + m];
        }
      }
      for (int64_t t = ta; t < tb; ++t) {
        const int64_t e = M + t * s.dil_w - s.pad_w;  // >= 0: input column q*sw + e - M
        const float* src = ph + (e % sw) * nb + e / sw;
        float* drow = dst + (kr * S + t - j0) * nr;
        for (int64_t g = rw.sg0; g < rw.sg1; ++g) {
          float* d = drow + sg[g].off;
          const float* sv = src + sg[g].w;
          const int64_t n = sg[g].n, room = nr - sg[g].off % nr;  // lanes left in the panel row
          int64_t q = 0;
          for (; q < n && q + kLanes <= room; q += kLanes) vstore(d + q, inside ? vload(sv + q) : zero);
          for (; q < n; ++q) d[q] = inside ? sv[q] : 0.f;
        }
      }
    }
  }
  zero_ragged(dst, kc, nc, nr);
}

// dw's op(B) = col^T (L, KRS), positions [l0, l0 + kc) x rows [j0, j0 + nc), into panels of nr col rows (see
// GemmArgs::pack_b): for each position, the taps t of one (k, r) are a run of dy's row (contiguous when
// dil_w == 1), copied as one piece where the whole run lies inside dy and in one panel. (k, r) by (k, r), each
// streaming its rows of dy in order (measured on Zen 4: faster than position by position, all pairs of a panel
// at once).
void pack_col_t(const void* ctx, int64_t l0, int64_t kc, int64_t j0, int64_t nc, int64_t nr, float* dst) {
  const PackCtx& c = *static_cast<const PackCtx*>(ctx);
  const ConvTranspose2dShape& s = *c.s;
  const int64_t Q = s.Q, S = s.S, sw = s.stride_w, dw = s.dil_w, PQ = s.P * s.Q;
  static thread_local std::vector<RowSpan> rs;
  static thread_local std::vector<int64_t> toff;
  row_spans(rs, nullptr, s, l0, kc, kc, nr);
  toff.resize(static_cast<size_t>(S));
  zero_ragged(dst, kc, nc, nr);
  for (int64_t kr = j0 / S; kr * S < j0 + nc; ++kr) {
    const int64_t k = kr / s.R, r = kr % s.R;
    const int64_t ta = std::max<int64_t>(0, j0 - kr * S), tb = std::min(S, j0 + nc - kr * S), n = tb - ta;
    for (int64_t t = ta; t < tb; ++t) {  // tap t of position l at dst[toff[t] + l*nr]
      const int64_t j = kr * S + t - j0;
      toff[t] = j / nr * kc * nr + j % nr;
    }
    const int64_t* to = toff.data();
    const bool run = dw == 1 && to[tb - 1] - to[ta] == n - 1;  // the taps: one piece of one panel row
    // Columns w whose taps [ta, tb) all lie inside dy's row: w*sw - pad_w + ta*dw >= 0 and
    // w*sw - pad_w + (tb - 1)*dw < Q.
    const int64_t lo_num = s.pad_w - ta * dw, hi_num = Q - 1 + s.pad_w - (tb - 1) * dw;
    const int64_t wlo = lo_num <= 0 ? 0 : (lo_num + sw - 1) / sw, whi = hi_num < 0 ? 0 : hi_num / sw + 1;
    const float* plane0 = c.dy + (c.n0 * s.K + c.gr * c.Kg + k) * PQ;
    for (size_t ri = 0; ri < rs.size(); ++ri) {
      const RowSpan& rw = rs[ri];
      prefetch_dy(c, rs, kr, static_cast<int64_t>(ri));
      const int64_t ih = rw.h * s.stride_h - s.pad_h + r * s.dil_h;
      float* d0 = dst + (rw.l - rw.wa) * nr;  // + w*nr + toff[t]
      if (ih < 0 || ih >= s.P) {
        for (int64_t w = rw.wa; w < rw.wb; ++w)
          for (int64_t t = ta; t < tb; ++t) d0[w * nr + to[t]] = 0.f;
        continue;
      }
      const float* srow = plane0 + rw.img + ih * Q - s.pad_w;  // + w*sw + t*dw
      const int64_t ia = std::clamp(wlo, rw.wa, rw.wb), ib = std::clamp(whi, ia, rw.wb);
      const auto edge = [&](int64_t w) {
        for (int64_t t = ta; t < tb; ++t) {
          const int64_t iw = w * sw - s.pad_w + t * dw;
          d0[w * nr + to[t]] = iw >= 0 && iw < Q ? srow[w * sw + t * dw] : 0.f;
        }
      };
      for (int64_t w = rw.wa; w < ia; ++w) edge(w);
      if (run && n == 4) {
        for (int64_t w = ia; w < ib; ++w) std::memcpy(d0 + w * nr + to[ta], srow + w * sw + ta, 4 * sizeof(float));
      } else if (run) {
        for (int64_t w = ia; w < ib; ++w)
          std::memcpy(d0 + w * nr + to[ta], srow + w * sw + ta, static_cast<size_t>(n) * sizeof(float));
      } else {
        for (int64_t w = ia; w < ib; ++w)
          for (int64_t t = ta; t < tb; ++t) d0[w * nr + to[t]] = srow[w * sw + t * dw];
      }
      for (int64_t w = ib; w < rw.wb; ++w) edge(w);
    }
  }
}

}  // namespace

// The float32 backward: per block of whole images and group, dx_g = w_g @ col (col packed by pack_col, dx through
// tmp unless the block is one image) and dw_g (+)= x_g @ col^T (col^T packed by pack_col_t). No column matrix
// is built: the weights are packed once per block of up to ~4096 positions, and each GEMM packs only what it
// multiplies next.
void backward_packed(float* dx, float* dw, const float* dy, const float* x, const float* w,
                     const ConvTranspose2dShape& s) {
  const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups, KRS = Kg * s.R * s.S, HW = s.H * s.W;
  // Images per block: about 4096 positions, the (Cg, L) block of dx or x at most 2^20 floats.
  const int64_t cols = std::min<int64_t>(4096, (int64_t{1} << 20) / std::max<int64_t>(1, Cg));
  const int64_t ipb = std::max<int64_t>(1, std::min(s.N, cols / std::max<int64_t>(1, HW)));
  Blocks bl{Cg, Kg, KRS, HW, ipb, s.H};
  static thread_local ScratchBuf tbuf;
  float* tmp = tbuf.get(static_cast<size_t>(ipb > 1 ? Cg * ipb * HW : 1));
  for (int64_t n0 = 0; n0 < s.N; n0 += ipb) {
    const int64_t ni = std::min(ipb, s.N - n0), L = ni * HW;
    for (int64_t gr = 0; gr < s.groups; ++gr) {
      const PackCtx ctx{&s, dy, n0, gr, Kg};
      // The block's (Cg, L) slice of dx or x: in place for one image, else through tmp.
      const int64_t at = (n0 * s.C + gr * Cg) * HW;
      if (dx) {
        GemmArgs a;  // dx_g (Cg, L) = w_g (Cg, KRS) @ col (KRS, L)
        a.M = Cg, a.N = L, a.K = KRS;
        a.A = w + gr * Cg * KRS, a.lda = KRS;
        a.pack_b = pack_col, a.pack_b_ctx = &ctx;
        a.C = ni == 1 ? dx + at : tmp, a.ldc = ni == 1 ? HW : L;
        sgemm(a);
        if (ni > 1) block_copy<true>(dx, tmp, s, bl, n0, ni, gr);
      }
      if (dw) {
        if (ni > 1) block_copy<false>(tmp, x, s, bl, n0, ni, gr);
        GemmArgs a;  // dw_g (Cg, KRS) (+)= x_g (Cg, L) @ col^T (L, KRS), blocks in order
        a.trans_b = true;  // packing transposes (for the thread split)
        a.M = Cg, a.N = KRS, a.K = L;
        a.A = ni == 1 ? x + at : tmp, a.lda = ni == 1 ? HW : L;
        a.pack_b = pack_col_t, a.pack_b_ctx = &ctx;
        a.C = dw + gr * Cg * KRS, a.ldc = KRS;
        a.beta = n0 == 0 ? 0.f : 1.f;
        sgemm(a);
      }
    }
  }
}

}  // namespace ctgemm
}  // namespace NNE_ISA_NS
}  // namespace nne
