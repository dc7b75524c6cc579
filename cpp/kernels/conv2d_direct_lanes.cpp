// Direct forward with the output channels in the vector lanes (compiled once per ISA). See conv2d_direct.h.
//
// Each tile holds RB output rows x QB output columns x KV vectors of output channels in registers; per tap it
// loads KV weight vectors (weights transposed to [tap][k]) and broadcasts one input value per position (columns
// SW = 1 or 2 inputs apart, rows stride_h rows apart). Only the P x Q outputs are computed (the stride-1 grid
// kernel also computes the Wp - Q padding columns of each row; the strided GEMM path first copies the taps by
// im2col), with the grid kernel's arithmetic: acc = fma(x, w, acc) over the taps in order from zero, the bias
// added last. Tiles at the right and bottom edges overlap their neighbours instead of shrinking (a recomputed
// output is the same value). Each band of RB output rows goes to [position][k] and is transposed to (k, p, q).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/buffer.h"
#include "core/cpuinfo.h"
#include "core/parallel.h"
#include "kernels/gemm_pack.h"  // transpose8x8
#include "kernels/conv2d_direct.h"
#include "kernels/conv_lanes_tile.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

constexpr int64_t kLanesMinTaps = 128;  // stride 1: from this many taps per output, always (conv2d_lanes_ok)

// Strided layers (stride_w 2, any stride_h) with at most this many taps per output (the 7x7/2 stem's 147) skip
// im2col + GEMM for the tiles.
constexpr int64_t kStridedTaps = 256;

bool two_vectors(const Grid& g) { return (g.Kg / kLanes) % 2 == 0; }

// The columns of a one-vector tile: of kQb1 and (AVX-512) the narrower 7, 6, 5, the one that computes the fewest
// columns per row with the overlapping right tile (ties: the widest); Q = 10 takes 5 (10 columns, not 16).
int qb_one(int64_t Q) {
  int best = kQb1;
#if defined(__AVX512F__)
  int64_t cols = (Q + kQb1 - 1) / kQb1 * kQb1;
  for (int qb : {7, 6, 5}) {
    const int64_t c = (Q + qb - 1) / qb * qb;
    if (c < cols) best = qb, cols = c;
  }
#else
  (void)Q;
#endif
  return best;
}

bool shorter_tiles(const Conv2dShape& s, int rb) { return shorter_tiles(s.P, rb, s.stride_h == 1 && s.stride_w == 1); }

// y[k][pos] = ob[pos - pos0][k] + bias for positions [pos0, pos0 + n) and channels [k0, k1): 8 x 8 blocks
// transposed in registers into tr (8 rows of n), each row then stored to y with the bias; `stream`: with
// non-temporal stores (an output larger than half the L3 is not read from cache by the next layer anyway, and
// streaming skips reading each line before writing it).
void store_band(float* y, int64_t PQ, const float* ob, int64_t Kg, int64_t pos0, int64_t n, int64_t k0, int64_t k1,
                const float* b, float* tr, bool stream) {
  const int64_t n8 = n / 8 * 8;
  for (int64_t k = k0; k < k1; k += 8) {
    const int kn = static_cast<int>(std::min<int64_t>(8, k1 - k));
    if (kn == 8)
      for (int64_t j = 0; j < n8; j += 8) transpose8x8(ob + j * Kg + k, Kg, tr + j, n);
    for (int c = 0; c < kn; ++c) {
      for (int64_t j = kn == 8 ? n8 : 0; j < n; ++j) tr[c * n + j] = ob[j * Kg + k + c];
      const float bias = b ? b[k + c] : 0.f;
      const VecF bv = vset1(bias);
      const float* t = tr + c * n;
      float* yk = y + (k + c) * PQ + pos0;
      int64_t j = 0;
      if (stream) {
        for (; j < n && reinterpret_cast<uintptr_t>(yk + j) % (kLanes * sizeof(float)) != 0; ++j) yk[j] = t[j] + bias;
        for (; j + kLanes <= n; j += kLanes) vstream(yk + j, vadd(vload(t + j), bv));
      }
      for (; j + kLanes <= n; j += kLanes) vstore(yk + j, vadd(vload(t + j), bv));
      for (; j < n; ++j) yk[j] = t[j] + bias;
    }
  }
}

// One group of one image, channel vectors [kv0, kv1): row bands of RB output rows (the last band overlapping
// its neighbour), each band's tiles into ob, then stored transposed.
template <int KV, int RB, int QB, int SW>
void lanes_bands(float* y, float* ob, const float* xp, const float* wt, const float* b, const Conv2dShape& s,
                 const Grid& g, const int64_t* off, int64_t kv0, int64_t kv1, bool stream) {
  constexpr int KL = KV * kLanes;
  const int64_t rstride = s.stride_h * g.Wp, PQ = s.P * s.Q;
  for (int64_t p0 = 0; p0 < s.P; p0 += RB) {
    const int64_t pp = std::min<int64_t>(p0, s.P - RB);
    for (int64_t k0 = kv0 * kLanes; k0 < kv1 * kLanes; k0 += KL)
      for (int64_t q0 = 0; q0 < s.Q; q0 += QB) {
        const int64_t qq = std::min<int64_t>(q0, s.Q - QB);
        lanes_tile<KV, RB, QB, SW>(ob + qq * g.Kg + k0, g.Kg, s.Q, xp + pp * rstride + qq * SW, rstride, off,
                                   wt + k0, g.Kg, g.CRS);
      }
    store_band(y, PQ, ob, g.Kg, pp * s.Q, RB * s.Q, kv0 * kLanes, kv1 * kLanes, b, ob + kRb1 * s.Q * g.Kg, stream);
  }
}

