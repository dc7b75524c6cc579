// bf16 GEMM on AMX-BF16 tiles (tdpbf16ps), compiled once with -mamx-tile -mamx-bf16 (and AVX512-BF16 for the
// conversions); see gemm_bf16.h for the contract. Chosen over the AVX512-BF16 kernel where the CPU has AMX-BF16
// and the OS granted this process the tile data state (isa.cpp asks once: arch_prctl(ARCH_REQ_XCOMP_PERM)).
//
// Tiles: 16 rows x 64 bytes. C: 16 x 16 float32; A: 16 rows x 16 pairs (32 k); B: 16 pairs x 16 columns
// (a pair = two bf16 along k in one int32, the even k low: pack_bf16.h). The micro-kernel holds a 32 x 32 block
// of C in four tiles (tmm0-3) and multiplies two A tiles (tmm4-5) by two B tiles (tmm6-7) per 32 values of k.
//
// Packed layouts, zero past the matrix and past k (kpp = pairs rounded up to 16), every tile 1 KiB contiguous:
// - A block: MR = 32 row panels of kpp / 16 steps; step t holds the tiles of rows 0-15 and 16-31, [row][pair].
// - B block: NR = 32 column panels of kpp / 16 steps; step t holds the tiles of columns 0-15 and 16-31,
//   [pair][column].
// The four C tiles are stored to a 4 KiB block on the stack and the epilogue (alpha, beta, biases, the sum over
// K blocks) reads them from there, as the AVX512-BF16 kernel's; every element is the same chain of tdpbf16ps
// over the same K blocks whatever the thread split, so results are bit-identical at any thread count.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "core/buffer.h"
#include "core/cpuinfo.h"
#include "core/parallel.h"
#include "kernels/bf16/pack_bf16.h"
#include "kernels/gemm_bf16.h"

