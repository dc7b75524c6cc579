// Packed, cache-blocked, register-tiled SGEMM (compiled once per ISA). See gemm.h for the contract.
// Reference: Goto & van de Geijn, "Anatomy of high-performance matrix multiplication" (2008);
// BLIS micro-kernel design (Van Zee & van de Geijn 2015).
#include "kernels/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/buffer.h"
#include "core/cpuinfo.h"
#include "core/kernel_status.h"
#include "core/parallel.h"
#include "core/simd.h"
#include "kernels/bf16_round.h"
#include "kernels/gemm_bf16.h"
#include "kernels/gemm_dot.h"
#include "kernels/gemm_micro.h"
#include "kernels/gemm_pack.h"
#include "kernels/gemm_probe.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

constexpr int NV = TileStd::NV;  // column vectors of the few-rows path
constexpr int NR = TileStd::NR;
// Blocking (KC, MC, NC and the "B fits in L2" limit) comes from the caches the CPU reports
// (core/cpuinfo.h), read once per call: every element of one call is the same FMA chain over the same
// KC blocks, whatever the path, tile shape or thread split.
constexpr int64_t kSmallM = 4;            // up to this many rows: no packing at all (GEMV-like kernels)
constexpr int64_t kBf16DotRows = 4;       // bf16 with a transposed B: up to this many rows on gemm_dot<true>
constexpr int64_t kDirectACols = 64;      // up to this many columns, A is not packed
// Up to kDirectBRows rows (kDirectBRowsL2 when B fits in L2), B is read in place, not packed ahead.
// From L3, packing (row-sequential reads that prefetch well) wins from ~128 rows. In L2, the in-place
// path's loop order (each packed NR-column panel of B reused by every row panel, A's panels streamed)
// wins up to a few hundred rows: Sapphire Rapids, one thread, 192-256 rows (K 256-512) 4-7% faster
// than packing B ahead, 512 rows level to 4% slower, ~1000 rows level (K 256) to 4% slower (K 64).
constexpr int64_t kDirectBRows = 64, kDirectBRowsL2 = 256;

template <class T>
int64_t nc_cols(const GemmBlocking& blk) {
  return std::max<int64_t>(1, blk.nc / T::NR) * T::NR;
}
template <class T>
int64_t mc_rows(const GemmBlocking& blk) {
  return std::max<int64_t>(1, blk.mc / T::MR) * T::MR;
}

// Serial blocked GEMM on the C block [m0, m1) x [n0, n1). BLIS loop order with the roles mapped
// to our row-major micro-kernel: the broadcast side (A, MR rows) is packed once per (MC x KC) block
// (L3/L2 resident) and its MR x KC micro-panel stays in L1; the vector side (B, KC x NC block)
// is packed into L2 and streamed NR columns at a time.
template <class T>
void gemm_block(const GemmArgs& g, const GemmBlocking& blk, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  constexpr int MR = T::MR, NR = T::NR;
  const int64_t MC = mc_rows<T>(blk), NC = nc_cols<T>(blk), KC = blk.kc;
  static thread_local ScratchBuf abuf, bbuf;
  float* pa = abuf.get(static_cast<size_t>((MC + MR) * KC));
  float* pb = bbuf.get(static_cast<size_t>(KC * (NC + NR)));
  // Narrow C: each A element is used by few B panels, so full MR-row panels of a non-transposed A
  // are read in place; only a ragged last panel is packed.
  const bool direct_a = !g.trans_a && !g.pack_a && (n1 - n0) <= kDirectACols;
  for (int64_t ic = m0; ic < m1; ic += MC) {
    const int64_t mc = std::min(MC, m1 - ic);
    for (int64_t pc = 0; pc < g.K; pc += KC) {
      const int64_t kc = std::min(KC, g.K - pc);
      const bool first = pc == 0;
      if (!direct_a) pack_a<MR>(g, ic, mc, pc, kc, pa);
      for (int64_t jc = n0; jc < n1; jc += NC) {
        const int64_t nc = std::min(NC, n1 - jc);
        if (g.pack_b)
          g.pack_b(g.pack_b_ctx, pc, kc, jc, nc, NR, pb);
        else
          pack_b<NR>(g, pc, kc, jc, nc, pb);
        for (int64_t ir = 0; ir < mc; ir += MR) {
          const int rows = static_cast<int>(std::min<int64_t>(MR, mc - ir));
          if (direct_a && rows < MR) pack_a<MR>(g, ic + ir, rows, pc, kc, pa + ir * kc);
          for (int64_t jr = 0; jr < nc; jr += NR) {
            const int cols = static_cast<int>(std::min<int64_t>(NR, nc - jr));
            float* c = g.C + (ic + ir) * g.ldc + jc + jr;
            const float* br = g.bias_row ? g.bias_row + ic + ir : nullptr;
            const float* bc = g.bias_col ? g.bias_col + jc + jr : nullptr;
            if (direct_a && rows == MR)
              micro_kernel<T, true>(kc, g.A + (ic + ir) * g.lda + pc, pb + jr * kc, NR, c, g.ldc, rows, cols,
                                    g.alpha, g.beta, first, br, bc, g.lda);
            else if (rows == MR && cols == NR)
              micro_kernel<T>(kc, pa + ir * kc, pb + jr * kc, NR, c, g.ldc, rows, cols, g.alpha, g.beta, first, br,
                              bc);
            else
              micro_kernel_edge<T>(kc, pa + ir * kc, pb + jr * kc, c, g.ldc, rows, cols, g.alpha, g.beta, first, br,
                                   bc);
          }
        }
      }
    }
  }
}

