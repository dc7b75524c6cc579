// conv2d kernels (compiled once per ISA): blocked im2col + sgemm. See conv2d.h for the contract.
#include "kernels/conv2d.h"

#include <algorithm>
#include <cstring>

#include "core/buffer.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/gemm.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

struct Geo {
  int64_t Cg, Kg, CRS, PQ, HW;
  bool pointwise;  // 1x1, stride 1, no padding: the input image is already the column matrix
  int64_t jb;      // output columns per im2col block
};

Geo geometry(const Conv2dShape& s) {
  Geo g;
  g.Cg = s.C / s.groups;
  g.Kg = s.K / s.groups;
  g.CRS = g.Cg * s.R * s.S;
  g.PQ = s.P * s.Q;
  g.HW = s.H * s.W;
  g.pointwise = s.R == 1 && s.S == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_h == 0 && s.pad_w == 0;
  // Keep one column block around 512 KiB so it stays in L2 between im2col and the GEMM.
  int64_t jb = (int64_t{1} << 17) / std::max<int64_t>(1, g.CRS);
  jb = std::max<int64_t>(64, jb / 32 * 32);
  g.jb = std::min(jb, g.PQ);
  return g;
}

// Valid output columns q in [qa, qb) whose input column q*sw - pw + off lies in [0, W).
inline void valid_q(const Conv2dShape& s, int64_t off, int64_t qa, int64_t qb, int64_t& lo, int64_t& hi) {
  const int64_t base = off - s.pad_w;  // iw = q*sw + base
  lo = base >= 0 ? 0 : (-base + s.stride_w - 1) / s.stride_w;
  hi = s.W - 1 - base < 0 ? 0 : (s.W - 1 - base) / s.stride_w + 1;
  lo = std::max(lo, qa);
  hi = std::min(hi, qb);
  if (hi < lo) hi = lo;
}

// col[(c*R + r)*S + t][j - j0] = x[c][ih][iw] (0 outside the image), for output columns j in [j0, j1).
void im2col(float* col, const float* x, const Conv2dShape& s, const Geo& g, int64_t j0, int64_t j1) {
  const int64_t jb = j1 - j0;
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t r = 0; r < s.R; ++r)
      for (int64_t t = 0; t < s.S; ++t) {
        float* dst = col + ((c * s.R + r) * s.S + t) * jb - j0;
        const float* xc = x + c * g.HW;
        for (int64_t p = j0 / s.Q; p * s.Q < j1; ++p) {
          const int64_t qa = std::max<int64_t>(0, j0 - p * s.Q), qb = std::min<int64_t>(s.Q, j1 - p * s.Q);
          float* d = dst + p * s.Q;
          const int64_t ih = p * s.stride_h - s.pad_h + r * s.dil_h;
          if (ih < 0 || ih >= s.H) {
            for (int64_t q = qa; q < qb; ++q) d[q] = 0.f;
            continue;
          }
          int64_t lo, hi;
          valid_q(s, t * s.dil_w, qa, qb, lo, hi);
          for (int64_t q = qa; q < lo; ++q) d[q] = 0.f;
          const float* src = xc + ih * s.W + t * s.dil_w - s.pad_w;
          if (s.stride_w == 1) {
            if (hi > lo) std::memcpy(d + lo, src + lo, sizeof(float) * (hi - lo));
          } else {
            for (int64_t q = lo; q < hi; ++q) d[q] = src[q * s.stride_w];
          }
          for (int64_t q = hi; q < qb; ++q) d[q] = 0.f;
        }
      }
}

