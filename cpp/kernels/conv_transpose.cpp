// conv_transpose2d kernels (compiled once per ISA): the conv2d kernels of the same ISA run as adjoints.
// See conv_transpose.h for the contract.
#include "kernels/conv_transpose.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/buffer.h"
#include "core/kernel_status.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/bias_grad.h"
#include "kernels/conv_transpose_gemm.h"
#include "kernels/conv_transpose_winograd.h"
#include "kernels/gemm.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// dst (NC, Hd, Wd) = src (NC, H, W) in the top-left corner of each plane, zeros elsewhere (Hd >= H, Wd >= W).
void embed(float* dst, int64_t Hd, int64_t Wd, const float* src, int64_t NC, int64_t H, int64_t W) {
  parallel_for(0, NC, plane_grain(Hd * Wd), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float* d = dst + i * Hd * Wd;
      std::memset(d, 0, sizeof(float) * Hd * Wd);
      for (int64_t h = 0; h < H; ++h) std::memcpy(d + h * Wd, src + (i * H + h) * W, sizeof(float) * W);
    }
  });
}

// dst (NC, H, W) = the top-left corner of each plane of src (NC, Hs, Ws).
void crop(float* dst, int64_t H, int64_t W, const float* src, int64_t NC, int64_t Hs, int64_t Ws) {
  parallel_for(0, NC, plane_grain(H * W), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i)
      for (int64_t h = 0; h < H; ++h) std::memcpy(dst + (i * H + h) * W, src + (i * Hs + h) * Ws, sizeof(float) * W);
  });
}

// y[n][k][j] += b[k] for every plane j of the (N, K, PQ) tensor.
void add_bias(float* y, const float* b, int64_t N, int64_t K, int64_t PQ) {
  parallel_for(0, N * K, plane_grain(PQ), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float* p = y + i * PQ;
      const float bk = b[i % K];
      const VecF bv = vset1(bk);
      int64_t j = 0;
      for (; j + kLanes <= PQ; j += kLanes) vstore(p + j, vadd(vload(p + j), bv));
      for (; j < PQ; ++j) p[j] += bk;
    }
  });
}

inline bool fits(const Conv2dShape& c, const ConvTranspose2dShape& s) { return c.P == s.H && c.Q == s.W; }

// ---- 1x1 input (the first layer of a generator: a latent vector to an R x S image) ----
// With H = W = 1, no padding, output padding or dilation, y[n][k][r][t] = sum over c of x[n][c] * w[c][k][r][t]:
// per group, y_g (N, Kg*R*S) = x_g (N, Cg) @ w_g (Cg, Kg*R*S), written in place; the backward passes are the
// two other products of the same matrices. No zero is multiplied and nothing is scattered.
inline bool from_point(const ConvTranspose2dShape& s) {
  return s.H == 1 && s.W == 1 && s.pad_h == 0 && s.pad_w == 0 && s.out_pad_h == 0 && s.out_pad_w == 0 &&
         s.dil_h == 1 && s.dil_w == 1;
}

void point_forward(float* y, const float* x, const float* w, const float* b, const ConvTranspose2dShape& s) {
  const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups, RS = s.R * s.S;
  static thread_local ScratchBuf bbuf;
  float* bias = b ? bbuf.get(static_cast<size_t>(Kg * RS)) : nullptr;
  for (int64_t gr = 0; gr < s.groups; ++gr) {
    if (b)
      for (int64_t k = 0; k < Kg; ++k) std::fill(bias + k * RS, bias + (k + 1) * RS, b[gr * Kg + k]);
    GemmArgs a;
    a.M = s.N, a.N = Kg * RS, a.K = Cg;
    a.A = x + gr * Cg, a.lda = s.C;
    a.B = w + gr * Cg * Kg * RS, a.ldb = Kg * RS;
    a.C = y + gr * Kg * RS, a.ldc = s.K * RS;
    a.bias_col = bias;
    a.bf16 = s.bf16;

    sgemm(a);
  }
}

