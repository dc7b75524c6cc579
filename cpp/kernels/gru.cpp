// GRU forward/backward through time (compiled once per ISA). See gru.h for the contract and
// rnn_impl.h for the per-step fused GEMM and the BPTT sweep shared with RNN and LSTM.
#include "kernels/gru.h"

#include <cstring>

#include "core/kernel_status.h"
#include "kernels/rnn_impl.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

using namespace rec;

#if defined(__AVX512F__)
constexpr int kMrFwd = 8;  // 8 rows x 3 gates = 24 accumulators of 32 registers
#else
constexpr int kMrFwd = 4;  // 12 accumulators of 16 registers
#endif

void gru_forward_impl(float* y, float* h_n, float* gates, const float* x, const float* h0, GruWeights w,
                      const GruShape& s) {
  const int64_t T = s.T, B = s.B, I = s.I, H = s.H, N = 3 * H, ldy = y_stride(s);
  // gi = x @ w_ih^T + b_ih for every step, into the workspace's first 3H columns (the step epilogue
  // overwrites them in place with r, z, n) or, for inference, a scratch buffer.
  static thread_local ScratchBuf wt_buf, gi_buf;
  static thread_local PackCache pack_cache;
  const int64_t ldg = gates ? 4 * H : N;
  float* gi = gates ? gates : gi_buf.get(static_cast<size_t>(T * B * N));
  float* wt = wt_buf.get(static_cast<size_t>(I * N));
  for (int64_t j = 0; j < N; ++j)
    for (int64_t k = 0; k < I; ++k) wt[k * N + j] = w.w_ih[j * I + k];
  gemm_call(false, false, T * B, N, I, x, I, wt, N, 0.f, gi, ldg, w.b_ih, s.bf16);
  const float* wp = pack_forward_cached(pack_cache, nullptr, 0, w.w_hh, H, 3, s.bf16);
  const Bf16Steps bs =
      bf16_steps(s.bf16, B, wp, nblocks(H), 0, H, 3 * L, pack_cache.pairs, pack_cache.rows, pack_cache.fresh);
  const bool h0_zero = all_zero(h0, B * H);
  run_steps(T, B, 2 * N * H, [&](int64_t st, int64_t r0, int64_t r1) {
    const int64_t t = s.reverse ? T - 1 - st : st, tp = s.reverse ? t + 1 : t - 1;
    const float* hprev = st == 0 ? h0 : y + tp * B * ldy;
    const int64_t ldh = st == 0 ? H : ldy;
    float* gt = gi + t * B * ldg;
    float* yt = y + t * B * ldy;
    auto init = [&](int64_t, int64_t jb, VecF* acc) {
      const int64_t j0 = jb * L;
      const int n = static_cast<int>(std::min<int64_t>(L, H - j0));
      for (int g = 0; g < 3; ++g) acc[g] = w.b_hh ? vload_n(w.b_hh + g * H + j0, n) : vzero();
    };
    auto epi = [&](int64_t b, int64_t jb, VecF* acc) {  // acc = gh_t (r, z, n) of hidden units j0..
      const int64_t j0 = jb * L;
      const int n = static_cast<int>(std::min<int64_t>(L, H - j0));
      float* p = gt + b * ldg + j0;
      const VecF r = vsigmoid_fast(vadd(vload_n(p, n), acc[0]));
      const VecF z = vsigmoid_fast(vadd(vload_n(p + H, n), acc[1]));
      const VecF nn = vtanh_fast(vfma(r, acc[2], vload_n(p + 2 * H, n)));
      const VecF h = vload_n(hprev + b * ldh + j0, n);
      if (gates) {
        vstore_n(p, r, n);
        vstore_n(p + H, z, n);
        vstore_n(p + 2 * H, nn, n);
        vstore_n(p + 3 * H, acc[2], n);
      }
      vstore_n(yt + b * ldy + j0, vfma(vsub(h, nn), z, nn), n);
    };
    const StepIn hp = bs.operand(st == 0 && h0_zero ? nullptr : hprev, ldh, H, r0, r1);
    recurrent_step<kMrFwd, 3>(r0, r1, nblocks(H), {}, hp, wp, init, epi);
  });
  const int64_t tl = s.reverse ? 0 : T - 1;
  for (int64_t b = 0; b < B; ++b) std::memcpy(h_n + b * H, y + (tl * B + b) * ldy, sizeof(float) * H);
}

