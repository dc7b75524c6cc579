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
#include "kernels/gemm.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// Work is cut into blocks of images x output columns. Small images are batched (ipb images per block,
// all their columns side by side) so that the GEMM sees wide matrices; large images are cut into
// column slices of one image (ipb = 1). A block's column matrix is about the size of the per-core L2
// the CPU reports (core/cpuinfo.h), so it stays in L2 between im2col and the GEMM.
struct Geo {
  int64_t Cg, Kg, CRS, PQ, HW;
  int64_t ipb;  // images per block
  int64_t jb;   // output columns of one image per slice (PQ when ipb > 1)
  int64_t nblocks;
  bool in_place;
};

// 1x1, stride 1, no padding: the column matrix of an image is the image itself (Cg x HW, row stride HW).
inline bool pointwise(const Conv2dShape& s) {
  return s.R == 1 && s.S == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_h == 0 && s.pad_w == 0;
}

Geo geometry(const Conv2dShape& s) {
  Geo g;
  g.Cg = s.C / s.groups;
  g.Kg = s.K / s.groups;
  g.CRS = g.Cg * s.R * s.S;
  g.PQ = s.P * s.Q;
  g.HW = s.H * s.W;
  // Columns per block: a column matrix of about L2 (L2-resident between im2col and the GEMM). Pointwise
  // layers with small images (< 256 positions) take 8 x L2: a wider GEMM packs the weights fewer times (their
  // forward and data gradient run pointwise_gemms instead, their weight gradient reads the block's images in
  // place); with bigger images they run one image per block, in place. (On a 512 KiB
  // L2 these are the former fixed 512 KiB and 4 MiB.) The block count changes the chunking of the
  // weight gradient's sum, so results may differ between cache descriptions in the last bits, never
  // between thread counts.
  const bool small_pointwise = pointwise(s) && g.PQ < 256;
  const int64_t l2_floats = conv_l2_floats();
  const int64_t budget = small_pointwise ? 8 * l2_floats : l2_floats;
  const int64_t target = std::max<int64_t>(256, budget / std::max<int64_t>(1, g.CRS));
  if (2 * g.PQ <= target && (small_pointwise || !pointwise(s))) {
    g.ipb = std::max<int64_t>(1, std::min<int64_t>(s.N, target / g.PQ));
    // at least 4 blocks when the batch allows: the weight gradient's threads take whole blocks (and the bf16
    // path's copies around the GEMMs are per block), so one giant block would leave them to a single thread
    if (small_pointwise) g.ipb = std::min(g.ipb, std::max<int64_t>(1, (s.N + 3) / 4));
    g.jb = g.PQ;
  } else {
    g.ipb = 1;
    g.jb = std::min(g.PQ, std::max<int64_t>(64, target / 32 * 32));
  }
  g.nblocks = (s.N + g.ipb - 1) / g.ipb;
  // Pointwise blocks of one image read and write the tensors in place (no im2col, no col2im); small
  // images are still batched (a copy is cheap next to the wider GEMM it buys).
  g.in_place = pointwise(s) && g.ipb == 1;
  if (g.in_place) g.jb = g.PQ;  // nothing is copied: the GEMM does the cache blocking of the whole image
  return g;
}

// Pointwise layers on small images in float32: blocks of several images whose GEMMs read the tensors through
// packers (conv2d_pointwise.h), no column matrix (bf16 keeps the copying blocks: its kernels read operands in memory).
inline bool batched_pointwise(const Conv2dShape& s, const Geo& g) { return pointwise(s) && !g.in_place && !s.bf16; }