void point_backward_data(float* dx, const float* dy, const float* w, const ConvTranspose2dShape& s) {
  const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups, RS = s.R * s.S;
  for (int64_t gr = 0; gr < s.groups; ++gr) {
    GemmArgs a;  // dx_g (N, Cg) = dy_g (N, Kg*RS) @ w_g^T
    a.trans_b = true;
    a.M = s.N, a.N = Cg, a.K = Kg * RS;
    a.A = dy + gr * Kg * RS, a.lda = s.K * RS;
    a.B = w + gr * Cg * Kg * RS, a.ldb = Kg * RS;
    a.C = dx + gr * Cg, a.ldc = s.C;
    a.bf16 = s.bf16;

    sgemm(a);
  }
}

void point_backward_weights(float* dw, const float* dy, const float* x, const ConvTranspose2dShape& s) {
  const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups, RS = s.R * s.S;
  for (int64_t gr = 0; gr < s.groups; ++gr) {
    GemmArgs a;  // dw_g (Cg, Kg*RS) = x_g^T (Cg, N) @ dy_g (N, Kg*RS)
    a.trans_a = true;
    a.M = Cg, a.N = Kg * RS, a.K = s.N;
    a.A = x + gr * Cg, a.lda = s.C;
    a.B = dy + gr * Kg * RS, a.ldb = s.K * RS;
    a.C = dw + gr * Cg * Kg * RS, a.ldc = Kg * RS;
    if (s.N == 0) {
      std::memset(a.C, 0, sizeof(float) * Cg * Kg * RS);
      continue;
    }
    a.bf16 = s.bf16;

    sgemm(a);
  }
}

// ---- Sub-pixel forward (stride > 1, dilation 1) ----
// Output rows p = a*stride + ph (one phase ph per residue) only meet the taps r = r0 + j*stride,
// r0 = (ph + pad) mod stride, at input rows h = a + e - j, e = (ph + pad - r0) / stride: each phase is a
// plain stride-1 correlation of x with T = ceil((R - r0) / stride) taps (flipped), starting at input row
// a + off, off = e - (T - 1). Per (row phase, column phase) and group: im2col of the phase's taps for a block
// of images, one GEMM y_phase (Kg, L) = w_phase (Kg, Cg*Th*Tw) @ col (bias fused), and the product written to
// every stride-th output element. No zero is multiplied, no output is summed twice (no col2im), each output
// element is one GEMM chain: the same at any thread count.
struct Phase {
  int64_t r0, T, off, A;  // first tap, taps, input offset of tap 0, output positions of the phase
};

Phase phase_of(int64_t ph, int64_t stride, int64_t pad, int64_t R, int64_t P) {
  Phase f;
  f.r0 = (ph + pad) % stride;
  f.T = f.r0 < R ? (R - f.r0 + stride - 1) / stride : 0;
  f.off = (ph + pad - f.r0) / stride - (f.T - 1);
  f.A = ph < P ? (P - ph + stride - 1) / stride : 0;
  return f;
}

inline bool subpixel(const ConvTranspose2dShape& s) {
  return (s.stride_h > 1 || s.stride_w > 1) && s.dil_h == 1 && s.dil_w == 1;
}

// The rows [lo, lo + Hp) x columns [wlo, wlo + Wp) around the images that the phases' taps read.
struct Frame {
  int64_t hlo, Hp, wlo, Wp;
};

// xp[(i*Cg + c)*Hp*Wp ...] = x[i][c] embedded in the frame's zero border, for ni images of Cg channels.
void frame_copy(float* xp, const float* x, int64_t ni, int64_t cstride, int64_t Cg, const ConvTranspose2dShape& s,
                const Frame& fr) {
  std::memset(xp, 0, sizeof(float) * ni * Cg * fr.Hp * fr.Wp);
  for (int64_t i = 0; i < ni; ++i)
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t h = 0; h < s.H; ++h)
        std::memcpy(xp + ((i * Cg + c) * fr.Hp + h - fr.hlo) * fr.Wp - fr.wlo, x + i * cstride + (c * s.H + h) * s.W,
                    sizeof(float) * s.W);
}