// Few rows of A: packing B would cost as much as using it, so full NR-wide column panels of a
// non-transposed B are read in place (row stride ldb) and only the ragged last panel is packed.
template <class T>
void gemm_block_direct_b(const GemmArgs& g, const GemmBlocking& blk, int64_t m0, int64_t m1, int64_t n0,
                         int64_t n1) {
  constexpr int MR = T::MR, NR = T::NR;
  const int64_t MC = mc_rows<T>(blk), KC = blk.kc;
  static thread_local ScratchBuf abuf, ebuf, bbuf;
  float* pa = abuf.get(static_cast<size_t>((MC + MR) * KC));
  float* pe = ebuf.get(static_cast<size_t>(KC * NR));
  float* pb = bbuf.get(static_cast<size_t>(KC * NR));
  for (int64_t ic = m0; ic < m1; ic += MC) {
    const int64_t mc = std::min(MC, m1 - ic);
    for (int64_t pc = 0; pc < g.K; pc += KC) {
      const int64_t kc = std::min(KC, g.K - pc);
      const bool first = pc == 0;
      pack_a<MR>(g, ic, mc, pc, kc, pa);
      const int64_t n_full = n0 + ((n1 - n0) / NR) * NR;
      if (n_full < n1) pack_b<NR>(g, pc, kc, n_full, n1 - n_full, pe);
      // The full row panels after the first prefetch the next column panel's B rows (read in place by the next
      // first row panel) into L2, kc / ahead rows each: from memory, the first panel would otherwise wait for
      // every row, its own prefetches (kPrefetchRows ahead) being too close for memory latency. Sapphire Rapids,
      // 1 thread, B cold (from memory): 64x3136x256 133-134 -> 143-148 GFLOP/s (hot, from L3: level, 166-170), a
      // pointwise 256 -> 64 convolution on 56x56 (N8) 5.8-5.9 -> 5.3-5.5 ms; prefetching two panels ahead: level.
      const int64_t ahead = mc / MR - 1;
      for (int64_t jr = n0; jr < n1; jr += NR) {
        const bool edge = jr >= n_full;
        const int cols = static_cast<int>(std::min<int64_t>(NR, n1 - jr));
        const float* bc = g.bias_col ? g.bias_col + jr : nullptr;
        const float* next = jr + NR < n_full ? g.B + pc * g.ldb + jr + NR : nullptr;
        for (int64_t ir = 0; ir < mc; ir += MR) {
          const int rows = static_cast<int>(std::min<int64_t>(MR, mc - ir));
          float* c = g.C + (ic + ir) * g.ldc + jr;
          const float* br = g.bias_row ? g.bias_row + ic + ir : nullptr;
          if (!edge && ir > 0 && rows == MR && next && ahead > 0) {
            const int64_t p = ir / MR, r0 = (p - 1) * kc / ahead, r1 = p * kc / ahead;
            micro_kernel<T, false, kPackedAhead>(kc, pa + ir * kc, pb, NR, c, g.ldc, rows, cols, g.alpha, g.beta,
                                                 first, br, bc, 0, nullptr, next + r0 * g.ldb, g.ldb, r1 - r0);
          } else if (edge || ir > 0)
            micro_kernel_edge<T>(kc, pa + ir * kc, edge ? pe : pb, c, g.ldc, rows, cols, g.alpha, g.beta, first, br,
                                 bc);
          else if (mc <= MR)  // the only row panel: B read in place
            micro_kernel<T, false, kInPlace>(kc, pa, g.B + pc * g.ldb + jr, g.ldb, c, g.ldc, rows, cols, g.alpha,
                                             g.beta, first, br, bc);
          else  // first row panel: B read in place, packed on the way for the next row panels
            micro_kernel<T, false, kInPlaceCopy>(kc, pa, g.B + pc * g.ldb + jr, g.ldb, c, g.ldc, rows, cols,
                                                 g.alpha, g.beta, first, br, bc, 0, pb);
        }
      }
    }
  }
}

