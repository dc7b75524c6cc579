// LSTM forward/backward through time (compiled once per ISA). See lstm.h for the contract and
// rnn_impl.h for the per-step fused GEMM.
#include "kernels/lstm.h"

#include <cstring>

#include "core/kernel_status.h"
#include "kernels/rnn_impl.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

using namespace rec;

#if defined(__AVX512F__)
constexpr int kMrFwd = 4;  // 4 rows x 4 gates = 16 accumulators of 32 registers
#else
constexpr int kMrFwd = 2;  // 8 accumulators of 16 registers
#endif

void lstm_forward_impl(float* y, float* h_n, float* c_n, float* gates, float* cs, const float* x, const float* h0,
                       const float* c0, RnnWeights w, const LstmShape& s) {
  const int64_t T = s.T, B = s.B, I = s.I, H = s.H, N = 4 * H, BH = B * H, ldy = y_stride(s);
  static thread_local PackCache pack_cache;
  static thread_local ScratchBuf gx_buf;
  // x_t w_ih^T is part of each step's fused product (packed [w_ih | w_hh]; bf16: two panel products). bf16
  // without the panel kernel: the input projections of the whole sequence (+ bias) are one bf16 GEMM into
  // gx, which the steps start from.
  float* gx = nullptr;
  if (s.bf16 && !step_panel(true)) {
    gx = gx_buf.get(static_cast<size_t>(T * B * N));
    gemm_call(false, true, T * B, N, I, x, I, w.w_ih, I, 0.f, gx, N, w.bias, true);
  }
  const int64_t Ip = gx ? 0 : I;  // the packed input rows
  const float* wp = pack_forward_cached(pack_cache, gx ? nullptr : w.w_ih, Ip, w.w_hh, H, 4, s.bf16);
  const Bf16Steps bs =
      bf16_steps(s.bf16, B, wp, nblocks(H), Ip, H, 4 * L, pack_cache.pairs, pack_cache.rows, pack_cache.fresh);
  if (!cs) std::memcpy(c_n, c0, sizeof(float) * BH);
  const bool h0_zero = all_zero(h0, BH);
  run_steps(T, B, 2 * N * (I + H), [&](int64_t st, int64_t r0, int64_t r1) {
    const int64_t t = s.reverse ? T - 1 - st : st, tp = s.reverse ? t + 1 : t - 1;
    const float* hprev = st == 0 ? (h0_zero ? nullptr : h0) : y + tp * B * ldy;
    const float* cprev = cs ? (st == 0 ? c0 : cs + tp * BH) : c_n;
    float* ccur = cs ? cs + t * BH : c_n;
    float* gt = gates ? gates + t * B * N : nullptr;
    float* yt = y + t * B * ldy;
    auto init = [&](int64_t b, int64_t jb, VecF* acc) {
      const int64_t j0 = jb * L;
      const int n = static_cast<int>(std::min<int64_t>(L, H - j0));
      if (gx) {
        for (int g = 0; g < 4; ++g) acc[g] = vload_n(gx + (t * B + b) * N + g * H + j0, n);
      } else {
        for (int g = 0; g < 4; ++g) acc[g] = w.bias ? vload_n(w.bias + g * H + j0, n) : vzero();
      }
    };
    auto epi = [&](int64_t b, int64_t jb, VecF* acc) {
      const int64_t j0 = jb * L;
      const int n = static_cast<int>(std::min<int64_t>(L, H - j0));
      const VecF i = vsigmoid_fast(acc[0]), f = vsigmoid_fast(acc[1]), o = vsigmoid_fast(acc[3]);
      const VecF g = vtanh_fast(acc[2]);
      const VecF c = vfma(f, vload_n(cprev + b * H + j0, n), vmul(i, g));
      if (gt) {
        float* p = gt + b * N + j0;
        vstore_n(p, i, n);
        vstore_n(p + H, f, n);
        vstore_n(p + 2 * H, g, n);
        vstore_n(p + 3 * H, o, n);
      }
      vstore_n(ccur + b * H + j0, c, n);
      vstore_n(yt + b * ldy + j0, vmul(o, vtanh_fast(c)), n);
    };
    const StepIn xp = gx ? StepIn{} : bs.operand(x + t * B * I, I, I, r0, r1, true);
    recurrent_step<kMrFwd, 4>(r0, r1, nblocks(H), xp, bs.operand(hprev, st == 0 ? H : ldy, H, r0, r1),
                              wp, init, epi);
  });
  const int64_t tl = s.reverse ? 0 : T - 1;
  for (int64_t b = 0; b < B; ++b) std::memcpy(h_n + b * H, y + (tl * B + b) * ldy, sizeof(float) * H);
  if (cs) std::memcpy(c_n, cs + tl * BH, sizeof(float) * BH);
}

void lstm_backward_impl(RnnGrads g, float* dc0, float* dG, const float* dy, const float* dh_n, const float* dc_n,
                        LstmSaved sv, RnnWeights w, const LstmShape& s) {
  const int64_t T = s.T, B = s.B, I = s.I, H = s.H, N = 4 * H, BH = B * H, ldy = y_stride(s);
  std::memcpy(dc0, dc_n, sizeof(float) * BH);  // dc0 carries dc through the sweep
  const int64_t t_first = s.reverse ? T - 1 : 0;
  auto gate_epi = [&](int64_t b, int64_t t, bool last, int64_t j0, int n, VecF rec) {
    const int64_t tp = s.reverse ? t + 1 : t - 1;
    const float* cprev = t == t_first ? sv.c0 : sv.cs + tp * BH;
    const float* p = sv.gates + t * B * N + b * N + j0;
    const int64_t q0 = b * H + j0;
    VecF dh = vadd(vload_n(dy + (t * B + b) * ldy + j0, n), rec);
    if (last) dh = vadd(dh, vload_n(dh_n + q0, n));
    const VecF one = vset1(1.f);
    const VecF i = vload_n(p, n), f = vload_n(p + H, n), gg = vload_n(p + 2 * H, n), o = vload_n(p + 3 * H, n);
    const VecF tc = vtanh_fast(vload_n(sv.cs + t * BH + q0, n));
    float* dcp = dc0 + q0;
    const VecF dc = vfma(vmul(dh, o), vsub(one, vmul(tc, tc)), vload_n(dcp, n));
    vstore_n(dcp, vmul(dc, f), n);
    float* q = dG + t * B * N + b * N + j0;
    vstore_n(q, vmul(vmul(dc, gg), vmul(i, vsub(one, i))), n);
    vstore_n(q + H, vmul(vmul(dc, vload_n(cprev + q0, n)), vmul(f, vsub(one, f))), n);
    vstore_n(q + 2 * H, vmul(vmul(dc, i), vsub(one, vmul(gg, gg))), n);
    vstore_n(q + 3 * H, vmul(vmul(dh, tc), vmul(o, vsub(one, o))), n);
  };
  with_bwd_nv(s.bf16, [&](auto nv) {
    backward_sweep<kMrBwd, decltype(nv)::value>(g, dG, sv.x, sv.h0, sv.y, ldy, w, T, B, I, H, 4, s.reverse, s.bf16,
                                                gate_epi);
  });
}

}  // namespace

extern const LstmKernels lstm = {NNE_KERNEL_ENTRY(lstm_forward_impl), NNE_KERNEL_ENTRY(lstm_backward_impl)};

}  // namespace NNE_ISA_NS
}  // namespace nne