template <int KV, int RB, int QB>
void lanes_group(float* y, float* ob, const float* xp, const float* wt, const float* b, const Conv2dShape& s,
                 const Grid& g, const int64_t* off, int64_t kv0, int64_t kv1, bool stream) {
  const bool fewer = shorter_tiles(s, RB);
  if (s.stride_w == 1) {
    if (fewer) return lanes_bands<KV, RB - 1, QB, 1>(y, ob, xp, wt, b, s, g, off, kv0, kv1, stream);
    return lanes_bands<KV, RB, QB, 1>(y, ob, xp, wt, b, s, g, off, kv0, kv1, stream);
  }
  if (fewer) return lanes_bands<KV, RB - 1, QB, 2>(y, ob, xp, wt, b, s, g, off, kv0, kv1, stream);
  lanes_bands<KV, RB, QB, 2>(y, ob, xp, wt, b, s, g, off, kv0, kv1, stream);
}

// One output row (Conv1d): tiles of one row and C columns, C the widest tile's columns (a tile's rows laid along the
// row) or 5/6 or 2/3 of it, whichever computes the fewest columns with the overlapping right tile (ties: the
// widest); Q = 100 with 12-column tiles takes 10 (100 columns, not 108).
int one_row_cols(int64_t Q, int widest) {
  int best = widest;
  int64_t cols = (Q + widest - 1) / widest * widest;
  for (int c : {widest * 5 / 6, widest * 2 / 3}) {
    const int64_t n = (Q + c - 1) / c * c;
    if (n < cols) best = c, cols = n;
  }
  return best;
}

template <int KV, int C>
void one_row(float* y, float* ob, const float* xp, const float* wt, const float* b, const Conv2dShape& s,
             const Grid& g, const int64_t* off, int64_t kv0, int64_t kv1, bool stream) {
  if (s.stride_w == 1) return lanes_bands<KV, 1, C, 1>(y, ob, xp, wt, b, s, g, off, kv0, kv1, stream);
  lanes_bands<KV, 1, C, 2>(y, ob, xp, wt, b, s, g, off, kv0, kv1, stream);
}

template <int KV, int C>
void one_row_group(float* y, float* ob, const float* xp, const float* wt, const float* b, const Conv2dShape& s,
                   const Grid& g, const int64_t* off, int64_t kv0, int64_t kv1, bool stream) {
  const int c = one_row_cols(s.Q, C);
  if (c == C * 5 / 6) return one_row<KV, C * 5 / 6>(y, ob, xp, wt, b, s, g, off, kv0, kv1, stream);
  if (c == C * 2 / 3) return one_row<KV, C * 2 / 3>(y, ob, xp, wt, b, s, g, off, kv0, kv1, stream);
  one_row<KV, C>(y, ob, xp, wt, b, s, g, off, kv0, kv1, stream);
}

// One image, channel vectors [kv0, kv1) of every group (kv counted in single vectors, whole tiles).
void lanes_image(float* y, const float* x, const float* wt, const float* b, const Conv2dShape& s, const Grid& g,
                 int64_t kv0, int64_t kv1, bool stream) {
  static thread_local ScratchBuf xbuf, obuf;
  static thread_local std::vector<int64_t> off;
  // without padding the tiles read the image in place: every read lies inside its channel planes (the tiles
  // cover only the P x Q outputs), so there is nothing to pad and no slack to provide
  const bool in_place = s.pad_h == 0 && s.pad_w == 0;
  float* xp = in_place ? nullptr : xbuf.get(static_cast<size_t>(g.xsize));
  // one band (kRb1 >= kRb2) and 8 transposed rows of it
  float* ob = obuf.get(static_cast<size_t>(kRb1 * s.Q * g.Kg + 8 * kRb1 * s.Q));
  off.resize(static_cast<size_t>(g.CRS));
  tap_offsets(off.data(), s, g);
  for (int64_t gr = 0; gr < s.groups; ++gr) {
    const float* xg = x + gr * g.Cg * s.H * s.W;
    if (!in_place) pad_input(xp, xg, s, g);
    const float* xr = in_place ? xg : xp;
    float* yg = y + gr * g.Kg * s.P * s.Q;
    const float* wg = wt + gr * g.CRS * g.Kg;
    const float* bg = b ? b + gr * g.Kg : nullptr;
    if (s.P == 1) {  // one output row (Conv1d): a tile's rows laid along it
      if (two_vectors(g)) {
        one_row_group<2, kRb2 * kQb2>(yg, ob, xr, wg, bg, s, g, off.data(), kv0, kv1, stream);
      } else {
        one_row_group<1, kRb1 * kQb1>(yg, ob, xr, wg, bg, s, g, off.data(), kv0, kv1, stream);
      }
      continue;
    }
    if (two_vectors(g)) {
      lanes_group<2, kRb2, kQb2>(yg, ob, xr, wg, bg, s, g, off.data(), kv0, kv1, stream);
      continue;
    }
    switch (qb_one(s.Q)) {
#if defined(__AVX512F__)
      case 7: lanes_group<1, kRb1, 7>(yg, ob, xr, wg, bg, s, g, off.data(), kv0, kv1, stream); break;
      case 6: lanes_group<1, kRb1, 6>(yg, ob, xr, wg, bg, s, g, off.data(), kv0, kv1, stream); break;
      case 5: lanes_group<1, kRb1, 5>(yg, ob, xr, wg, bg, s, g, off.data(), kv0, kv1, stream); break;
#endif
      default: lanes_group<1, kRb1, kQb1>(yg, ob, xr, wg, bg, s, g, off.data(), kv0, kv1, stream);
    }
  }
  if (stream) vstream_fence();  // the streamed rows are visible before the pool reports this chunk done
}

}  // namespace