template <class T>
void gemm_range(const GemmArgs& g, const GemmBlocking& blk, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const bool narrow = !g.trans_a && !g.pack_a && n1 - n0 <= kDirectACols;  // gemm_block reads A in place, B is small
  const int64_t rows = m1 - m0, direct_rows = g.K * (n1 - n0) <= blk.l2_floats ? kDirectBRowsL2 : kDirectBRows;
  if (!narrow && !g.trans_b && !g.pack_b && rows <= direct_rows) return gemm_block_direct_b<T>(g, blk, m0, m1, n0, n1);
  gemm_block<T>(g, blk, m0, m1, n0, n1);
}

// Chunks per thread for parallel_for's dynamic schedule (a thread sharing its core does fewer). Each
// chunk packs the operand all chunks share (A for column slabs, B for row slabs) again, so chunks stay
// at least min_width rows/columns wide: kChunkWidth (packing under ~3% of a chunk's work) when the shared
// operand is packed; kChunkWidthB when short row chunks read B in place (each chunk's first row panel
// still reads all of B from L2/L3 and copies it, at about half the speed of the others: Sapphire Rapids,
// 256^3 at 2 threads, 8 chunks of ~32 rows 230-258 GFLOP/s, 2 chunks 263-294); no minimum when narrow
// column chunks read A in place (their panels use it straight from memory, nothing is copied).
constexpr int64_t kChunkWidth = 512, kChunkWidthB = 128;
int64_t chunks_per_thread(int64_t width, int64_t min_width) {
  constexpr int64_t kChunks = 4;
  if (min_width <= 0) return kChunks;
  const int64_t nt = std::max(1, get_num_threads());
  return std::min<int64_t>(kChunks, std::max<int64_t>(1, width / (nt * min_width)));
}

// Threads split C into NR-aligned column slabs or MR-aligned row slabs.
template <class T>
void sgemm_tiled(const GemmArgs& g, const GemmBlocking& blk) {
  constexpr int MR = T::MR, NR = T::NR;
  const int64_t tiles_m = (g.M + MR - 1) / MR, tiles_n = (g.N + NR - 1) / NR;
  // Grain: at least ~2 MFLOP of work per thread chunk.
  const int64_t flops_per_tile_col = 2 * g.M * g.K * NR, flops_per_tile_row = 2 * g.N * g.K * MR;
  constexpr int64_t kMinFlops = 1 << 21;  // ~15 us of work: below that a second thread costs more than it saves
  // Column slabs: every thread packs all of op(A) and its share of op(B); row slabs: the reverse. Take
  // the split that packs less per thread (a transposing pack costs about twice a copying one).
  const int64_t pack_a = g.M * (g.trans_a ? 1 : 2), pack_b = g.N * (g.trans_b ? 2 : 1);
  // Column chunks narrow enough to read A in place pack nothing that another chunk packs too, while row chunks all
  // read and copy the whole of B (B in place: their first row panel reads it from memory at about half speed), so
  // those take column slabs whatever the packing sizes. AMD EPYC (AVX2), 2 threads: 128^3 38 -> 60 GFLOP/s, 256^3
  // 52 -> 69, 512^3 66 -> 69 (torch 56, 67, 66); 1024^3 (A packed) stays on row slabs.
  const int64_t nt4 = std::max(1, get_num_threads()) * int64_t{4};  // threads x the most chunks per thread
  const bool a_in_place = !g.trans_a && !g.pack_a && g.N <= nt4 * kDirectACols;
  if (g.M <= MR || (tiles_n >= 2 && (pack_b >= pack_a || a_in_place))) {
    const int64_t grain = std::max<int64_t>(1, kMinFlops / std::max<int64_t>(1, flops_per_tile_col));
    parallel_for(0, tiles_n, grain, [&](int64_t b, int64_t e) {
      gemm_range<T>(g, blk, 0, g.M, b * NR, std::min(g.N, e * NR));
    }, chunks_per_thread(g.N, a_in_place ? 0 : kChunkWidth));
  } else {
    const int64_t grain = std::max<int64_t>(1, kMinFlops / std::max<int64_t>(1, flops_per_tile_row));
    const bool b_in_place = !g.trans_b && !g.pack_b && g.M <= nt4 * kDirectBRows;
    parallel_for(0, tiles_m, grain, [&](int64_t b, int64_t e) {
      gemm_range<T>(g, blk, b * MR, std::min(g.M, e * MR), 0, g.N);
    }, chunks_per_thread(g.M, b_in_place ? kChunkWidthB : kChunkWidth));
  }
}