// Valid output columns q in [lo, hi), a sub-range of [qa, qb), whose input column q*sw - pw + off lies in
// [0, W).
inline void valid_q(const Conv2dShape& s, int64_t off, int64_t qa, int64_t qb, int64_t& lo, int64_t& hi) {
  const int64_t base = off - s.pad_w;  // iw = q*sw + base
  lo = base >= 0 ? 0 : (-base + s.stride_w - 1) / s.stride_w;
  hi = s.W - 1 - base < 0 ? 0 : (s.W - 1 - base) / s.stride_w + 1;
  // Both ends clamped into [qa, qb]: a kernel tap that reads only padding for these columns gives
  // lo == hi == qb (or qa), so the callers' zero-fill loops never leave the block's columns.
  lo = std::min(std::max(lo, qa), qb);
  hi = std::max(std::min(hi, qb), lo);
}

// d[q] = src[q * stride] for q in [lo, hi): the strided row copy of im2col. Stride 2 (downsampling
// stems and stride-2 convolutions) deinterleaves two vectors at a time; vector loads stay within
// src[lo * 2 .. (hi - 1) * 2], the range the scalar loop reads.
inline void copy_strided(float* d, const float* src, int64_t lo, int64_t hi, int64_t stride) {
  int64_t q = lo;
#if defined(__AVX512F__)
  if (stride == 2) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (; q + 17 <= hi; q += 16)
      _mm512_storeu_ps(d + q, _mm512_permutex2var_ps(_mm512_loadu_ps(src + 2 * q), even,
                                                     _mm512_loadu_ps(src + 2 * q + 16)));
  }
#elif defined(__AVX2__)
  if (stride == 2) {
    for (; q + 9 <= hi; q += 8) {
      const __m256 e = _mm256_shuffle_ps(_mm256_loadu_ps(src + 2 * q), _mm256_loadu_ps(src + 2 * q + 8),
                                         _MM_SHUFFLE(2, 0, 2, 0));
      _mm256_storeu_ps(d + q, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0))));
    }
  }
#endif
  for (; q < hi; ++q) d[q] = src[q * stride];
}

// col[((c*R + r)*S + t) * ld + j - j0] = x[c][ih][iw] (0 outside the image), output columns j in [j0, j1).
void im2col(float* col, int64_t ld, const float* x, const Conv2dShape& s, const Geo& g, int64_t j0, int64_t j1) {
  if (pointwise(s)) {  // one contiguous row per channel
    for (int64_t c = 0; c < g.Cg; ++c) std::memcpy(col + c * ld, x + c * g.HW + j0, sizeof(float) * (j1 - j0));
    return;
  }
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t r = 0; r < s.R; ++r)
      for (int64_t t = 0; t < s.S; ++t) {
        float* dst = col + ((c * s.R + r) * s.S + t) * ld - j0;
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
            copy_strided(d, src, lo, hi, s.stride_w);
          }
          for (int64_t q = hi; q < qb; ++q) d[q] = 0.f;
        }
      }
}

// The adjoint of im2col: dx[c][ih][iw] += col[...] (dx must be initialised by the caller).
void col2im(float* dx, const float* col, int64_t ld, const Conv2dShape& s, const Geo& g, int64_t j0, int64_t j1) {
  if (pointwise(s)) {
    for (int64_t c = 0; c < g.Cg; ++c) {
      float* d = dx + c * g.HW + j0;
      const float* src = col + c * ld;
      for (int64_t j = 0; j < j1 - j0; ++j) d[j] += src[j];
    }
    return;
  }
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t r = 0; r < s.R; ++r)
      for (int64_t t = 0; t < s.S; ++t) {
        const float* src = col + ((c * s.R + r) * s.S + t) * ld - j0;
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

// Blocks per parallel chunk so that a chunk carries at least ~0.25 MFLOP.
int64_t block_grain(const Conv2dShape& s, const Geo& g) {
  const int64_t flops = std::max<int64_t>(1, 2 * s.K * g.PQ * g.CRS * g.ipb);
  return std::max<int64_t>(1, (int64_t{1} << 18) / flops);
}

// One block: images [n0, n0 + ni) x columns [j0, j1) of each, for conv group gr. `L` = ni * (j1 - j0)
// columns side by side in the scratch matrices (image i at column offset i * (j1 - j0)).
struct Block {
  int64_t n0, ni, j0, j1, gr;
  int64_t width() const { return j1 - j0; }
  int64_t L() const { return ni * (j1 - j0); }
};

// Calls fn(Block) for every slice and group of the image blocks [b0, b1).
template <class F>
void for_blocks(const Conv2dShape& s, const Geo& g, int64_t b0, int64_t b1, const F& fn) {
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t n0 = b * g.ipb, ni = std::min(g.ipb, s.N - n0);
    for (int64_t j0 = 0; j0 < g.PQ; j0 += g.jb)
      for (int64_t gr = 0; gr < s.groups; ++gr) fn(Block{n0, ni, j0, std::min(g.PQ, j0 + g.jb), gr});
  }
}

