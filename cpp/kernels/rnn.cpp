// Elman RNN (tanh / relu) forward/backward through time (compiled once per ISA). See rnn.h for the
// contract and rnn_impl.h for the per-step fused GEMM.
#include "kernels/rnn.h"

#include <cstring>

#include "core/kernel_status.h"
#include "kernels/rnn_impl.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

using namespace rec;

constexpr int kMr = 8;

void rnn_forward_impl(float* y, float* h_n, const float* x, const float* h0, RnnWeights w, const RnnShape& s) {
  const int64_t T = s.T, B = s.B, I = s.I, H = s.H, ldy = y_stride(s);
  // Input projections into y, as x @ w_ih^T with w_ih^T materialised: GEMM's row results do not depend
  // on the row count for a non-transposed B, so a sequence streamed in chunks equals the whole call.
  static thread_local ScratchBuf wt_buf;
  float* wt = wt_buf.get(static_cast<size_t>(I * H));
  for (int64_t j = 0; j < H; ++j)
    for (int64_t k = 0; k < I; ++k) wt[k * H + j] = w.w_ih[j * I + k];
  gemm_call(false, false, T * B, H, I, x, I, wt, H, 0.f, y, ldy, w.bias, s.bf16);
  static thread_local PackCache pack_cache;
  const float* wp = pack_forward_cached(pack_cache, nullptr, 0, w.w_hh, H, 1, s.bf16);
  const Bf16Steps bs =
      bf16_steps(s.bf16, B, wp, nblocks(H), 0, H, L, pack_cache.pairs, pack_cache.rows, pack_cache.fresh);
  const bool relu = s.act == kRnnRelu, h0_zero = all_zero(h0, B * H);
  run_steps(T, B, 2 * H * H, [&](int64_t st, int64_t r0, int64_t r1) {
    const int64_t t = s.reverse ? T - 1 - st : st, tp = s.reverse ? t + 1 : t - 1;
    float* yt = y + t * B * ldy;
    auto init = [&](int64_t b, int64_t jb, VecF* acc) {
      acc[0] = vload_n(yt + b * ldy + jb * L, static_cast<int>(std::min<int64_t>(L, H - jb * L)));
    };
    auto epi = [&](int64_t b, int64_t jb, VecF* acc) {
      const int n = static_cast<int>(std::min<int64_t>(L, H - jb * L));
      vstore_n(yt + b * ldy + jb * L, relu ? vmax(vzero(), acc[0]) : vtanh_fast(acc[0]), n);
    };
    const StepIn hp = bs.operand(st == 0 ? (h0_zero ? nullptr : h0) : y + tp * B * ldy, st == 0 ? H : ldy, H, r0, r1);
    recurrent_step<kMr, 1>(r0, r1, nblocks(H), {}, hp, wp, init, epi);
  });
  const int64_t tl = s.reverse ? 0 : T - 1;
  for (int64_t b = 0; b < B; ++b) std::memcpy(h_n + b * H, y + (tl * B + b) * ldy, sizeof(float) * H);
}

void rnn_backward_impl(RnnGrads g, float* dpre, const float* dy, const float* dh_n, const float* x, const float* h0,
                       const float* y, RnnWeights w, const RnnShape& s) {
  const int64_t T = s.T, B = s.B, I = s.I, H = s.H, BH = B * H, ldy = y_stride(s);
  const bool relu = s.act == kRnnRelu;
  auto gate_epi = [&](int64_t b, int64_t t, bool last, int64_t j0, int n, VecF rec) {
    const int64_t q = t * BH + b * H + j0, qy = (t * B + b) * ldy + j0;
    VecF d = vadd(vload_n(dy + qy, n), rec);
    if (last) d = vadd(d, vload_n(dh_n + b * H + j0, n));
    const VecF h = vload_n(y + qy, n);
    vstore_n(dpre + q, relu ? vselect_gt(h, vzero(), d, vzero()) : vmul(d, vsub(vset1(1.f), vmul(h, h))), n);
  };
  with_bwd_nv(s.bf16, [&](auto nv) {
    backward_sweep<kMrBwd, decltype(nv)::value>(g, dpre, x, h0, y, ldy, w, T, B, I, H, 1, s.reverse, s.bf16, gate_epi);
  });
}

void vmath_impl(float* out, const float* in, int64_t n, int kind) {
  for (int64_t i = 0; i < n; i += L) {
    const int m = static_cast<int>(std::min<int64_t>(L, n - i));
    const VecF v = vload_n(in + i, m);
    VecF r;
    switch (kind) {
      case kVSigmoid: r = vsigmoid(v); break;
      case kVTanh: r = vtanh(v); break;
      case kVSigmoidFast: r = vsigmoid_fast(v); break;
      case kVTanhFast: r = vtanh_fast(v); break;
      case kVExpFast: r = vexp_fast(v); break;
      default: r = vexp(v);
    }
    vstore_n(out + i, r, m);
  }
}

}  // namespace

extern const RnnKernels rnn = {
    NNE_KERNEL_ENTRY(rnn_forward_impl), NNE_KERNEL_ENTRY(rnn_backward_impl), NNE_KERNEL_ENTRY(vmath_impl)
};

}  // namespace NNE_ISA_NS
}  // namespace nne