// C = beta*C + biases when K == 0 (no products).
void gemm_no_k(const GemmArgs& g) {
  for (int64_t i = 0; i < g.M; ++i)
    for (int64_t j = 0; j < g.N; ++j) {
      float* c = g.C + i * g.ldc + j;
      float r = g.beta != 0.f ? g.beta * *c : 0.f;
      if (g.bias_row) r += g.bias_row[i];
      if (g.bias_col) r += g.bias_col[j];
      *c = r;
    }
}

// Few rows of C with a non-transposed B (batch-1 inference, streaming one time step): packing would
// cost more than the product, so row k of B is loaded once per K step and feeds all MM rows. Each
// element is the same FMA chain over the same KC blocks, with the same epilogue, as in the tiled
// path, so a row's result does not depend on how many rows the call had (chunked == whole sequence).
// Work is split over whole vector-width column blocks.
template <int MM, bool kRound>
void small_m_axpy(const GemmArgs& g, const float* arow, int64_t k0, int64_t kc, bool first, int64_t j0,
                  int64_t j1) {
  constexpr int64_t ld = kGemmKcMax;  // row stride of arow
  constexpr int V = NV;  // column vectors per register tile, as in the micro-kernel
  const VecF va = vset1(g.alpha);
  for (int64_t j = j0; j < j1; j += V * kLanes) {
    const int64_t width = std::min<int64_t>(V * kLanes, g.N - j);
    VecF acc[MM][V];
    for (int i = 0; i < MM; ++i)
      for (int v = 0; v < V; ++v) acc[i][v] = vzero();
    for (int64_t k = 0; k < kc; ++k) {
      const float* b = g.B + (k0 + k) * g.ldb + j;
      VecF bv[V];
      if (width == V * kLanes) {
        for (int v = 0; v < V; ++v) bv[v] = vload(b + v * kLanes);
      } else {
        alignas(64) float t[V * kLanes] = {};
        for (int64_t l = 0; l < width; ++l) t[l] = b[l];
        for (int v = 0; v < V; ++v) bv[v] = vload(t + v * kLanes);
      }
      if (kRound)
        for (int v = 0; v < V; ++v) bv[v] = bf16_round_vec(bv[v]);
      for (int i = 0; i < MM; ++i) {
        const VecF a = vset1(arow[i * ld + k]);
        for (int v = 0; v < V; ++v) acc[i][v] = vfma(a, bv[v], acc[i][v]);
      }
    }
    alignas(64) float tile[MM * V * kLanes];
    for (int i = 0; i < MM; ++i)
      for (int v = 0; v < V; ++v) vstore(tile + i * V * kLanes + v * kLanes, vmul(va, acc[i][v]));
    store_edge(g.C + j, g.ldc, tile, V * kLanes, MM, static_cast<int>(width), g.beta, first,
               g.bias_row, g.bias_col ? g.bias_col + j : nullptr);
  }
}

// kRound: the bf16 compute (gemm_bf16.h) on these rows, op(A) rounded when gathered and B as it is loaded
// (bf16_round.h), as gemm_dot does for a transposed B.
template <bool kRound>
void gemm_small_m(const GemmArgs& g, const GemmBlocking& blk) {
  const int64_t M = g.M, N = g.N, K = g.K;
  const int64_t blocks = (N + NR - 1) / NR;
  const int64_t grain = std::max<int64_t>(2, (1 << 16) / std::max<int64_t>(1, K * NR));
  parallel_for(0, blocks, grain, [&](int64_t b0, int64_t b1) {
    const int64_t n0 = b0 * NR, n1 = std::min(N, b1 * NR);
    constexpr int64_t ld = kGemmKcMax;  // row stride of arow (small_m_axpy's KC)
    alignas(64) float arow[kSmallM * ld];
    for (int64_t k0 = 0; k0 < K; k0 += blk.kc) {  // K > 0 here (sgemm_impl handles K == 0)
      const int64_t kc = std::min<int64_t>(blk.kc, K - k0);
      const bool first = k0 == 0;
      for (int64_t i = 0; i < M; ++i)  // gather op(A)'s rows for this K block
        for (int64_t k = 0; k < kc; ++k)
          arow[i * ld + k] = g.trans_a ? g.A[(k0 + k) * g.lda + i] : g.A[i * g.lda + k0 + k];
      if (kRound)
        for (int64_t i = 0; i < M; ++i) round_bf16(arow + i * ld, kc);
      switch (M) {
        case 1: small_m_axpy<1, kRound>(g, arow, k0, kc, first, n0, n1); break;
        case 2: small_m_axpy<2, kRound>(g, arow, k0, kc, first, n0, n1); break;
        case 3: small_m_axpy<3, kRound>(g, arow, k0, kc, first, n0, n1); break;
        default: small_m_axpy<4, kRound>(g, arow, k0, kc, first, n0, n1); break;
      }
    }
  });
}

