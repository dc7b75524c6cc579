// Scalar twins of the LSTM kernels: plain loops in time order, std::exp/std::tanh, float accumulation.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/lstm.h"

namespace nne {

namespace {
float sigm(float a) { return 1.f / (1.f + std::exp(-a)); }
}  // namespace

void lstm_forward_reference(float* y, float* h_n, float* c_n, float* gates, float* cs, const float* x,
                            const float* h0, const float* c0, RnnWeights w, const LstmShape& s) {
  const int64_t T = s.T, B = s.B, I = s.I, H = s.H, N = 4 * H;
  std::vector<float> c(c0, c0 + B * H), scratch(N);
  for (int64_t st = 0; st < T; ++st) {
    const int64_t t = s.reverse ? T - 1 - st : st, tp = s.reverse ? t + 1 : t - 1;
    const float* hp = st == 0 ? h0 : y + tp * B * H;
    for (int64_t b = 0; b < B; ++b) {
      float* gr = gates ? gates + (t * B + b) * N : scratch.data();
      for (int64_t n = 0; n < N; ++n) {
        float a = w.bias ? w.bias[n] : 0.f;
        for (int64_t i = 0; i < I; ++i) a += x[(t * B + b) * I + i] * w.w_ih[n * I + i];
        for (int64_t k = 0; k < H; ++k) a += hp[b * H + k] * w.w_hh[n * H + k];
        gr[n] = (n >= 2 * H && n < 3 * H) ? std::tanh(a) : sigm(a);
      }
      for (int64_t j = 0; j < H; ++j) {
        float& cj = c[b * H + j];
        cj = gr[H + j] * cj + gr[j] * gr[2 * H + j];
        if (cs) cs[(t * B + b) * H + j] = cj;
        y[(t * B + b) * H + j] = gr[3 * H + j] * std::tanh(cj);
      }
    }
  }
  std::memcpy(h_n, y + (s.reverse ? 0 : T - 1) * B * H, sizeof(float) * B * H);
  std::memcpy(c_n, c.data(), sizeof(float) * B * H);
}

void lstm_backward_reference(RnnGrads g, float* dc0, float* dgates, const float* dy, const float* dh_n,
                             const float* dc_n, LstmSaved sv, RnnWeights w, const LstmShape& s) {
  const int64_t T = s.T, B = s.B, H = s.H, N = 4 * H;
  std::vector<float> dh(dh_n, dh_n + B * H), dc(dc_n, dc_n + B * H);
  for (int64_t st = 0; st < T; ++st) {
    const int64_t t = s.reverse ? st : T - 1 - st, tp = s.reverse ? t + 1 : t - 1;
    const float* cp = (tp < 0 || tp >= T) ? sv.c0 : sv.cs + tp * B * H;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < H; ++j) {
        const int64_t r = (t * B + b) * N, q = b * H + j;
        const float i = sv.gates[r + j], f = sv.gates[r + H + j], gg = sv.gates[r + 2 * H + j];
        const float o = sv.gates[r + 3 * H + j];
        const float tc = std::tanh(sv.cs[t * B * H + q]), d = dy[t * B * H + q] + dh[q];
        const float dcj = dc[q] + d * o * (1.f - tc * tc);
        dc[q] = dcj * f;
        dgates[r + j] = dcj * gg * i * (1.f - i);
        dgates[r + H + j] = dcj * cp[q] * f * (1.f - f);
        dgates[r + 2 * H + j] = dcj * i * (1.f - gg * gg);
        dgates[r + 3 * H + j] = d * tc * o * (1.f - o);
      }
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < H; ++k) {
        float acc = 0.f;
        for (int64_t n = 0; n < N; ++n) acc += dgates[(t * B + b) * N + n] * w.w_hh[n * H + k];
        dh[b * H + k] = acc;
      }
  }
  std::memcpy(dc0, dc.data(), sizeof(float) * B * H);
  recurrent_param_grads_reference(g, dgates, dh.data(), sv.x, sv.h0, sv.y, w, T, B, s.I, H, 4, s.reverse);
}

}  // namespace nne
