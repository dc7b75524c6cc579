// Scalar twins of the GRU kernels: plain loops in time order, std::exp/std::tanh, float accumulation.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/gru.h"
#include "kernels/rnn.h"

namespace nne {

namespace {
float sigm(float a) { return 1.f / (1.f + std::exp(-a)); }
}  // namespace

void gru_forward_reference(float* y, float* h_n, float* gates, const float* x, const float* h0, GruWeights w,
                           const GruShape& s) {
  const int64_t T = s.T, B = s.B, I = s.I, H = s.H, N = 3 * H;
  std::vector<float> gi(N), gh(N);
  for (int64_t st = 0; st < T; ++st) {
    const int64_t t = s.reverse ? T - 1 - st : st, tp = s.reverse ? t + 1 : t - 1;
    const float* hp = st == 0 ? h0 : y + tp * B * H;
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t n = 0; n < N; ++n) {
        float a = w.b_ih ? w.b_ih[n] : 0.f, c = w.b_hh ? w.b_hh[n] : 0.f;
        for (int64_t i = 0; i < I; ++i) a += x[(t * B + b) * I + i] * w.w_ih[n * I + i];
        for (int64_t k = 0; k < H; ++k) c += hp[b * H + k] * w.w_hh[n * H + k];
        gi[n] = a;
        gh[n] = c;
      }
      for (int64_t j = 0; j < H; ++j) {
        const float r = sigm(gi[j] + gh[j]), z = sigm(gi[H + j] + gh[H + j]);
        const float nn = std::tanh(gi[2 * H + j] + r * gh[2 * H + j]);
        y[(t * B + b) * H + j] = (hp[b * H + j] - nn) * z + nn;
        if (gates) {
          float* p = gates + (t * B + b) * 4 * H + j;
          p[0] = r;
          p[H] = z;
          p[2 * H] = nn;
          p[3 * H] = gh[2 * H + j];
        }
      }
    }
  }
  std::memcpy(h_n, y + (s.reverse ? 0 : T - 1) * B * H, sizeof(float) * B * H);
}

void gru_backward_reference(GruGrads g, float* dG, const float* dy, const float* dh_n, GruSaved sv, GruWeights w,
                            const GruShape& s) {
  const int64_t T = s.T, B = s.B, H = s.H, N = 3 * H, TB = T * B;
  std::vector<float> dh(dh_n, dh_n + B * H), direct(B * H);
  for (int64_t st = 0; st < T; ++st) {
    const int64_t t = s.reverse ? st : T - 1 - st, tp = s.reverse ? t + 1 : t - 1;
    const float* hp = (tp < 0 || tp >= T) ? sv.h0 : sv.y + tp * B * H;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < H; ++j) {
        const int64_t r0 = (t * B + b) * 4 * H + j, q = b * H + j;
        const float r = sv.gates[r0], z = sv.gates[r0 + H], nn = sv.gates[r0 + 2 * H], ghn = sv.gates[r0 + 3 * H];
        const float d = dy[t * B * H + q] + dh[q];
        const float dan = d * (1.f - z) * (1.f - nn * nn);
        dG[r0] = dan * ghn * r * (1.f - r);
        dG[r0 + H] = d * (hp[q] - nn) * z * (1.f - z);
        dG[r0 + 2 * H] = dan * r;
        dG[r0 + 3 * H] = dan;
        direct[q] = d * z;
      }
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < H; ++k) {
        float acc = 0.f;
        for (int64_t n = 0; n < N; ++n) acc += dG[(t * B + b) * 4 * H + n] * w.w_hh[n * H + k];
        dh[b * H + k] = acc + direct[b * H + k];
      }
  }
  // w_hh's gradients pair with [a_r a_z gh_n], w_ih's with [a_r a_z a_n]: two (T*B, 3H) views.
  std::vector<float> dgh(TB * N), dgx(TB * N), unused_x(TB * s.I), unused_h(B * H);
  std::vector<float> unused_wi(N * s.I), unused_wh(N * H);
  for (int64_t r = 0; r < TB; ++r) {
    std::memcpy(&dgh[r * N], dG + r * 4 * H, sizeof(float) * N);
    std::memcpy(&dgx[r * N], dG + r * 4 * H, sizeof(float) * 2 * H);
    std::memcpy(&dgx[r * N + 2 * H], dG + r * 4 * H + 3 * H, sizeof(float) * H);
  }
  const RnnWeights rw{w.w_ih, w.w_hh, nullptr};
  const RnnGrads gh{unused_x.data(), g.dh0, unused_wi.data(), g.dw_hh, g.db_hh};
  const RnnGrads gx{g.dx, unused_h.data(), g.dw_ih, unused_wh.data(), g.db_ih};
  recurrent_param_grads_reference(gh, dgh.data(), dh.data(), sv.x, sv.h0, sv.y, rw, T, B, s.I, H, 3, s.reverse);
  recurrent_param_grads_reference(gx, dgx.data(), dh.data(), sv.x, sv.h0, sv.y, rw, T, B, s.I, H, 3, s.reverse);
}

}  // namespace nne