// col[((c*Th + jh)*Tw + jw) * ld + i*Ah*Aw + a*Aw + b] = xp[i][c][a + fh.off + jh][b + fw.off + jw] (frame coords).
void phase_im2col(float* col, int64_t ld, const float* xp, int64_t ni, int64_t Cg, const Frame& fr, const Phase& fh,
                  const Phase& fw) {
  const int64_t AA = fh.A * fw.A, plane = fr.Hp * fr.Wp;
  const int64_t body = fw.A - fw.A % kLanes;
  for (int64_t c = 0; c < Cg; ++c)
    for (int64_t jh = 0; jh < fh.T; ++jh)
      for (int64_t jw = 0; jw < fw.T; ++jw) {
        float* row = col + ((c * fh.T + jh) * fw.T + jw) * ld;
        const float* src0 = xp + c * plane + (fh.off + jh - fr.hlo) * fr.Wp + fw.off + jw - fr.wlo;
        for (int64_t i = 0; i < ni; ++i)
          for (int64_t a = 0; a < fh.A; ++a) {
            float* d = row + i * AA + a * fw.A;
            const float* src = src0 + i * Cg * plane + a * fr.Wp;
            for (int64_t q = 0; q < body; q += kLanes) vstore(d + q, vload(src + q));
            for (int64_t q = body; q < fw.A; ++q) d[q] = src[q];  // scalar tail: masked stores are slow on Zen
          }
      }
}

// wp[gr][k][(c*Th + jh)*Tw + jw] = w[gr*Cg + c][k][r0h + (Th-1-jh)*sh][r0w + (Tw-1-jw)*sw].
void phase_weights(float* wp, const float* w, const ConvTranspose2dShape& s, int64_t Cg, int64_t Kg, const Phase& fh,
                   const Phase& fw) {
  const int64_t CT = Cg * fh.T * fw.T;
  for (int64_t gr = 0; gr < s.groups; ++gr)
    for (int64_t k = 0; k < Kg; ++k)
      for (int64_t c = 0; c < Cg; ++c)
        for (int64_t jh = 0; jh < fh.T; ++jh)
          for (int64_t jw = 0; jw < fw.T; ++jw) {
            const int64_t r = fh.r0 + (fh.T - 1 - jh) * s.stride_h, t = fw.r0 + (fw.T - 1 - jw) * s.stride_w;
            wp[(gr * Kg + k) * CT + (c * fh.T + jh) * fw.T + jw] = w[(((gr * Cg + c) * Kg + k) * s.R + r) * s.S + t];
          }
}

// y[i][k][a*sh][b*sw] = out[k][i*Ah*Aw + a*Aw + b] for ni images and Kg channels (y at the phase's first element,
// image stride K*P*Q).
void phase_scatter(float* y, const float* out, int64_t ni, int64_t Kg, const ConvTranspose2dShape& s, const Phase& fh,
                   const Phase& fw) {
  const int64_t AA = fh.A * fw.A, L = ni * AA;
  for (int64_t i = 0; i < ni; ++i)
    for (int64_t k = 0; k < Kg; ++k) {
      float* yk = y + (i * s.K + k) * s.P * s.Q;
      const float* o = out + k * L + i * AA;
      for (int64_t a = 0; a < fh.A; ++a) {
        float* yr = yk + a * s.stride_h * s.Q;
        const float* orow = o + a * fw.A;
        for (int64_t q = 0; q < fw.A; ++q) yr[q * s.stride_w] = orow[q];
      }
    }
}