// The block's column matrix read in place (pointwise convolutions; the block is one image).
inline const float* in_place_col(const float* x, const Conv2dShape& s, const Geo& g, const Block& k) {
  return x + (k.n0 * s.C + k.gr * g.Cg) * g.HW + k.j0;
}

// Columns of the block's images for its group: im2col of each image into col (ld = L).
void block_im2col(float* col, const float* x, const Conv2dShape& s, const Geo& g, const Block& k) {
  for (int64_t i = 0; i < k.ni; ++i)
    im2col(col + i * k.width(), k.L(), x + ((k.n0 + i) * s.C + k.gr * g.Cg) * g.HW, s, g, k.j0, k.j1);
}

// Offset of output row (image n, group gr, channel k of the group) at column j0.
inline int64_t yoff(const Conv2dShape& s, const Geo& g, int64_t n, const Block& k, int64_t kk) {
  return (n * s.K + k.gr * g.Kg + kk) * g.PQ + k.j0;
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
  const Geo g = geometry(s);
  if (batched_pointwise(s, g)) {
    for (int64_t gr = 0; gr < s.groups; ++gr)
      pointwise_gemms({w + gr * g.Kg * g.Cg, g.Cg, g.Kg, g.Cg, false, b ? b + gr * g.Kg : nullptr, x, s.C, gr * g.Cg,
                       y, s.K, gr * g.Kg}, s.N, g.HW);
    return;
  }
  parallel_for(0, g.nblocks, block_grain(s, g), [&](int64_t b0, int64_t b1) {
    static thread_local ScratchBuf colbuf, outbuf;
    float* col = colbuf.get(static_cast<size_t>(g.CRS * g.ipb * g.jb));
    float* tmp = outbuf.get(static_cast<size_t>(g.Kg * g.ipb * g.jb));
    for_blocks(s, g, b0, b1, [&](const Block& k) {
      GemmArgs a;
      a.M = g.Kg, a.N = k.L(), a.K = g.CRS;
      a.A = w + k.gr * g.Kg * g.CRS, a.lda = g.CRS;
      if (g.in_place) {
        a.B = in_place_col(x, s, g, k), a.ldb = g.HW;
      } else {
        block_im2col(col, x, s, g, k);
        a.B = col, a.ldb = k.L();
      }
      a.bias_row = b ? b + k.gr * g.Kg : nullptr;
      a.bf16 = s.bf16;
      if (k.ni == 1) {  // write straight into y
        a.C = y + yoff(s, g, k.n0, k, 0), a.ldc = g.PQ;
        sgemm(a);
        return;
      }
      a.C = tmp, a.ldc = k.L();
      sgemm(a);
      for (int64_t i = 0; i < k.ni; ++i)
        for (int64_t kk = 0; kk < g.Kg; ++kk)
          std::memcpy(y + yoff(s, g, k.n0 + i, k, kk), tmp + kk * k.L() + i * k.width(), sizeof(float) * k.width());
    });
  });
}

