// conv2d kernels (compiled once per ISA): blocked im2col + sgemm. See conv2d.h for the contract.
#include "kernels/conv2d.h"

#include <algorithm>
#include <cstring>

#include "core/buffer.h"
#include "core/kernel_status.h"
#include "core/parallel.h"
#include "core/reduce.h"
#include "core/simd.h"
#include "kernels/bf16_round.h"
#include "kernels/conv2d_direct.h"
#include "kernels/conv2d_pointwise.h"
#include "kernels/conv2d_winograd.h"
#include "kernels/conv_blocks.h"
#include "kernels/conv_im2col.h"
#include "kernels/gemm.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// 1x1, stride 1, no padding: the column matrix of an image is the image itself (Cg x HW, row stride HW).
inline bool pointwise(const Conv2dShape& s) {
  return s.R == 1 && s.S == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_h == 0 && s.pad_w == 0;
}

// The GEMM path's blocks (conv_blocks.h).
ConvGeo geometry(const Conv2dShape& s) {
  return conv_geometry(s.N, s.C, s.K, s.groups, s.R * s.S, s.P * s.Q, s.H * s.W, pointwise(s));
}

// Pointwise layers on small images in float32: blocks of several images whose GEMMs read the tensors through
// packers (conv2d_pointwise.h), no column matrix (bf16 keeps the copying blocks: its kernels read operands in memory).
inline bool batched_pointwise(const Conv2dShape& s, const ConvGeo& g) { return pointwise(s) && !g.in_place && !s.bf16; }

// valid_cols() of the image's width for tap offset `off` (conv_im2col.h).
inline void valid_q(const Conv2dShape& s, int64_t off, int64_t qa, int64_t qb, int64_t& lo, int64_t& hi) {
  valid_cols(s.W, s.pad_w, s.stride_w, off, qa, qb, lo, hi);
}

// col[((c*R + r)*S + t) * ld + j - j0] = x[c][ih][iw] (0 outside the image), output columns j in [j0, j1).
void im2col(float* col, int64_t ld, const float* x, const Conv2dShape& s, const ConvGeo& g, int64_t j0, int64_t j1) {
  if (pointwise(s)) {  // one contiguous row per channel
    for (int64_t c = 0; c < g.Cg; ++c) std::memcpy(col + c * ld, x + c * g.X + j0, sizeof(float) * (j1 - j0));
    return;
  }
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t r = 0; r < s.R; ++r)
      for (int64_t t = 0; t < s.S; ++t) {
        float* dst = col + ((c * s.R + r) * s.S + t) * ld - j0;
        const float* xc = x + c * g.X;
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
            copy_strided(d, src, lo, hi, s.stride_w);
          }
          for (int64_t q = hi; q < qb; ++q) d[q] = 0.f;
        }
      }
}