void subpixel_forward(float* y, const float* x, const float* w, const float* b, const ConvTranspose2dShape& s) {
  const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups, PQ = s.P * s.Q;
  const int64_t nph = s.stride_h * s.stride_w;
  std::vector<Phase> fh(static_cast<size_t>(nph)), fw(static_cast<size_t>(nph));
  std::vector<int64_t> woff(static_cast<size_t>(nph) + 1, 0);
  int64_t maxCT = 0, maxA = 1;
  for (int64_t f = 0; f < nph; ++f) {
    fh[f] = phase_of(f / s.stride_w, s.stride_h, s.pad_h, s.R, s.P);
    fw[f] = phase_of(f % s.stride_w, s.stride_w, s.pad_w, s.S, s.Q);
    const int64_t CT = Cg * fh[f].T * fw[f].T;
    woff[f + 1] = woff[f] + s.K * CT;
    maxCT = std::max(maxCT, CT);
    maxA = std::max(maxA, fh[f].A * fw[f].A);
  }
  static thread_local ScratchBuf wbuf;
  float* wp = wbuf.get(static_cast<size_t>(std::max<int64_t>(1, woff[nph])));
  for (int64_t f = 0; f < nph; ++f) phase_weights(wp + woff[f], w, s, Cg, Kg, fh[f], fw[f]);
  // Images per block: ~512 KiB of column matrix (L2-resident between im2col and the GEMM), at least 256 columns.
  const int64_t target = std::max<int64_t>(256, (int64_t{1} << 17) / std::max<int64_t>(1, maxCT));
  const int64_t ipb = std::max<int64_t>(1, std::min(s.N, target / maxA));
  const int64_t nblocks = (s.N + ipb - 1) / ipb;
  Frame fr{0, 0, 0, 0};
  int64_t hhi = s.H, whi = s.W;
  for (int64_t f = 0; f < nph; ++f) {
    if (fh[f].A * fw[f].A * fh[f].T * fw[f].T == 0) continue;
    fr.hlo = std::min(fr.hlo, fh[f].off), fr.wlo = std::min(fr.wlo, fw[f].off);
    hhi = std::max(hhi, fh[f].A + fh[f].off + fh[f].T - 1), whi = std::max(whi, fw[f].A + fw[f].off + fw[f].T - 1);
  }
  fr.Hp = hhi - fr.hlo, fr.Wp = whi - fr.wlo;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 18) / std::max<int64_t>(1, 2 * s.K * Cg * s.R * s.S *
                                                                                          s.H * s.W * ipb));
  parallel_for(0, nblocks, grain, [&](int64_t b0, int64_t b1) {
    static thread_local ScratchBuf colbuf, outbuf, framebuf;
    float* col = colbuf.get(static_cast<size_t>(std::max<int64_t>(1, maxCT * ipb * maxA)));
    float* xp = framebuf.get(static_cast<size_t>(ipb * Cg * fr.Hp * fr.Wp));
    float* out = outbuf.get(static_cast<size_t>(Kg * ipb * maxA));
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t n0 = blk * ipb, ni = std::min(ipb, s.N - n0);
      for (int64_t gr = 0; gr < s.groups; ++gr) {
        frame_copy(xp, x + (n0 * s.C + gr * Cg) * s.H * s.W, ni, s.C * s.H * s.W, Cg, s, fr);
        for (int64_t f = 0; f < nph; ++f) {
          const int64_t AA = fh[f].A * fw[f].A, L = ni * AA, CT = Cg * fh[f].T * fw[f].T;
          if (AA == 0) continue;
          if (CT > 0) {
            phase_im2col(col, L, xp, ni, Cg, fr, fh[f], fw[f]);
            GemmArgs a;
            a.M = Kg, a.N = L, a.K = CT;
            a.A = wp + woff[f] + gr * Kg * CT, a.lda = CT;
            a.B = col, a.ldb = L;
            a.C = out, a.ldc = L;
            a.bias_row = b ? b + gr * Kg : nullptr;
            a.bf16 = s.bf16;

            sgemm(a);
          } else {  // a phase without taps is the bias alone
            for (int64_t k = 0; k < Kg; ++k) std::fill(out + k * L, out + (k + 1) * L, b ? b[gr * Kg + k] : 0.f);
          }
          phase_scatter(y + (n0 * s.K + gr * Kg) * PQ + (f / s.stride_w) * s.Q + f % s.stride_w, out, ni, Kg, s,
                        fh[f], fw[f]);
        }
      }
    }
  });
}