// Cost of an M x N product on tile shape T: the padded tile area it really computes, scaled by the
// shape's throughput. The shape never changes a result (every element is the same FMA chain over
// the same KC blocks), only the speed.
template <class T>
int64_t tile_cost(int64_t M, int64_t N) {
  return ((M + T::MR - 1) / T::MR) * T::MR * ((N + T::NR - 1) / T::NR) * T::NR * 100 / T::eff;
}

enum class Shape { Std, Wide, Narrow };

// The one-vector Narrow tile also covers what a transposed product (C^T = op(B)^T op(A)^T) would
// win on few-column outputs, without transposing A and the result (measured: 128x10x128 1.07x MKL).
Shape best_shape(int64_t M, int64_t N) {
  Shape s = Shape::Std;
  int64_t c = tile_cost<TileStd>(M, N);
  if (const int64_t w = tile_cost<TileWide>(M, N); w < c) s = Shape::Wide, c = w;
  if (tile_cost<TileNarrow>(M, N) < c) s = Shape::Narrow;
  return s;
}

// bf16 with a caller-supplied packer: the bf16 kernel reads its operands in memory, so op(B) (and op(A)^T) are
// materialized first through the packers, asked for the blocks and panels the float32 path asks for.
void sgemm_bf16_packed(const GemmArgs& g, const GemmBlocking& blk, SgemmFn bf16) {
  static thread_local ScratchBuf abuf, bbuf, pbuf;
  const int64_t kc = std::max<int64_t>(1, blk.kc), nc = nc_cols<TileStd>(blk);
  float* a = g.pack_a ? abuf.get(static_cast<size_t>(g.K * g.M)) : nullptr;
  float* b = g.pack_b ? bbuf.get(static_cast<size_t>(g.K * g.N)) : nullptr;
  bf16(operands_in_memory(g, a, b, NR, kc, nc, pbuf.get(static_cast<size_t>(kc * nc))));
}

void sgemm_impl(const GemmArgs& g) {
  if (g.M <= 0 || g.N <= 0) return;
  if (g.K <= 0) return gemm_no_k(g);
  const GemmBlocking blk = gemm_blocking();
  const bool in_memory = !g.pack_a && !g.pack_b;  // else the packed tiled path (gemm.h)
  if (g.bf16) {
    const SgemmFn bf16 = bf16_gemm_kernel();
    if (!bf16) return sgemm_bf16_reference(g);
    // few rows: the float32 GEMV-like kernels on values rounded as they are read; the bf16 kernels convert and
    // pack all of op(B) per call, which costs more than such a product (Sapphire Rapids, one thread, 784 -> 256:
    // 19.5 us at 1 row, 27 us at 4, against 27 us for AMX at any row count up to 32; 44-52 us at 5-8 rows)
    if (g.M <= kSmallM && !g.trans_b && in_memory) return gemm_small_m<true>(g, blk);
    if (g.M <= kBf16DotRows && g.trans_b && in_memory) return gemm_dot<true>(g);
    return in_memory ? bf16(g) : sgemm_bf16_packed(g, blk, bf16);
  }
  if (g.M <= kSmallM && !g.trans_b && in_memory) return gemm_small_m<false>(g, blk);
  if (g.M <= kDotRows && g.trans_b && in_memory) return gemm_dot<false>(g);
  switch (best_shape(g.M, g.N)) {
    case Shape::Wide: return sgemm_tiled<TileWide>(g, blk);
    case Shape::Narrow: return sgemm_tiled<TileNarrow>(g, blk);
    default: return sgemm_tiled<TileStd>(g, blk);
  }
}

}  // namespace

extern const GemmKernels gemm = {NNE_KERNEL_ENTRY(sgemm_impl), NNE_KERNEL_ENTRY(fma_probe),
                                 NNE_KERNEL_ENTRY(dot_bf16w), NNE_KERNEL_ENTRY(to_bf16_bits)};

}  // namespace NNE_ISA_NS
}  // namespace nne
