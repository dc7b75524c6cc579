// Scalar twins of the RNN kernels: plain loops in time order, std::tanh, float accumulation.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/rnn.h"

namespace nne {

void recurrent_param_grads_reference(const RnnGrads& g, const float* dG, const float* dh0_rec, const float* x,
                                     const float* h0, const float* y, RnnWeights w, int64_t T, int64_t B, int64_t I,
                                     int64_t H, int G, bool reverse) {
  const int64_t N = G * H;
  std::memcpy(g.dh0, dh0_rec, sizeof(float) * B * H);
  for (int64_t r = 0; r < T * B; ++r)
    for (int64_t i = 0; i < I; ++i) {
      float acc = 0.f;
      for (int64_t n = 0; n < N; ++n) acc += dG[r * N + n] * w.w_ih[n * I + i];
      g.dx[r * I + i] = acc;
    }
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t i = 0; i < I; ++i) {
      float acc = 0.f;
      for (int64_t r = 0; r < T * B; ++r) acc += dG[r * N + n] * x[r * I + i];
      g.dw_ih[n * I + i] = acc;
    }
    for (int64_t k = 0; k < H; ++k) {
      float acc = 0.f;
      for (int64_t t = 0; t < T; ++t) {
        const int64_t tp = reverse ? t + 1 : t - 1;
        const float* hp = (tp < 0 || tp >= T) ? h0 : y + tp * B * H;
        for (int64_t b = 0; b < B; ++b) acc += dG[(t * B + b) * N + n] * hp[b * H + k];
      }
      g.dw_hh[n * H + k] = acc;
    }
    if (g.db) {
      float acc = 0.f;
      for (int64_t r = 0; r < T * B; ++r) acc += dG[r * N + n];
      g.db[n] = acc;
    }
  }
}

void rnn_forward_reference(float* y, float* h_n, const float* x, const float* h0, RnnWeights w, const RnnShape& s) {
  const int64_t T = s.T, B = s.B, I = s.I, H = s.H;
  for (int64_t st = 0; st < T; ++st) {
    const int64_t t = s.reverse ? T - 1 - st : st, tp = s.reverse ? t + 1 : t - 1;
    const float* hp = st == 0 ? h0 : y + tp * B * H;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < H; ++j) {
        float a = w.bias ? w.bias[j] : 0.f;
        for (int64_t i = 0; i < I; ++i) a += x[(t * B + b) * I + i] * w.w_ih[j * I + i];
        for (int64_t k = 0; k < H; ++k) a += hp[b * H + k] * w.w_hh[j * H + k];
        y[(t * B + b) * H + j] = s.act == kRnnRelu ? (a > 0.f ? a : 0.f) : std::tanh(a);
      }
  }
  std::memcpy(h_n, y + (s.reverse ? 0 : T - 1) * B * H, sizeof(float) * B * H);
}

void rnn_backward_reference(RnnGrads g, float* dpre, const float* dy, const float* dh_n, const float* x,
                            const float* h0, const float* y, RnnWeights w, const RnnShape& s) {
  const int64_t T = s.T, B = s.B, H = s.H;
  std::vector<float> dh(dh_n, dh_n + B * H);
  for (int64_t st = 0; st < T; ++st) {
    const int64_t t = s.reverse ? st : T - 1 - st;
    for (int64_t r = 0; r < B * H; ++r) {
      const float d = dy[t * B * H + r] + dh[r], h = y[t * B * H + r];
      dpre[t * B * H + r] = s.act == kRnnRelu ? (h > 0.f ? d : 0.f) : d * (1.f - h * h);
    }
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < H; ++k) {
        float acc = 0.f;
        for (int64_t j = 0; j < H; ++j) acc += dpre[(t * B + b) * H + j] * w.w_hh[j * H + k];
        dh[b * H + k] = acc;
      }
  }
  recurrent_param_grads_reference(g, dpre, dh.data(), x, h0, y, w, T, B, s.I, H, 1, s.reverse);
}

}  // namespace nne
