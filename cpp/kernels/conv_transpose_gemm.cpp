// Strided transposed convolutions as wide GEMMs (compiled once per ISA). See conv_transpose_gemm.h.
#include "kernels/conv_transpose_gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/buffer.h"
#include "core/cpuinfo.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/gemm.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// A run of blocks over the input positions: ipb whole images per block, or (ipb = 1) hb rows of one image.
struct Blocks {
  int64_t Cg, Kg, KRS, HW;
  int64_t ipb, hb;
};

// backward: the blocks of the column matrix of dy, which two GEMMs read (and pack) after dy_im2col wrote it:
// about the per-core L2 of it (core/cpuinfo.h), 256-1024 columns.
Blocks blocks_of(const ConvTranspose2dShape& s, bool backward = false) {
  Blocks b;
  b.Cg = s.C / s.groups, b.Kg = s.K / s.groups, b.KRS = b.Kg * s.R * s.S, b.HW = s.H * s.W;
  // Forward: ~1024 columns (at most 16 MiB of column matrix, at least 256 columns): wide GEMMs, weights
  // packed once per block.
  const int64_t most = backward ? cache_info().l2 / static_cast<int64_t>(sizeof(float)) : int64_t{1} << 22;
  const int64_t target = std::min<int64_t>(1024, std::max<int64_t>(256, most / std::max<int64_t>(1, b.KRS)));
  if (b.HW <= target) {
    b.ipb = std::max<int64_t>(1, std::min(s.N, target / std::max<int64_t>(1, b.HW)));
    b.hb = s.H;
  } else {
    b.ipb = 1;
    b.hb = std::max<int64_t>(1, std::min(s.H, target / std::max<int64_t>(1, s.W)));
  }
  return b;
}

// Calls fn(n0, ni, h0, h1) for every block in order.
template <class F>
void for_blocks(const ConvTranspose2dShape& s, const Blocks& bl, const F& fn) {
  for (int64_t n0 = 0; n0 < s.N; n0 += bl.ipb)
    for (int64_t h0 = 0; h0 < s.H; h0 += bl.hb) fn(n0, std::min(bl.ipb, s.N - n0), h0, std::min(s.H, h0 + bl.hb));
}

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

// Row c of a (Cg, L) block matrix <-> channel gr*Cg + c of the block's whole images in a (N, C, H, W) tensor:
// dst is the tensor if kToTensor, else the matrix.
template <bool kToTensor>
void block_copy(float* dst, const float* src, const ConvTranspose2dShape& s, const Blocks& bl, int64_t n0, int64_t ni,
                int64_t gr) {
  const int64_t L = ni * bl.HW;
  parallel_for(0, bl.Cg, std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, L)), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t i = 0; i < ni; ++i) {
        const int64_t toff = ((n0 + i) * s.C + gr * bl.Cg + c) * bl.HW, moff = c * L + i * bl.HW;
        std::memcpy(dst + (kToTensor ? toff : moff), src + (kToTensor ? moff : toff), sizeof(float) * bl.HW);
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
  if (!s.bf16 && bl.Cg >= bl.ipb * bl.hb * s.W) return backward_packed(dx, dw, dy, x, w, s);
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