bool conv2d_lanes_ok(const Conv2dShape& s) {
  if (s.bf16 || s.stride_w > 2) return false;  // bf16 products come from the GEMM path
  const bool unit = s.stride_h == 1 && s.stride_w == 1;
  if (unit && !conv2d_direct_ok(s, DirectOp::forward)) return false;
  const Grid g = grid(s);
  if (g.Kg % kLanes != 0) return false;
  const bool two = two_vectors(g);
  const int rb = two ? kRb2 : kRb1, qb = two ? kQb2 : qb_one(s.Q);
  // every tile re-reads the transposed weights of its channel block: keep them within a quarter of L2
  const int64_t wbytes = g.CRS * (two ? 2 : 1) * kLanes * static_cast<int64_t>(sizeof(float));
  if (wbytes > static_cast<int64_t>(cache_info().l2) / 4) return false;
  // one output row (Conv1d): tiles of one row, rb * qb columns wide; the grid kernel computes the padding columns
  // and rounds the row up to whole vectors
  if (s.P == 1) return s.Q >= rb * (two ? kQb2 : kQb1) && (!unit || g.CRS >= kLanesMinTaps);
  if (s.Q < (two ? kQb2 : kQb1)) return false;
  if (s.P < rb - 1) return false;  // rb - 1: see lanes_group
  if (!unit) return g.CRS <= kStridedTaps;
  // stride 1: worth it with many taps per output (the bands' transposes amortized; the grid kernel's loads of x
  // at every tap's shift mostly straddle cache lines, the weight vectors here do not), or when the grid kernel
  // computes over an eighth more outputs (padding columns, rounding). Sapphire Rapids, N32-128, against the grid
  // kernel (alternating processes, 1 and 2 threads): 64 -> 64 3x3 on 56x56 and 32x32 8-10% faster, 96 -> 96 on
  // 28x28 7-10%, 32 -> 32 on 16x16 12-16%, 16 -> 16 on 32x32 (144 taps) 4%; 3 -> 64 on 112x112 (27 taps) 17-22%
  // slower.
  if (g.CRS >= kLanesMinTaps) return true;
  const int64_t rows = std::min(rows_computed(s.P, rb), rows_computed(s.P, rb - 1));
  const int64_t tiles = rows * ((s.Q + qb - 1) / qb * qb), grid_n = g.nvec * kLanes;
  return 8 * (grid_n - tiles) > grid_n;
}

void conv2d_lanes_forward(float* y, const float* x, const float* w, const float* b, const Conv2dShape& s) {
  const Grid g = grid(s);
  static thread_local ScratchBuf wbuf;
  float* wt = wbuf.get(static_cast<size_t>(s.K * g.CRS));
  weights_tap_major(wt, w, s.groups, g.Kg, g.CRS);
  // Work units: images, each cut into `split` ranges of tile columns of channels when there are few images.
  const int64_t step = two_vectors(g) ? 2 : 1, nkv = g.Kg / kLanes / step;
  const int64_t split = s.N >= 4 ? 1 : std::min<int64_t>(nkv, 4);
  const int64_t flops = std::max<int64_t>(1, 2 * s.K * s.P * s.Q * g.CRS / split);
  const bool stream = s.N * s.K * s.P * s.Q * static_cast<int64_t>(sizeof(float)) > cache_info().l3 / 2;
  parallel_for(0, s.N * split, std::max<int64_t>(1, (int64_t{1} << 18) / flops), [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t n = u / split, part = u % split;
      lanes_image(y + n * s.K * s.P * s.Q, x + n * s.C * s.H * s.W, wt, b, s, g, step * (nkv * part / split),
                  step * (nkv * (part + 1) / split), stream);
    }
  });
}

}  // namespace NNE_ISA_NS
}  // namespace nne