void gru_backward_impl(GruGrads g, float* dG, const float* dy, const float* dh_n, GruSaved sv, GruWeights w,
                       const GruShape& s) {
  const int64_t T = s.T, B = s.B, I = s.I, H = s.H, N = 3 * H, G4 = 4 * H, BH = B * H, TB = T * B;
  const int64_t ldy = y_stride(s);
  static thread_local ScratchBuf carry_buf, hp_buf, db_buf;
  // carry: the direct part dh_t * z_t of dh_{t-1} (h_t depends on h_{t-1} outside the products too);
  // it starts as dh_n and ends as the direct part of dh0.
  float* carry = carry_buf.get(static_cast<size_t>(BH));
  std::memcpy(carry, dh_n, sizeof(float) * BH);
  const int64_t t_first = s.reverse ? T - 1 : 0;
  auto gate_epi = [&](int64_t b, int64_t t, bool, int64_t j0, int n, VecF rec) {
    const int64_t tp = s.reverse ? t + 1 : t - 1;
    const float* hp = t == t_first ? sv.h0 + b * H : sv.y + (tp * B + b) * ldy;
    const float* p = sv.gates + (t * B + b) * G4 + j0;
    float* cp = carry + b * H + j0;
    const VecF dh = vadd(vadd(vload_n(dy + (t * B + b) * ldy + j0, n), rec), vload_n(cp, n));
    const VecF one = vset1(1.f);
    const VecF r = vload_n(p, n), z = vload_n(p + H, n), nn = vload_n(p + 2 * H, n), ghn = vload_n(p + 3 * H, n);
    vstore_n(cp, vmul(dh, z), n);
    const VecF dan = vmul(vmul(dh, vsub(one, z)), vsub(one, vmul(nn, nn)));
    float* q = dG + (t * B + b) * G4 + j0;
    vstore_n(q, vmul(vmul(dan, ghn), vmul(r, vsub(one, r))), n);
    vstore_n(q + H, vmul(vmul(dh, vsub(vload_n(hp + j0, n), nn)), vmul(z, vsub(one, z))), n);
    vstore_n(q + 2 * H, vmul(dan, r), n);
    vstore_n(q + 3 * H, dan, n);
  };
  // The recurrent product pairs w_hh with dG's first 3H columns [a_r a_z gh_n]; w_ih pairs with
  // [a_r a_z a_n], so dx is computed after the sweep.
  with_bwd_nv(s.bf16, [&](auto nv) {
    bptt_sweep<kMrBwd, decltype(nv)::value>(nullptr, g.dh0, dG, G4, RnnWeights{nullptr, w.w_hh, nullptr}, T, B, 0, H,
                                            3, s.reverse, s.bf16, gate_epi);
  });
  for (int64_t i = 0; i < BH; ++i) g.dh0[i] += carry[i];
  const int64_t H2 = 2 * H;
  const bool bf = s.bf16;
  gemm_call(false, false, TB, I, H2, dG, G4, w.w_ih, I, 0.f, g.dx, I, nullptr, bf);
  gemm_call(false, false, TB, I, H, dG + 3 * H, G4, w.w_ih + H2 * I, I, 1.f, g.dx, I, nullptr, bf);
  gemm_call(true, false, H2, I, TB, dG, G4, sv.x, I, 0.f, g.dw_ih, I, nullptr, bf);
  gemm_call(true, false, H, I, TB, dG + 3 * H, G4, sv.x, I, 0.f, g.dw_ih + H2 * I, I, nullptr, bf);
  float* hprev = hp_buf.get(static_cast<size_t>(TB * H));
  gather_xh(hprev, nullptr, sv.h0, sv.y, ldy, T, B, 0, H, s.reverse);
  gemm_call(true, false, N, H, TB, dG, G4, hprev, H, 0.f, g.dw_hh, H, nullptr, bf);
  if (g.db_ih || g.db_hh) {
    float* db = db_buf.get(static_cast<size_t>(G4));
    column_sums(db, dG, TB, G4);
    if (g.db_hh) std::memcpy(g.db_hh, db, sizeof(float) * N);
    if (g.db_ih) {
      std::memcpy(g.db_ih, db, sizeof(float) * H2);
      std::memcpy(g.db_ih + H2, db + 3 * H, sizeof(float) * H);
    }
  }
}

}  // namespace

extern const GruKernels gru = {NNE_KERNEL_ENTRY(gru_forward_impl), NNE_KERNEL_ENTRY(gru_backward_impl)};

}  // namespace NNE_ISA_NS
}  // namespace nne