// dy rows of the block side by side (ld = L); returns a pointer usable as a (Kg, L) matrix with leading
// dimension *ld (dy itself when the block is one image).
const float* block_dy(float* tmp, const float* dy, const Conv2dShape& s, const Geo& g, const Block& k, int64_t* ld) {
  if (k.ni == 1) {
    *ld = g.PQ;
    return dy + yoff(s, g, k.n0, k, 0);
  }
  for (int64_t i = 0; i < k.ni; ++i)
    for (int64_t kk = 0; kk < g.Kg; ++kk)
      std::memcpy(tmp + kk * k.L() + i * k.width(), dy + yoff(s, g, k.n0 + i, k, kk), sizeof(float) * k.width());
  *ld = k.L();
  return tmp;
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
  const Geo g = geometry(s);
  if (batched_pointwise(s, g)) {  // dx_g = w_g^T dy_g, image by image: every element written once
    // (w_g^T as op(A) of w_g itself: one GEMM packs its panels once, no transposed copy of the weights)
    for (int64_t gr = 0; gr < s.groups; ++gr)
      pointwise_gemms({w + gr * g.Kg * g.Cg, g.Cg, g.Cg, g.Kg, true, nullptr, dy, s.K, gr * g.Kg, dx, s.C, gr * g.Cg},
                      s.N, g.HW);
    return;
  }
  // w_g^T of every group as a row-major (CRS, Kg) matrix: the GEMM then packs a plain operand (measured
  // 15-30% faster than the transposed one on the DCGAN layers); copying the weight once is negligible.
  static thread_local ScratchBuf wtbuf;
  float* wt = wtbuf.get(static_cast<size_t>(s.K * g.CRS));
  weights_tap_major(wt, w, s.groups, g.Kg, g.CRS);
  // Blocks hold whole images, or all slices of one image run in the same chunk: no two threads
  // ever scatter into the same image.
  parallel_for(0, g.nblocks, block_grain(s, g), [&](int64_t b0, int64_t b1) {
    static thread_local ScratchBuf colbuf, dybuf;
    float* col = colbuf.get(static_cast<size_t>(g.CRS * g.ipb * g.jb));
    float* tmp = dybuf.get(static_cast<size_t>(g.Kg * g.ipb * g.jb));
    const int64_t n0 = b0 * g.ipb, n1 = std::min(s.N, b1 * g.ipb);
    std::memset(dx + n0 * s.C * g.HW, 0, sizeof(float) * (n1 - n0) * s.C * g.HW);
    for_blocks(s, g, b0, b1, [&](const Block& k) {
      GemmArgs a;
      // dcol (CRS, L) = w_g^T (CRS, Kg) @ dy_g (Kg, L)
      a.M = g.CRS, a.N = k.L(), a.K = g.Kg;
      a.A = wt + k.gr * g.CRS * g.Kg, a.lda = g.Kg;
      a.bf16 = s.bf16;
      a.B = block_dy(tmp, dy, s, g, k, &a.ldb);
      if (g.in_place) {  // dcol is the image's gradient: written in place (each element once)
        a.C = dx + (k.n0 * s.C + k.gr * g.Cg) * g.HW + k.j0, a.ldc = g.HW;
        sgemm(a);
        return;
      }
      a.C = col, a.ldc = k.L();
      sgemm(a);
      for (int64_t i = 0; i < k.ni; ++i)
        col2im(dx + ((k.n0 + i) * s.C + k.gr * g.Cg) * g.HW, col + i * k.width(), k.L(), s, g, k.j0, k.j1);
    });
  });
}