namespace nne {
namespace amxbf16 {
namespace {

using namespace bf16pack;

constexpr int MR = 32, NR = 32;
constexpr int64_t kTile = 256;  // int32 per tile (16 rows x 64 bytes)

// Palette 1, tiles 0-7 all 16 rows x 64 bytes (the layout of ldtilecfg's 64-byte operand).
struct alignas(64) TileConfig {
  uint8_t palette = 1, start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64, "ldtilecfg reads 64 bytes");

// Configures this thread's tiles for the block and releases them when it ends (the tile state is per thread;
// released, it costs nothing on context switches).
struct TileScope {
  TileScope() {
    TileConfig cfg;
    for (int t = 0; t < 8; ++t) {
      cfg.colsb[t] = 64;
      cfg.rows[t] = 16;
    }
    _tile_loadconfig(&cfg);
  }
  ~TileScope() { _tile_release(); }
  TileScope(const TileScope&) = delete;
  TileScope& operator=(const TileScope&) = delete;
};

int64_t round16(int64_t n) { return (n + 15) / 16 * 16; }

void zero_tile(int32_t* tile) {
  for (int r = 0; r < 16; ++r) _mm512_store_si512(tile + 16 * r, _mm512_setzero_si512());
}

// op(B)[pc : pc+kc, jc : jc+nc] -> NR-column panels of kpp pairs.
void pack_b(const GemmArgs& g, int64_t pc, int64_t kc, int64_t jc, int64_t nc, int32_t* out) {
  const int64_t kp = (kc + 1) / 2, kpp = round16(kp);
  auto tile_of = [&](int64_t jr, int h, int64_t p0) {
    return out + (jr / NR) * kpp * NR + (p0 / 16) * 2 * kTile + h * kTile;
  };
  if (!g.trans_b) {  // a pair of B's rows is contiguous along n: one row of each tile, read left to right
    for (int64_t p = 0; p < kpp; ++p) {
      const int64_t k = pc + 2 * p, left = pc + kc - k;
      const float* r0 = g.B + k * g.ldb + jc;
      for (int64_t jr = 0; jr < nc; jr += NR)
        for (int h = 0; h < 2; ++h) {
          const int64_t j = jr + 16 * h;
          const __mmask16 m = lanes(nc - j);
          const __m512 x0 = left > 0 ? _mm512_maskz_loadu_ps(m, r0 + j) : _mm512_setzero_ps();
          const __m512 x1 = left > 1 ? _mm512_maskz_loadu_ps(m, r0 + g.ldb + j) : _mm512_setzero_ps();
          _mm512_store_si512(tile_of(jr, h, p & ~int64_t{15}) + 16 * (p & 15), pair_rows(x0, x1));
        }
    }
    return;
  }
  for (int64_t jr = 0; jr < nc; jr += NR)
    for (int h = 0; h < 2; ++h) {
      const int64_t j0 = jc + jr + 16 * h, cols = std::min<int64_t>(16, jc + nc - j0);
      for (int64_t p0 = 0; p0 < kpp; p0 += 16) {
        int32_t* tile = tile_of(jr, h, p0);
        if (cols <= 0 || p0 >= kp) {
          zero_tile(tile);
          continue;
        }
        // column j of op(B) is row j of B: 16 columns x 16 pairs, converted, then transposed
        __m512i r[16];
        const int64_t n = kc - 2 * p0;
        for (int c = 0; c < 16; ++c)
          r[c] = c < cols ? pair_run(g.B + (j0 + c) * g.ldb + pc + 2 * p0, n) : _mm512_setzero_si512();
        transpose16(r);
        for (int p = 0; p < 16; ++p) _mm512_store_si512(tile + 16 * p, r[p]);
      }
    }
}

// op(A)[ic : ic+mc, pc : pc+kc] -> MR-row panels of kpp pairs. A transposed: 16 pairs (32 rows of A) at a time
// across all the panels, so A's rows are read left to right (walking down a 16-column strip of A instead, one
// cache line per row, the hardware prefetchers lose track: Linear's and the LSTM's weight gradients, dG^T x,
// ran at half speed).
void pack_a(const GemmArgs& g, int64_t ic, int64_t mc, int64_t pc, int64_t kc, int32_t* out) {
  const int64_t kp = (kc + 1) / 2, kpp = round16(kp);
  auto tile_of = [&](int64_t ir, int h, int64_t p0) {
    return out + (ir / MR) * MR * kpp + (p0 / 16) * 2 * kTile + h * kTile;
  };
  if (g.trans_a) {  // a pair of A's rows is contiguous along m: 16 pairs x 16 rows, converted, then transposed
    for (int64_t p0 = 0; p0 < kpp; p0 += 16)
      for (int64_t ir = 0; ir < mc; ir += MR)
        for (int h = 0; h < 2; ++h) {
          const int64_t i0 = ic + ir + 16 * h, rows = std::min<int64_t>(16, ic + mc - i0);
          int32_t* tile = tile_of(ir, h, p0);
          if (rows <= 0 || p0 >= kp) {
            zero_tile(tile);
            continue;
          }
          __m512i r[16];
          const __mmask16 m = lanes(rows);
          for (int p = 0; p < 16; ++p) {
            const int64_t k = pc + 2 * (p0 + p), left = pc + kc - k;
            const __m512 x0 = left > 0 ? _mm512_maskz_loadu_ps(m, g.A + k * g.lda + i0) : _mm512_setzero_ps();
            const __m512 x1 = left > 1 ? _mm512_maskz_loadu_ps(m, g.A + (k + 1) * g.lda + i0) : _mm512_setzero_ps();
            r[p] = pair_rows(x0, x1);
          }
          transpose16(r);
          for (int q = 0; q < 16; ++q) _mm512_store_si512(tile + 16 * q, r[q]);
        }
    return;
  }
  for (int64_t ir = 0; ir < mc; ir += MR)
    for (int h = 0; h < 2; ++h) {
      const int64_t i0 = ic + ir + 16 * h, rows = std::min<int64_t>(16, ic + mc - i0);
      for (int64_t p0 = 0; p0 < kpp; p0 += 16) {
        int32_t* tile = tile_of(ir, h, p0);
        if (rows <= 0 || p0 >= kp) {
          zero_tile(tile);
          continue;
        }
        for (int r = 0; r < 16; ++r)  // a row of A is contiguous along k: one tile row
          _mm512_store_si512(tile + 16 * r, r < rows ? pair_run(g.A + (i0 + r) * g.lda + pc + 2 * p0, kc - 2 * p0)
                                                     : _mm512_setzero_si512());
      }
    }
}

// One 32 x 32 block of C (acc: 32 rows of 32 floats, contiguous) += kt steps of 16 pairs; the tiles start from
// zero when !load instead of reading acc.
void micro(int64_t kt, const int32_t* pa, const int32_t* pb, float* acc, bool load) {
  if (load) {
    _tile_loadd(0, acc, NR * 4);
    _tile_loadd(1, acc + 16, NR * 4);
    _tile_loadd(2, acc + 16 * NR, NR * 4);
    _tile_loadd(3, acc + 16 * NR + 16, NR * 4);
  } else {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
  }
  for (int64_t t = 0; t < kt; ++t) {
    const int32_t* a = pa + t * 2 * kTile;
    const int32_t* b = pb + t * 2 * kTile;
    // the next step's two B tiles (L2 -> L1) while this step's products run: B streams from L2, and a tile load
    // waits for the products still reading its tile (tiles are not renamed), so its L2 latency was exposed at
    // every step (the micro-kernel on a 1 MiB B block: 55 -> 49 TSC ticks per tdpbf16ps). Past the panel's last
    // step this touches the next panel (or nothing: prefetches do not fault).
    const char* next = reinterpret_cast<const char*>(b + 2 * kTile);
    _tile_loadd(4, a, 64);
    _tile_loadd(6, b, 64);
    _tile_loadd(5, a + kTile, 64);
    _tile_loadd(7, b + kTile, 64);
    _tile_dpbf16ps(0, 4, 6);
    for (int l = 0; l < 16; ++l) _mm_prefetch(next + 64 * l, _MM_HINT_T0);
    _tile_dpbf16ps(1, 4, 7);
    for (int l = 16; l < 32; ++l) _mm_prefetch(next + 64 * l, _MM_HINT_T0);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, acc, NR * 4);
  _tile_stored(1, acc + 16, NR * 4);
  _tile_stored(2, acc + 16 * NR, NR * 4);
  _tile_stored(3, acc + 16 * NR + 16, NR * 4);
}

// acc (rows x cols valid) into C (store_sums).
void epilogue(const float* acc, float* c, int64_t ldc, int rows, int cols, const GemmArgs& g, bool first,
              const float* br, const float* bc) {
  const __mmask16 m[2] = {lanes(cols), lanes(cols - 16)};
  for (int i = 0; i < rows; ++i)
    for (int h = 0; h < 2; ++h)
      if (m[h])
        store_sums(c + i * ldc + 16 * h, _mm512_load_ps(acc + i * NR + 16 * h), m[h], g, first,
                   br ? br + i : nullptr, bc ? bc + 16 * h : nullptr);
}

// Blocking (gemm_block). The tiles accumulate a 32 x 32 block of C over a K chunk of up to kKo pairs (2 x kKo
// values of k) in steps of kKt tile rows (kKt x 32 values of k), the C block waiting between steps in acc (L1),
// not in C (whose rows may be far bigger than the caches: read and written once per step of 768 values of k,
// 1024^3 ran at 0.7 of this). A step's two A tiles (kKt x 2 KiB) stay in L1 across a group of kJg B panels; the
// B panels of a block of NC columns (half of L2) stream from L2. Measured on Sapphire Rapids, one core, the
// micro-kernel alone on operands in L2: 2.2 TFLOP/s at 8 steps, 1.6 at 16, 1.2 at 32 (A no longer stays in L1).
// Each operand is converted once per K chunk (up to kPackRows rows of op(A) and columns of op(B) at a time:
// 8 MiB each at the longest chunk); the conversion reads the float32 operands at memory speed (1024^3: a fifth
// of the time).
constexpr int64_t kKt = 8, kKo = 1024, kJg = 2, kPackRows = 2048;

// Serial blocked product on the C block [m0, m1) x [n0, n1).
void gemm_block(const GemmArgs& g, const GemmBlocking& blk, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const int64_t KO = std::min<int64_t>(kKo, round16((g.K + 1) / 2));
  const int64_t NC = std::max<int64_t>(1, blk.l2_floats / KO / NR) * NR;
  static thread_local ScratchBuf abuf, bbuf, cbuf;
  const int64_t ma = std::min<int64_t>(kPackRows, m1 - m0), nb = std::min<int64_t>(kPackRows, n1 - n0);
  int32_t* pa = reinterpret_cast<int32_t*>(abuf.get(static_cast<size_t>((ma + MR - 1) / MR * MR * KO)));
  int32_t* pb = reinterpret_cast<int32_t*>(bbuf.get(static_cast<size_t>((nb + NR - 1) / NR * NR * KO)));
  float* acc = cbuf.get(static_cast<size_t>(MR * kJg * NR));
  const TileScope tiles;
  for (int64_t pc = 0; pc < g.K; pc += 2 * KO) {
    const int64_t kc = std::min(2 * KO, g.K - pc), kpp = round16((kc + 1) / 2), kt_all = kpp / 16;
    const bool first = pc == 0;
    for (int64_t jb = n0; jb < n1; jb += kPackRows) {
      const int64_t nbc = std::min(kPackRows, n1 - jb);
      pack_b(g, pc, kc, jb, nbc, pb);
      for (int64_t ib = m0; ib < m1; ib += kPackRows) {
        const int64_t mbc = std::min(kPackRows, m1 - ib);
        pack_a(g, ib, mbc, pc, kc, pa);
        for (int64_t jc = 0; jc < nbc; jc += NC)
          for (int64_t ir = 0; ir < mbc; ir += MR) {
            const int32_t* a = pa + (ir / MR) * MR * kpp;
            const int rows = static_cast<int>(std::min<int64_t>(MR, mbc - ir));
            const float* br = g.bias_row ? g.bias_row + ib + ir : nullptr;
            for (int64_t j0 = jc; j0 < std::min(nbc, jc + NC); j0 += kJg * NR) {
              const int64_t j1 = std::min({nbc, jc + NC, j0 + kJg * NR});
              for (int64_t t0 = 0; t0 < kt_all; t0 += kKt) {
                const int64_t kt = std::min(kKt, kt_all - t0);
                for (int64_t jr = j0; jr < j1; jr += NR)
                  micro(kt, a + t0 * 2 * kTile, pb + (jr / NR) * kpp * NR + t0 * 2 * kTile, acc + (jr - j0) * MR,
                        t0 > 0);
              }
              for (int64_t jr = j0; jr < j1; jr += NR)
                epilogue(acc + (jr - j0) * MR, g.C + (ib + ir) * g.ldc + jb + jr, g.ldc, rows,
                         static_cast<int>(std::min<int64_t>(NR, nbc - jr)), g, first, br,
                         g.bias_col ? g.bias_col + jb + jr : nullptr);
            }
          }
      }
    }
  }
}

}  // namespace

// Threads: bf16pack::split_slabs (32-aligned slabs). Reached only through the float32 GEMM's entry
// (GemmArgs::bf16), which has already handled the empty products.
void sgemm(const GemmArgs& g) {
  const GemmBlocking blk = gemm_blocking();
  constexpr int64_t kMinFlops = int64_t{1} << 24;  // ~17 us at 1 TFLOP/s
  split_slabs(g, MR, NR, kMinFlops, [&](int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    gemm_block(g, blk, m0, m1, n0, n1);
  });
}

// The recurrent steps' panel (below): NG groups of 16 rows (rows r0.. and r0+16.., rr0 and rr1 of them as
// configured) x NC column tiles from column 16*v0: C tiles 0-1 (group 0) and 2-3 (group 1) loaded from acc,
// += per operand and 16 pairs the groups' A tiles 4-5 (straight from ap, rows ldp pairs apart; zero past K) .
// the columns' B tiles 6-7 (straight from bp, rows nv*64 bytes apart), stored back. As the GEMM's micro-kernel:
// each B tile serves both row groups, each A tile both columns.
template <int NG, int NC>
void panel_pass(float* acc, int64_t ld, int64_t r0, int64_t v0, const Bf16PanelOperand* ops, int nops) {
  float* c0 = acc + r0 * ld + 16 * v0;
  float* c1 = c0 + 16 * ld;
  const int64_t ldb = ld * 4;
  _tile_loadd(0, c0, ldb);
  if (NC > 1) _tile_loadd(1, c0 + 16, ldb);
  if (NG > 1) _tile_loadd(2, c1, ldb);
  if (NG > 1 && NC > 1) _tile_loadd(3, c1 + 16, ldb);
  for (int o = 0; o < nops; ++o) {
    const int64_t ldp = ops[o].ldp, kpp = round16((ops[o].K + 1) / 2);
    const uint32_t* a = ops[o].ap + r0 * ldp;
    const uint32_t* b = ops[o].bp + 16 * v0;
    for (int64_t q = 0; q < kpp; q += 16) {
      _tile_loadd(4, a + q, ldp * 4);
      if (NG > 1) _tile_loadd(5, a + 16 * ldp + q, ldp * 4);
      _tile_loadd(6, b + q * ld, ldb);
      if (NC > 1) _tile_loadd(7, b + q * ld + 16, ldb);
      _tile_dpbf16ps(0, 4, 6);
      if (NC > 1) _tile_dpbf16ps(1, 4, 7);
      if (NG > 1) _tile_dpbf16ps(2, 5, 6);
      if (NG > 1 && NC > 1) _tile_dpbf16ps(3, 5, 7);
    }
  }
  _tile_stored(0, c0, ldb);
  if (NC > 1) _tile_stored(1, c0 + 16, ldb);
  if (NG > 1) _tile_stored(2, c1, ldb);
  if (NG > 1 && NC > 1) _tile_stored(3, c1 + 16, ldb);
}

// The recurrent steps' product (gemm_bf16.h, bf16_panel_kernel) on tiles: acc (rows x nv*16 floats) += the
// operands' rows of pairs . their bp (pairs [p][nv*16 columns], zero-padded to whole tiles), in passes of two
// row groups x two column tiles (panel_pass). The tiles are configured once per pair of row groups whose row
// counts differ from the last.
void panel(float* acc, int64_t rows, int nv, const Bf16PanelOperand* ops, int nops) {
  const int64_t ld = nv * 16;
  int cfg0 = 0, cfg1 = -1;  // the rows tiles 0-1/4 and 2-3/5 are configured for
  for (int64_t r0 = 0; r0 < rows; r0 += 32) {
    const int rr0 = static_cast<int>(std::min<int64_t>(16, rows - r0));
    const int rr1 = static_cast<int>(std::clamp<int64_t>(rows - r0 - 16, 0, 16));
    if (rr0 != cfg0 || rr1 != cfg1) {
      TileConfig cfg;
      for (int t = 0; t < 8; ++t) {  // 64 bytes a row; C 0-1, A 4: rr0 rows; C 2-3, A 5: rr1; B 6-7: 16 pairs
        const int r = t == 6 || t == 7 ? 16 : (t == 2 || t == 3 || t == 5 ? rr1 : rr0);
        cfg.rows[t] = static_cast<uint8_t>(r);
        cfg.colsb[t] = r > 0 ? 64 : 0;
      }
      _tile_loadconfig(&cfg);
      cfg0 = rr0, cfg1 = rr1;
    }
    for (int64_t v0 = 0; v0 < nv; v0 += 2) {
      const bool two_cols = v0 + 1 < nv;
      if (rr1 > 0) {
        if (two_cols) panel_pass<2, 2>(acc, ld, r0, v0, ops, nops);
        else panel_pass<2, 1>(acc, ld, r0, v0, ops, nops);
      } else {
        if (two_cols) panel_pass<1, 2>(acc, ld, r0, v0, ops, nops);
        else panel_pass<1, 1>(acc, ld, r0, v0, ops, nops);
      }
    }
  }
  _tile_release();
}

// The tile-throughput probe (gemm_bf16.h, amx_probe_kernel): iters rounds of four independent tdpbf16ps on
// operands already in tiles, so no load limits it.
double probe(int64_t iters, int64_t* flops) {
  alignas(64) int32_t ones[kTile];
  for (int64_t i = 0; i < kTile; ++i) ones[i] = 0x3c003c00;  // two bf16 2^-7 (a product of 2^-14, exact sums)
  alignas(64) float out[16 * 16];
  {
    const TileScope tiles;
    _tile_loadd(4, ones, 64);
    _tile_loadd(5, ones, 64);
    _tile_loadd(6, ones, 64);
    _tile_loadd(7, ones, 64);
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    for (int64_t i = 0; i < iters; ++i) {
      _tile_dpbf16ps(0, 4, 6);
      _tile_dpbf16ps(1, 4, 7);
      _tile_dpbf16ps(2, 5, 6);
      _tile_dpbf16ps(3, 5, 7);
    }
    _tile_stored(0, out, 64);
  }
  *flops = iters * 4 * 2 * 16 * 16 * 32;
  return out[0];
}

}  // namespace amxbf16
}  // namespace nne