void ct_forward(float* y, const float* x, const float* w, const float* b, const ConvTranspose2dShape& s) {
  if (s.N * s.K * s.P * s.Q == 0) return;
  if (from_point(s)) return point_forward(y, x, w, b, s);
  if (conv_transpose2d_winograd_ok(s)) return conv_transpose2d_winograd_forward(y, x, w, b, s);
  if (conv_transpose2d_gemm_forward_ok(s)) return conv_transpose2d_gemm_forward(y, x, w, b, s);
  if (subpixel(s)) return subpixel_forward(y, x, w, b, s);
  const Conv2dShape c = conv_transpose2d_as_conv(s);
  if (fits(c, s)) {
    conv2d.backward_data(y, x, w, c);
  } else {
    static thread_local ScratchBuf xbuf;
    float* xe = xbuf.get(static_cast<size_t>(s.N * s.C * c.P * c.Q));
    embed(xe, c.P, c.Q, x, s.N * s.C, s.H, s.W);
    conv2d.backward_data(y, xe, w, c);
  }
  if (b) add_bias(y, b, s.N, s.K, s.P * s.Q);
}

void ct_backward_data(float* dx, const float* dy, const float* w, const ConvTranspose2dShape& s) {
  if (from_point(s)) return point_backward_data(dx, dy, w, s);
  if (conv_transpose2d_winograd_ok(s)) return conv_transpose2d_winograd_backward(dx, nullptr, dy, nullptr, w, s);
  if (conv_transpose2d_gemm_ok(s)) return conv_transpose2d_gemm_backward(dx, nullptr, dy, nullptr, w, s);
  const Conv2dShape c = conv_transpose2d_as_conv(s);
  if (fits(c, s)) return conv2d.forward(dx, dy, w, nullptr, c);
  static thread_local ScratchBuf tbuf;
  float* t = tbuf.get(static_cast<size_t>(s.N * s.C * c.P * c.Q));
  conv2d.forward(t, dy, w, nullptr, c);
  crop(dx, s.H, s.W, t, s.N * s.C, c.P, c.Q);
}

void ct_backward_weights(float* dw, float* db, const float* dy, const float* x, const ConvTranspose2dShape& s) {
  const Conv2dShape c = conv_transpose2d_as_conv(s);
  if (dw && from_point(s)) {
    point_backward_weights(dw, dy, x, s);
  } else if (dw && conv_transpose2d_winograd_ok(s)) {
    conv_transpose2d_winograd_backward(nullptr, dw, dy, x, nullptr, s);
  } else if (dw && conv_transpose2d_gemm_ok(s)) {
    conv_transpose2d_gemm_backward(nullptr, dw, dy, x, nullptr, s);
  } else if (dw) {
    if (fits(c, s)) {
      conv2d.backward_weights(dw, nullptr, x, dy, c);
    } else {
      static thread_local ScratchBuf xbuf;
      float* xe = xbuf.get(static_cast<size_t>(s.N * s.C * c.P * c.Q));
      embed(xe, c.P, c.Q, x, s.N * s.C, s.H, s.W);
      conv2d.backward_weights(dw, nullptr, xe, dy, c);
    }
  }
  if (db) bias_grad(db, dy, s.N, s.K, s.P * s.Q);
}

void ct_backward(float* dx, float* dw, float* db, const float* dy, const float* x, const float* w,
                 const ConvTranspose2dShape& s) {
  if (dx && dw && !from_point(s) && conv_transpose2d_winograd_ok(s)) {  // one transform of dy for both
    conv_transpose2d_winograd_backward(dx, dw, dy, x, w, s);
    if (db) bias_grad(db, dy, s.N, s.K, s.P * s.Q);
    return;
  }
  if (dx && dw && !from_point(s) && conv_transpose2d_gemm_ok(s)) {  // one column matrix of dy for both
    conv_transpose2d_gemm_backward(dx, dw, dy, x, w, s);
    if (db) bias_grad(db, dy, s.N, s.K, s.P * s.Q);
    return;
  }
  if (dx) ct_backward_data(dx, dy, w, s);
  if (dw || db) ct_backward_weights(dw, db, dy, x, s);
}

}  // namespace

extern const ConvTranspose2dKernels conv_transpose2d = {
    NNE_KERNEL_ENTRY(ct_forward), NNE_KERNEL_ENTRY(ct_backward_data), NNE_KERNEL_ENTRY(ct_backward_weights),
    NNE_KERNEL_ENTRY(ct_backward)
};

}  // namespace NNE_ISA_NS
}  // namespace nne