// sums[r] += the sum of row r (len floats, row stride ld) for r < rows: the bias gradient's share of a block.
void add_row_sums(float* sums, const float* m, int64_t ld, int64_t rows, int64_t len) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* d = m + r * ld;
    VecF acc = vzero();
    int64_t j = 0;
    for (; j + kLanes <= len; j += kLanes) acc = vadd(acc, vload(d + j));
    float sum = vsum(acc);
    for (; j < len; ++j) sum += d[j];
    sums[r] += sum;
  }
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
  const Geo g = geometry(s);
  const int64_t wsize = s.K * g.CRS, psize = wsize + s.K;
  if (s.N == 0) {
    if (dw) std::memset(dw, 0, sizeof(float) * wsize);
    if (db) std::memset(db, 0, sizeof(float) * s.K);
    return;
  }
  // Fixed chunking of the blocks (depends on the shape only): chunk c sums blocks [nb*c/nc, nb*(c+1)/nc)
  // into its own partial; partials are added in chunk order (core/reduce.h).
  const int64_t nc = std::min<int64_t>(g.nblocks, 16);
  const bool batched = batched_pointwise(s, g);
  static thread_local ScratchBuf partbuf;
  float* parts = partbuf.get(static_cast<size_t>(nc * psize));
  parallel_for(0, nc, 1, [&](int64_t c0, int64_t c1) {
    static thread_local ScratchBuf colbuf, dybuf;
    float* col = batched ? nullptr : colbuf.get(static_cast<size_t>(g.CRS * g.ipb * g.jb));
    float* tmp = batched ? nullptr : dybuf.get(static_cast<size_t>(g.Kg * g.ipb * g.jb));
    for (int64_t c = c0; c < c1; ++c) {
      float* pw = parts + c * psize;
      float* pb = pw + wsize;
      std::memset(pb, 0, sizeof(float) * s.K);
      const int64_t nstart = g.ipb * (g.nblocks * c / nc);
      for_blocks(s, g, g.nblocks * c / nc, g.nblocks * (c + 1) / nc, [&](const Block& k) {
        GemmArgs a;
        a.trans_b = true;  // dW_g (Kg, CRS) += dy_g (Kg, L) @ col^T (L, CRS)
        a.M = g.Kg, a.N = g.CRS, a.K = k.L();
        a.bf16 = s.bf16;
        // A batched pointwise block: dy_g and the images as the GEMM's operands straight from the tensors
        // (pack_positions), not copied side by side first
        const PositionsView dyv{dy + k.n0 * s.K * g.PQ, s.K, g.PQ, k.gr * g.Kg};
        const PositionsView xv{x + k.n0 * s.C * g.HW, s.C, g.HW, k.gr * g.Cg};
        if (batched) {
          a.pack_a = pack_positions, a.pack_a_ctx = &dyv;
          if (db)
            for (int64_t i = 0; i < k.ni; ++i)
              add_row_sums(pb + k.gr * g.Kg, dyv.x + (i * s.K + dyv.c0) * g.PQ, g.PQ, g.Kg, g.PQ);
        } else {
          a.A = block_dy(tmp, dy, s, g, k, &a.lda);
          if (db) add_row_sums(pb + k.gr * g.Kg, a.A, a.lda, g.Kg, k.L());
        }
        if (!dw) return;
        if (batched) {
          a.pack_b = pack_positions, a.pack_b_ctx = &xv;
        } else if (g.in_place) {
          a.B = in_place_col(x, s, g, k), a.ldb = g.HW;
        } else {
          block_im2col(col, x, s, g, k);
          a.B = col, a.ldb = k.L();
        }
        a.C = pw + k.gr * g.Kg * g.CRS, a.ldc = g.CRS;
        a.beta = k.n0 == nstart && k.j0 == 0 ? 0.f : 1.f;  // the chunk's first slice of this group
        sgemm(a);
      });
    }
  });
  if (dw) sum_partials(dw, parts, nc, psize, wsize);
  if (db) sum_partials(db, parts + wsize, nc, psize, s.K);
}

}  // namespace

extern const Conv2dKernels conv2d = {
    NNE_KERNEL_ENTRY(conv_forward), NNE_KERNEL_ENTRY(conv_backward_data), NNE_KERNEL_ENTRY(conv_backward_weights),
    NNE_KERNEL_ENTRY(conv_algorithm)
};

}  // namespace NNE_ISA_NS
}  // namespace nne