// The adjoint of im2col: dx[c][ih][iw] += col[...] (dx must be initialised by the caller).
void col2im(float* dx, const float* col, const Conv2dShape& s, const Geo& g, int64_t j0, int64_t j1) {
  const int64_t jb = j1 - j0;
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t r = 0; r < s.R; ++r)
      for (int64_t t = 0; t < s.S; ++t) {
        const float* src = col + ((c * s.R + r) * s.S + t) * jb - j0;
        float* xc = dx + c * g.HW;
        for (int64_t p = j0 / s.Q; p * s.Q < j1; ++p) {
          const int64_t ih = p * s.stride_h - s.pad_h + r * s.dil_h;
          if (ih < 0 || ih >= s.H) continue;
          const int64_t qa = std::max<int64_t>(0, j0 - p * s.Q), qb = std::min<int64_t>(s.Q, j1 - p * s.Q);
          int64_t lo, hi;
          valid_q(s, t * s.dil_w, qa, qb, lo, hi);
          const float* sp = src + p * s.Q;
          float* d = xc + ih * s.W + t * s.dil_w - s.pad_w;
          if (s.stride_w == 1) {
            for (int64_t q = lo; q < hi; ++q) d[q] += sp[q];
          } else {
            for (int64_t q = lo; q < hi; ++q) d[q * s.stride_w] += sp[q];
          }
        }
      }
}

// Images per parallel chunk so that a chunk carries at least ~0.25 MFLOP.
int64_t image_grain(const Conv2dShape& s, const Geo& g) {
  const int64_t flops = std::max<int64_t>(1, 2 * s.K * g.PQ * g.CRS);
  return std::max<int64_t>(1, (int64_t{1} << 18) / flops);
}

void forward_image(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s,
                   const Geo& g) {
  static thread_local ScratchBuf colbuf;
  for (int64_t gr = 0; gr < s.groups; ++gr) {
    GemmArgs a;
    a.M = g.Kg;
    a.A = w + gr * g.Kg * g.CRS;
    a.lda = g.CRS;
    a.ldc = g.PQ;
    a.bias_row = b ? b + gr * g.Kg : nullptr;
    const float* xg = x + gr * g.Cg * g.HW;
    float* yg = y + gr * g.Kg * g.PQ;
    if (g.pointwise) {
      a.N = g.PQ;
      a.K = g.Cg;
      a.B = xg;
      a.ldb = g.HW;
      a.C = yg;
      sgemm(a);
      continue;
    }
    float* col = colbuf.get(static_cast<size_t>(g.CRS * g.jb));
    for (int64_t j0 = 0; j0 < g.PQ; j0 += g.jb) {
      const int64_t j1 = std::min(g.PQ, j0 + g.jb);
      im2col(col, xg, s, g, j0, j1);
      a.N = j1 - j0;
      a.K = g.CRS;
      a.B = col;
      a.ldb = j1 - j0;
      a.C = yg + j0;
      sgemm(a);
    }
  }
}

void conv_forward(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s) {
  const Geo g = geometry(s);
  parallel_for(0, s.N, image_grain(s, g), [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n)
      forward_image(y + n * s.K * g.PQ, x + n * s.C * g.HW, w, b, s, g);
  });
}

void backward_data_image(float* dx, const float* dy, const float* w, const Conv2dShape& s, const Geo& g) {
  static thread_local ScratchBuf colbuf;
  for (int64_t gr = 0; gr < s.groups; ++gr) {
    GemmArgs a;
    a.trans_a = true;  // op(A) = w_g^T: (CRS, Kg)
    a.K = g.Kg;
    a.A = w + gr * g.Kg * g.CRS;
    a.lda = g.CRS;
    a.ldb = g.PQ;
    const float* dyg = dy + gr * g.Kg * g.PQ;
    float* dxg = dx + gr * g.Cg * g.HW;
    if (g.pointwise) {
      a.M = g.Cg;
      a.N = g.PQ;
      a.B = dyg;
      a.C = dxg;
      a.ldc = g.HW;
      sgemm(a);
      continue;
    }
    std::memset(dxg, 0, sizeof(float) * g.Cg * g.HW);
    float* col = colbuf.get(static_cast<size_t>(g.CRS * g.jb));
    for (int64_t j0 = 0; j0 < g.PQ; j0 += g.jb) {
      const int64_t j1 = std::min(g.PQ, j0 + g.jb);
      a.M = g.CRS;
      a.N = j1 - j0;
      a.B = dyg + j0;
      a.C = col;
      a.ldc = j1 - j0;
      sgemm(a);
      col2im(dxg, col, s, g, j0, j1);
    }
  }
}

