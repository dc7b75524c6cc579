// Direct stride-1 forward with the output channels in the vector lanes (compiled once per ISA). See
// conv2d_direct.h.
//
// Each tile holds RB output rows x QB output columns x KV vectors of output channels in registers; per tap it
// loads KV weight vectors (weights transposed to [tap][k]) and broadcasts one input value per position. Only
// the P x Q outputs are computed (the grid kernel also computes the Wp - Q padding columns of each row), with
// the grid kernel's arithmetic: acc = fma(x, w, acc) over the taps in order from zero, the bias added last.
// Tiles at the right and bottom edges overlap their neighbours instead of shrinking (a recomputed output is
// the same value). The tile results go to [position][k] and are transposed to (k, p, q) per image.
#include <algorithm>
#include <vector>

#include "core/buffer.h"
#include "core/cpuinfo.h"
#include "core/parallel.h"
#include "kernels/conv2d_direct.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// Tiles: KV channel vectors x RB rows x QB columns. RB is kRb or kRb - 1, whichever computes fewer rows with
// the overlapping bottom tile (P = 8: 2 x 4 rows, not 3 x 3).
#if defined(__AVX512F__)
constexpr int kRb1 = 3, kQb1 = 8;  // one channel vector: 24 accumulators
constexpr int kRb2 = 3, kQb2 = 4;  // two channel vectors: 24 accumulators
#else
constexpr int kRb1 = 3, kQb1 = 4;  // 12 accumulators, the weight vector and a broadcast: 14 of 16 registers
constexpr int kRb2 = 2, kQb2 = 3;  // 12 accumulators, two weight vectors and a broadcast
#endif

// ob[(p0 + r) * Q + q0 + q][v * L ...] = sum over taps i of xp[off[i] + (p0 + r) * Wp + q0 + q] * wt[i][v * L ...]
template <int KV, int RB, int QB>
void lanes_tile(float* ob, int64_t ldo, const float* xp, int64_t Wp, int64_t Q, const int64_t* off, const float* wt,
                int64_t ldw, int64_t CRS, int64_t p0, int64_t q0) {
  VecF acc[RB * QB][KV];
  for (int j = 0; j < RB * QB; ++j)
    for (int v = 0; v < KV; ++v) acc[j][v] = vzero();
  const float* base = xp + p0 * Wp + q0;
  for (int64_t i = 0; i < CRS; ++i) {
    VecF wv[KV];
    for (int v = 0; v < KV; ++v) wv[v] = vload(wt + i * ldw + v * kLanes);
    const float* xr = base + off[i];
    for (int r = 0; r < RB; ++r, xr += Wp)  // one pointer per row: the columns are constant displacements
      for (int q = 0; q < QB; ++q) {
        const VecF xs = vset1(xr[q]);
        for (int v = 0; v < KV; ++v) acc[r * QB + q][v] = vfma(xs, wv[v], acc[r * QB + q][v]);
      }
  }
  for (int r = 0; r < RB; ++r)
    for (int q = 0; q < QB; ++q)
      for (int v = 0; v < KV; ++v) vstore(ob + ((p0 + r) * Q + q0 + q) * ldo + v * kLanes, acc[r * QB + q][v]);
}

template <int KV, int RB, int QB>
void lanes_group(float* ob, const float* xp, const Conv2dShape& s, const Grid& g, const int64_t* off, const float* wt,
                 int64_t kv0, int64_t kv1) {
  constexpr int KL = KV * kLanes;
  for (int64_t k0 = kv0 * kLanes; k0 < kv1 * kLanes; k0 += KL)
    for (int64_t p0 = 0; p0 < s.P; p0 += RB) {
      const int64_t pp = std::min<int64_t>(p0, s.P - RB);
      for (int64_t q0 = 0; q0 < s.Q; q0 += QB)
        lanes_tile<KV, RB, QB>(ob + k0, g.Kg, xp, g.Wp, s.Q, off, wt + k0, g.Kg, g.CRS, pp,
                               std::min<int64_t>(q0, s.Q - QB));
    }
}

bool two_vectors(const Grid& g) { return (g.Kg / kLanes) % 2 == 0; }

int64_t rows_computed(int64_t P, int rb) { return (P + rb - 1) / rb * rb; }

template <int KV, int RB, int QB>
void lanes_rows(float* ob, const float* xp, const Conv2dShape& s, const Grid& g, const int64_t* off, const float* wt,
                int64_t kv0, int64_t kv1) {
  if (rows_computed(s.P, RB - 1) < rows_computed(s.P, RB)) lanes_group<KV, RB - 1, QB>(ob, xp, s, g, off, wt, kv0, kv1);
  else lanes_group<KV, RB, QB>(ob, xp, s, g, off, wt, kv0, kv1);
}

// One image, channel vectors [kv0, kv1) of every group (kv counted in single vectors, whole tiles).
void lanes_image(float* y, const float* x, const float* wt, const float* b, const Conv2dShape& s, const Grid& g,
                 int64_t kv0, int64_t kv1) {
  static thread_local ScratchBuf xbuf, obuf;
  static thread_local std::vector<int64_t> off;
  float* xp = xbuf.get(static_cast<size_t>(g.xsize));
  const int64_t PQ = s.P * s.Q;
  float* ob = obuf.get(static_cast<size_t>(PQ * g.Kg));
  off.resize(static_cast<size_t>(g.CRS));
  tap_offsets(off.data(), s, g);
  for (int64_t gr = 0; gr < s.groups; ++gr) {
    pad_input(xp, x + gr * g.Cg * s.H * s.W, s, g);
    const float* wg = wt + gr * g.CRS * g.Kg;
    if (two_vectors(g)) lanes_rows<2, kRb2, kQb2>(ob, xp, s, g, off.data(), wg, kv0, kv1);
    else lanes_rows<1, kRb1, kQb1>(ob, xp, s, g, off.data(), wg, kv0, kv1);
    for (int64_t k = kv0 * kLanes; k < kv1 * kLanes; ++k) {
      const float bias = b ? b[gr * g.Kg + k] : 0.f;
      float* yk = y + (gr * g.Kg + k) * PQ;
      for (int64_t m = 0; m < PQ; ++m) yk[m] = ob[m * g.Kg + k] + bias;
    }
  }
}

}  // namespace

bool conv2d_lanes_ok(const Conv2dShape& s) {
  const Grid g = grid(s);
  if (g.Kg % kLanes != 0) return false;
  const bool two = two_vectors(g);
  const int rb = two ? kRb2 : kRb1, qb = two ? kQb2 : kQb1;
  if (s.P < rb - 1 || s.Q < qb) return false;  // rb - 1: see lanes_rows
  // every tile re-reads the transposed weights of its channel block: keep them within a quarter of L2
  const int64_t wbytes = g.CRS * (two ? 2 : 1) * kLanes * static_cast<int64_t>(sizeof(float));
  if (wbytes > static_cast<int64_t>(cache_info().l2) / 4) return false;
  // worth it when the grid kernel computes over an eighth more outputs (padding columns, rounding) than the tiles
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
  parallel_for(0, s.N * split, std::max<int64_t>(1, (int64_t{1} << 18) / flops), [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t n = u / split, part = u % split;
      lanes_image(y + n * s.K * s.P * s.Q, x + n * s.C * s.H * s.W, wt, b, s, g, step * (nkv * part / split),
                  step * (nkv * (part + 1) / split));
    }
  });
}

}  // namespace NNE_ISA_NS
}  // namespace nne
