// Batched pointwise convolutions as one GEMM over many images (compiled once per ISA). See conv2d_pointwise.h.
#include "kernels/conv2d_pointwise.h"

#include <algorithm>
#include <cstring>

#include "core/buffer.h"
#include "core/parallel.h"
#include "kernels/gemm.h"
#include "kernels/gemm_pack.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

// A pointwise layer's images as the columns of op(B), without a column matrix: column j = n * HW + pos of image
// range's row c is x[n][c0 + c][pos] (the GEMM's pack_b callback, gemm.h: it packs them straight into its panels).
struct PointwiseCols {
  const float* x;  // the first image of the range
  int64_t C, HW, c0;
};

void pack_pointwise(const void* ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int64_t nr, float* dst) {
  const PointwiseCols& p = *static_cast<const PointwiseCols*>(ctx);
  for (int64_t j = n0; j < n0 + nc;) {  // a run of columns inside one image
    const int64_t n = j / p.HW, pos = j % p.HW, run = std::min(n0 + nc - j, p.HW - pos);
    const float* src = p.x + (n * p.C + p.c0 + k0) * p.HW + pos;
    for (int64_t t = 0; t < run;) {  // the run's pieces inside one panel
      const int64_t col = j - n0 + t, lane = col % nr, len = std::min(run - t, nr - lane);
      float* d = dst + col / nr * kc * nr + lane;
      for (int64_t k = 0; k < kc; ++k)
        for (int64_t i = 0; i < len; ++i) d[k * nr + i] = src[k * p.HW + t + i];
      t += len;
    }
    j += run;
  }
  if (const int64_t rem = nc % nr) {  // lanes past nc of the last panel
    float* last = dst + nc / nr * kc * nr;
    for (int64_t k = 0; k < kc; ++k) std::memset(last + k * nr + rem, 0, sizeof(float) * (nr - rem));
  }
}

}  // namespace

void pack_positions(const void* ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int64_t nr, float* dst) {
  const PositionsView& p = *static_cast<const PositionsView*>(ctx);
  for (int64_t j = 0; j < nc; j += nr) {  // one panel: channels n0 + j .. of every position in [k0, k0 + kc)
    const int64_t width = std::min(nr, nc - j);
    float* d = dst + j * kc;
    for (int64_t k = k0; k < k0 + kc;) {  // a run of positions inside one image: a transposed gather of its rows
      const int64_t n = k / p.HW, pos = k % p.HW, run = std::min(k0 + kc - k, p.HW - pos);
      gather_transposed(p.x + (n * p.C + p.c0 + n0 + j) * p.HW + pos, p.HW, width, run, d + (k - k0) * nr, nr);
      k += run;
    }
    zero_pad(d, nr, width, kc);
  }
}

void pointwise_gemms(const PointwiseGemm& p, int64_t N, int64_t HW) {
  // C of up to 4 x the L2 budget per GEMM (8 MiB on a 2 MiB L2: 83 images of the 512 -> 512 layer on 7x7, ~4000
  // columns, the weights' packing ~1% of the product); more images take more GEMMs
  const int64_t max_tmp = 4 * conv_l2_floats();
  const int64_t per = std::clamp<int64_t>(max_tmp / std::max<int64_t>(1, p.M * HW), 1, N);
  static thread_local ScratchBuf outbuf;
  float* tmp = outbuf.get(static_cast<size_t>(p.M * per * HW));
  for (int64_t n0 = 0; n0 < N; n0 += per) {
    const int64_t ni = std::min(per, N - n0), L = ni * HW;
    const PointwiseCols cols{p.in + n0 * p.Cin * HW, p.Cin, HW, p.c0};
    GemmArgs a;
    a.M = p.M, a.N = L, a.K = p.Kc;
    a.A = p.a, a.lda = p.lda, a.trans_a = p.trans_a;
    a.pack_b = pack_pointwise, a.pack_b_ctx = &cols;
    a.bias_row = p.bias;
    a.C = tmp, a.ldc = L;
    sgemm(a);
    parallel_for(0, ni, 1, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i)
        for (int64_t m = 0; m < p.M; ++m)
          std::memcpy(p.out + ((n0 + i) * p.Cout + p.o0 + m) * HW, tmp + m * L + i * HW, sizeof(float) * HW);
    });
  }
}

}  // namespace NNE_ISA_NS
}  // namespace nne