void conv_backward_data(float* dx, const float* dy, const float* w, const Conv2dShape& s) {
  const Geo g = geometry(s);
  parallel_for(0, s.N, image_grain(s, g), [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n)
      backward_data_image(dx + n * s.C * g.HW, dy + n * s.K * g.PQ, w, s, g);
  });
}

// Accumulate (or, if `first`, set) one image's weight and bias gradients into dw / db.
void backward_weights_image(float* dw, float* db, const float* dy, const float* x, const Conv2dShape& s,
                            const Geo& g, bool first) {
  static thread_local ScratchBuf colbuf;
  if (db) {
    for (int64_t k = 0; k < s.K; ++k) {
      const float* d = dy + k * g.PQ;
      VecF acc = vzero();
      int64_t j = 0;
      for (; j + kLanes <= g.PQ; j += kLanes) acc = vadd(acc, vload(d + j));
      float sum = vsum(acc);
      for (; j < g.PQ; ++j) sum += d[j];
      db[k] = first ? sum : db[k] + sum;
    }
  }
  for (int64_t gr = 0; gr < s.groups; ++gr) {
    GemmArgs a;
    a.trans_b = true;  // dW_g (Kg, CRS) = dY_g (Kg, PQ) @ col^T (PQ, CRS)
    a.M = g.Kg;
    a.N = g.CRS;
    a.A = dy + gr * g.Kg * g.PQ;
    a.lda = g.PQ;
    a.C = dw + gr * g.Kg * g.CRS;
    a.ldc = g.CRS;
    const float* xg = x + gr * g.Cg * g.HW;
    if (g.pointwise) {
      a.K = g.PQ;
      a.B = xg;
      a.ldb = g.HW;
      a.beta = first ? 0.f : 1.f;
      sgemm(a);
      continue;
    }
    float* col = colbuf.get(static_cast<size_t>(g.CRS * g.jb));
    for (int64_t j0 = 0; j0 < g.PQ; j0 += g.jb) {
      const int64_t j1 = std::min(g.PQ, j0 + g.jb);
      im2col(col, xg, s, g, j0, j1);
      a.K = j1 - j0;
      a.A = dy + gr * g.Kg * g.PQ + j0;
      a.B = col;
      a.ldb = j1 - j0;
      a.beta = (first && j0 == 0) ? 0.f : 1.f;
      sgemm(a);
    }
  }
}

void conv_backward_weights(float* dw, float* db, const float* dy, const float* x, const Conv2dShape& s) {
  const Geo g = geometry(s);
  const int64_t wsize = s.K * g.CRS;
  if (s.N == 0) {
    if (dw) std::memset(dw, 0, sizeof(float) * wsize);
    if (db) std::memset(db, 0, sizeof(float) * s.K);
    return;
  }
  // Fixed chunking of the batch (depends on N only): chunk c sums images [N*c/nc, N*(c+1)/nc).
  const int64_t nc = std::min<int64_t>(s.N, 16);
  static thread_local ScratchBuf partbuf, dwtmp;
  float* parts = partbuf.get(static_cast<size_t>(std::max<int64_t>(1, nc - 1) * (wsize + s.K)));
  float* dwp = dw ? dw : dwtmp.get(static_cast<size_t>(wsize));
  parallel_for(0, nc, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      float* pw = c == 0 ? dwp : parts + (c - 1) * (wsize + s.K);
      float* pb = db ? (c == 0 ? db : pw + wsize) : nullptr;
      for (int64_t n = s.N * c / nc; n < s.N * (c + 1) / nc; ++n)
        backward_weights_image(pw, pb, dy + n * s.K * g.PQ, x + n * s.C * g.HW, s, g, n == s.N * c / nc);
    }
  });
  for (int64_t c = 1; c < nc; ++c) {
    const float* pw = parts + (c - 1) * (wsize + s.K);
    for (int64_t i = 0; i < wsize; ++i) dwp[i] += pw[i];
    if (db)
      for (int64_t k = 0; k < s.K; ++k) db[k] += pw[wsize + k];
  }
}

}  // namespace

extern const Conv2dKernels conv2d = {&conv_forward, &conv_backward_data, &conv_backward_weights};

}  // namespace NNE_ISA_NS
}  // namespace nne