// The adjoint of im2col: dx[c][ih][iw] += col[...] (dx must be initialised by the caller).
void col2im(float* dx, const float* col, int64_t ld, const Conv2dShape& s, const ConvGeo& g, int64_t j0, int64_t j1) {
  if (pointwise(s)) {
    for (int64_t c = 0; c < g.Cg; ++c) {
      float* d = dx + c * g.X + j0;
      const float* src = col + c * ld;
      for (int64_t j = 0; j < j1 - j0; ++j) d[j] += src[j];
    }
    return;
  }
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t r = 0; r < s.R; ++r)
      for (int64_t t = 0; t < s.S; ++t) {
        const float* src = col + ((c * s.R + r) * s.S + t) * ld - j0;
        float* xc = dx + c * g.X;
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

// Columns of the block's images for its group: im2col of each image into col (ld = L).
void block_im2col(float* col, const float* x, const Conv2dShape& s, const ConvGeo& g, const Block& k) {
  for (int64_t i = 0; i < k.ni; ++i)
    im2col(col + i * k.width(), k.L(), x + ((k.n0 + i) * s.C + k.gr * g.Cg) * g.X, s, g, k.j0, k.j1);
}

// The algorithm of each operation, in order of preference (the one place that decides; see conv2d.h).
enum class Algo { gemm, direct, direct_lanes, winograd };

Algo choose(const Conv2dShape& s, DirectOp op) {
  if (s.bf16) {  // the float32 choice, its direct kernels on rounded operands (bf16_direct); Winograd's transforms
    Conv2dShape f = s;  // would mix values before the products, so its shapes take the bf16 GEMM
    f.bf16 = false;
    const Algo a = choose(f, op);
    return a == Algo::winograd ? Algo::gemm : a;
  }
  if (conv2d_winograd_ok(s, op) && (op != DirectOp::backward_weights || s.N > 0)) return Algo::winograd;
  if (op == DirectOp::forward && conv2d_lanes_ok(s)) return Algo::direct_lanes;
  if (conv2d_direct_ok(s, op) && (op != DirectOp::backward_weights || s.N > 0)) return Algo::direct;
  return Algo::gemm;
}

const char* conv_algorithm(const Conv2dShape& s, int op) {
  static constexpr const char* kNames[] = {"gemm", "direct", "direct_lanes", "winograd"};
  return kNames[static_cast<int>(choose(s, static_cast<DirectOp>(op)))];
}

// bf16 on the direct kernels (autocast on the small shapes where they beat im2col + GEMM: LeNet's layers ran
// 1.7x slower than float32 on the bf16 GEMM path): the float32 kernels on copies of the two product operands
// rounded to bf16 compute exactly bf16 products summed in float32 (bf16_round.h). Bias gradients stay float32
// sums of the unrounded dy.
struct Bf16Direct {
  Conv2dShape f;  // the shape without bf16
  explicit Bf16Direct(const Conv2dShape& s) : f(s) { f.bf16 = false; }
  // n values of p rounded to bf16 into buf (in parallel: x and dy can be large).
  static const float* rounded(ScratchBuf& buf, const float* p, int64_t n) {
    float* out = buf.get(static_cast<size_t>(n));
    parallel_for(0, n, int64_t{1} << 16, [&](int64_t b0, int64_t b1) { round_bf16_copy(out + b0, p + b0, b1 - b0); });
    return out;
  }
  int64_t x_size() const { return f.N * f.C * f.H * f.W; }
  int64_t w_size() const { return f.K * (f.C / f.groups) * f.R * f.S; }
  int64_t y_size() const { return f.N * f.K * f.P * f.Q; }
};
thread_local ScratchBuf bf16_buf_a, bf16_buf_b;

void conv_forward(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s) {
  const Algo algo = choose(s, DirectOp::forward);
  if (s.bf16 && algo != Algo::gemm) {
    const Bf16Direct d(s);
    const float* xr = Bf16Direct::rounded(bf16_buf_a, x, d.x_size());
    const float* wr = Bf16Direct::rounded(bf16_buf_b, w, d.w_size());
    return algo == Algo::direct_lanes ? conv2d_lanes_forward(y, xr, wr, b, d.f)
                                      : conv2d_direct_forward(y, xr, wr, b, d.f);
  }
  switch (algo) {
    case Algo::winograd: return conv2d_winograd_forward(y, x, w, b, s);
    case Algo::direct_lanes: return conv2d_lanes_forward(y, x, w, b, s);
    case Algo::direct: return conv2d_direct_forward(y, x, w, b, s);
    case Algo::gemm: break;
  }
  const ConvGeo g = geometry(s);
  if (batched_pointwise(s, g)) {
    for (int64_t gr = 0; gr < s.groups; ++gr)
      pointwise_gemms({w + gr * g.Kg * g.Cg, g.Cg, g.Kg, g.Cg, false, b ? b + gr * g.Kg : nullptr, x, s.C, gr * g.Cg,
                       y, s.K, gr * g.Kg}, s.N, g.X);
    return;
  }
  parallel_for(0, g.nblocks, block_grain(g), [&](int64_t b0, int64_t b1) {
    static thread_local ScratchBuf colbuf, outbuf;
    float* col = colbuf.get(static_cast<size_t>(g.CK * g.ipb * g.jb));
    float* tmp = outbuf.get(static_cast<size_t>(g.Kg * g.ipb * g.jb));
    for_blocks(g, b0, b1, [&](const Block& k) {
      GemmArgs a;
      a.M = g.Kg, a.N = k.L(), a.K = g.CK;
      a.A = w + k.gr * g.Kg * g.CK, a.lda = g.CK;
      if (g.in_place) {
        a.B = in_place_col(x, g, k), a.ldb = g.X;
      } else {
        block_im2col(col, x, s, g, k);
        a.B = col, a.ldb = k.L();
      }
      a.bias_row = b ? b + k.gr * g.Kg : nullptr;
      a.bf16 = s.bf16;
      if (k.ni == 1) {  // write straight into y
        a.C = y + yoff(g, k.n0, k, 0), a.ldc = g.L;
        sgemm(a);
        return;
      }
      a.C = tmp, a.ldc = k.L();
      sgemm(a);
      for (int64_t i = 0; i < k.ni; ++i)
        for (int64_t kk = 0; kk < g.Kg; ++kk)
          std::memcpy(y + yoff(g, k.n0 + i, k, kk), tmp + kk * k.L() + i * k.width(), sizeof(float) * k.width());
    });
  });
}

void conv_backward_data(float* dx, const float* dy, const float* w, const Conv2dShape& s) {
  const Algo algo = choose(s, DirectOp::backward_data);
  if (s.bf16 && algo == Algo::direct) {
    const Bf16Direct d(s);
    return conv2d_direct_backward_data(dx, Bf16Direct::rounded(bf16_buf_a, dy, d.y_size()),
                                       Bf16Direct::rounded(bf16_buf_b, w, d.w_size()), d.f);
  }
  switch (algo) {
    case Algo::winograd: return conv2d_winograd_backward_data(dx, dy, w, s);
    case Algo::direct: return conv2d_direct_backward_data(dx, dy, w, s);
    default: break;
  }
  const ConvGeo g = geometry(s);
  if (batched_pointwise(s, g)) {  // dx_g = w_g^T dy_g, image by image: every element written once
    // (w_g^T as op(A) of w_g itself: one GEMM packs its panels once, no transposed copy of the weights)
    for (int64_t gr = 0; gr < s.groups; ++gr)
      pointwise_gemms({w + gr * g.Kg * g.Cg, g.Cg, g.Cg, g.Kg, true, nullptr, dy, s.K, gr * g.Kg, dx, s.C, gr * g.Cg},
                      s.N, g.X);
    return;
  }
  // w_g^T of every group as a row-major (CRS, Kg) matrix: the GEMM then packs a plain operand (measured
  // 15-30% faster than the transposed one on the DCGAN layers); copying the weight once is negligible.
  static thread_local ScratchBuf wtbuf;
  float* wt = wtbuf.get(static_cast<size_t>(s.K * g.CK));
  weights_tap_major(wt, w, s.groups, g.Kg, g.CK);
  // Blocks hold whole images, or all slices of one image run in the same chunk: no two threads
  // ever scatter into the same image.
  parallel_for(0, g.nblocks, block_grain(g), [&](int64_t b0, int64_t b1) {
    static thread_local ScratchBuf colbuf, dybuf;
    float* col = colbuf.get(static_cast<size_t>(g.CK * g.ipb * g.jb));
    float* tmp = dybuf.get(static_cast<size_t>(g.Kg * g.ipb * g.jb));
    const int64_t n0 = b0 * g.ipb, n1 = std::min(s.N, b1 * g.ipb);
    std::memset(dx + n0 * s.C * g.X, 0, sizeof(float) * (n1 - n0) * s.C * g.X);
    for_blocks(g, b0, b1, [&](const Block& k) {
      GemmArgs a;
      // dcol (CRS, L) = w_g^T (CRS, Kg) @ dy_g (Kg, L)
      a.M = g.CK, a.N = k.L(), a.K = g.Kg;
      a.A = wt + k.gr * g.CK * g.Kg, a.lda = g.Kg;
      a.bf16 = s.bf16;
      a.B = block_dy(tmp, dy, g, k, &a.ldb);
      if (g.in_place) {  // dcol is the image's gradient: written in place (each element once)
        a.C = dx + (k.n0 * s.C + k.gr * g.Cg) * g.X + k.j0, a.ldc = g.X;
        sgemm(a);
        return;
      }
      a.C = col, a.ldc = k.L();
      sgemm(a);
      for (int64_t i = 0; i < k.ni; ++i)
        col2im(dx + ((k.n0 + i) * s.C + k.gr * g.Cg) * g.X, col + i * k.width(), k.L(), s, g, k.j0, k.j1);
    });
  });
}

void conv_backward_weights(float* dw, float* db, const float* dy, const float* x, const Conv2dShape& s) {
  const Algo algo = choose(s, DirectOp::backward_weights);
  if (s.bf16 && algo == Algo::direct) {
    const Bf16Direct d(s);
    if (db) conv2d_direct_backward_weights(nullptr, db, dy, x, d.f);
    if (dw)
      conv2d_direct_backward_weights(dw, nullptr, Bf16Direct::rounded(bf16_buf_a, dy, d.y_size()),
                                     Bf16Direct::rounded(bf16_buf_b, x, d.x_size()), d.f);
    return;
  }
  switch (algo) {
    case Algo::winograd: return conv2d_winograd_backward_weights(dw, db, dy, x, s);
    case Algo::direct: return conv2d_direct_backward_weights(dw, db, dy, x, s);
    default: break;
  }
  const ConvGeo g = geometry(s);
  const bool batched = batched_pointwise(s, g);
  weight_grad_over_blocks(dw, db, g, [&](const Block& k, float* dw_g, float* db_g, float beta) {
    static thread_local ScratchBuf colbuf, dybuf;
    GemmArgs a;
    a.trans_b = true;  // dW_g (Kg, CRS) += dy_g (Kg, L) @ col^T (L, CRS)
    a.M = g.Kg, a.N = g.CK, a.K = k.L();
    a.bf16 = s.bf16;
    // A batched pointwise block: dy_g and the images as the GEMM's operands straight from the tensors
    // (pack_positions), not copied side by side first
    const PositionsView dyv{dy + k.n0 * s.K * g.L, s.K, g.L, k.gr * g.Kg};
    const PositionsView xv{x + k.n0 * s.C * g.X, s.C, g.X, k.gr * g.Cg};
    if (batched) {
      a.pack_a = pack_positions, a.pack_a_ctx = &dyv;
      if (db)
        for (int64_t i = 0; i < k.ni; ++i) add_row_sums(db_g, dyv.x + (i * s.K + dyv.c0) * g.L, g.L, g.Kg, g.L);
    } else {
      a.A = block_dy(dybuf.get(static_cast<size_t>(g.Kg * g.ipb * g.jb)), dy, g, k, &a.lda);
      if (db) add_row_sums(db_g, a.A, a.lda, g.Kg, k.L());
    }
    if (!dw) return;
    if (batched) {
      a.pack_b = pack_positions, a.pack_b_ctx = &xv;
    } else if (g.in_place) {
      a.B = in_place_col(x, g, k), a.ldb = g.X;
    } else {
      float* col = colbuf.get(static_cast<size_t>(g.CK * g.ipb * g.jb));
      block_im2col(col, x, s, g, k);
      a.B = col, a.ldb = k.L();
    }
    a.C = dw_g, a.ldc = g.CK, a.beta = beta;
    sgemm(a);
  });
}

}  // namespace

extern const Conv2dKernels conv2d = {
    NNE_KERNEL_ENTRY(conv_forward), NNE_KERNEL_ENTRY(conv_backward_data), NNE_KERNEL_ENTRY(conv_backward_weights),
    NNE_KERNEL_ENTRY(conv_algorithm)
};

}  // namespace NNE_ISA_NS
}  // namespace nne
