// Elman RNN (tanh / relu) forward/backward through time (compiled once per ISA). See rnn.h for the
// contract and recurrent_impl.h for the per-step fused GEMM.
#include "kernels/rnn.h"

#include <cstring>

#include "kernels/recurrent_impl.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

using namespace rec;

constexpr int kMr = 8;

void rnn_forward_impl(float* y, float* h_n, const float* x, const float* h0, RnnWeights w, const RnnShape& s) {
  const int64_t T = s.T, B = s.B, I = s.I, H = s.H, BH = B * H;
  gemm_call(false, true, T * B, H, I, x, I, w.w_ih, I, 0.f, y, H, w.bias);  // input projections into y
  static thread_local Scratch packed;
  float* wp = packed.get(static_cast<size_t>(nblocks(H) * L * H));
  pack_forward(wp, w.w_hh, H, 1);
  const bool relu = s.act == kRnnRelu;
  run_steps(T, B, 2 * H * H, [&](int64_t st, int64_t r0, int64_t r1) {
    const int64_t t = s.reverse ? T - 1 - st : st, tp = s.reverse ? t + 1 : t - 1;
    float* yt = y + t * BH;
    auto init = [&](int64_t b, int64_t j0, int n, VecF* acc) { acc[0] = loadn(yt + b * H + j0, n); };
    auto epi = [&](int64_t b, int64_t j0, int n, VecF* acc) {
      storen(yt + b * H + j0, relu ? vselect_gt(acc[0], vzero(), acc[0], vzero()) : vtanh_fast(acc[0]), n);
    };
    recurrent_step<kMr, 1>(r0, r1, H, H, st == 0 ? h0 : y + tp * BH, H, wp, init, epi);
  });
  std::memcpy(h_n, y + (s.reverse ? 0 : T - 1) * BH, sizeof(float) * BH);
}

void rnn_backward_impl(RnnGrads g, float* dpre, const float* dy, const float* dh_n, const float* x, const float* h0,
                       const float* y, RnnWeights w, const RnnShape& s) {
  const int64_t T = s.T, B = s.B, I = s.I, H = s.H, BH = B * H;
  static thread_local Scratch packed;
  float* wb = packed.get(static_cast<size_t>(nblocks(H) * L * H));
  pack_backward(wb, w.w_hh, H, 1);
  const bool relu = s.act == kRnnRelu;
  run_steps(T, B, 2 * H * H, [&](int64_t st, int64_t r0, int64_t r1) {
    const int64_t t = s.reverse ? st : T - 1 - st, tn = s.reverse ? t - 1 : t + 1;
    const bool last = st == 0;
    const float* yt = y + t * BH;
    const float* dyt = dy + t * BH;
    float* dt = dpre + t * BH;
    auto init = [&](int64_t b, int64_t j0, int n, VecF* acc) {
      acc[0] = loadn(dyt + b * H + j0, n);
      if (last) acc[0] = vadd(acc[0], loadn(dh_n + b * H + j0, n));
    };
    auto epi = [&](int64_t b, int64_t j0, int n, VecF* acc) {
      const VecF h = loadn(yt + b * H + j0, n);
      storen(dt + b * H + j0, relu ? vselect_gt(h, vzero(), acc[0], vzero()) : vmul(acc[0], vsub(vset1(1.f), vmul(h, h))), n);
    };
    recurrent_step<kMr, 1>(r0, r1, H, H, last ? nullptr : dpre + tn * BH, H, wb, init, epi);
  });
  param_grads(g, dpre, x, h0, y, w, T, B, I, H, 1, s.reverse);
}

void vmath_impl(float* out, const float* in, int64_t n, int kind) {
  for (int64_t i = 0; i < n; i += L) {
    const int m = static_cast<int>(std::min<int64_t>(L, n - i));
    const VecF v = loadn(in + i, m);
    VecF r;
    switch (kind) {
      case kVSigmoid: r = vsigmoid(v); break;
      case kVTanh: r = vtanh(v); break;
      case kVSigmoidFast: r = vsigmoid_fast(v); break;
      case kVTanhFast: r = vtanh_fast(v); break;
      default: r = vexp(v);
    }
    storen(out + i, r, m);
  }
}

}  // namespace

extern const RnnKernels rnn = {&rnn_forward_impl, &rnn_backward_impl, &vmath_impl};

}  // namespace NNE_ISA_NS
}  // namespace nne
