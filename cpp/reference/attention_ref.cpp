// Scalar twins of the attention kernels: plain loops over (n, h, i, j), float accumulation in index order.
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/attention.h"
#include "kernels/dropout.h"

namespace nne {
namespace {

float keep_scale(const AttentionShape& s, int64_t idx) {
  if (s.dropout_p <= 0.f) return 1.f;
  const uint32_t k1 = static_cast<uint32_t>(s.seed), k2 = static_cast<uint32_t>(s.seed >> 32);
  return dropout_keep(static_cast<uint32_t>(idx), k1, k2, dropout_threshold(s.dropout_p)) ? 1.f / (1.f - s.dropout_p)
                                                                                            : 0.f;
}

int64_t off(const AttnStrides& st, int64_t n, int64_t h, int64_t i) { return n * st.sn + h * st.sh + i * st.sl; }

}  // namespace

void attention_forward_reference(float* out, float* attn, const float* q, const float* k, const float* v,
                                 const float* mask, const float* kpm, const AttentionShape& s) {
  const float ninf = -std::numeric_limits<float>::infinity();
  std::vector<float> scratch(attn ? 0 : static_cast<size_t>(s.L * s.S));
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t h = 0; h < s.heads; ++h) {
      float* P = attn ? attn + (n * s.heads + h) * s.L * s.S : scratch.data();
      for (int64_t i = 0; i < s.L; ++i) {
        float* p = P + i * s.S;
        const int64_t lim = s.causal ? (i + 1 < s.S ? i + 1 : s.S) : s.S;
        float m = ninf;
        for (int64_t j = 0; j < s.S; ++j) {
          float acc = 0.f;
          for (int64_t d = 0; d < s.E; ++d) acc += q[off(s.q, n, h, i) + d] * k[off(s.k, n, h, j) + d];
          float x = s.scale * acc;
          if (mask) x += mask[off(s.mask, n, h, i) + j];
          if (kpm) x += kpm[off(s.kpm, n, h, i) + j];
          p[j] = j < lim ? x : ninf;
          m = p[j] > m ? p[j] : m;
        }
        if (!(m > ninf)) {
          const bool nan = std::isnan(m) || !s.zero_masked_rows;
          for (int64_t j = 0; j < s.S; ++j) p[j] = nan && j < lim ? std::numeric_limits<float>::quiet_NaN() : 0.f;
          continue;
        }
        float sum = 0.f;
        for (int64_t j = 0; j < s.S; ++j) sum += (p[j] = j < lim ? std::exp(p[j] - m) : 0.f);
        for (int64_t j = 0; j < s.S; ++j) p[j] *= 1.f / sum;
      }
      for (int64_t i = 0; i < s.L; ++i)
        for (int64_t d = 0; d < s.Ev; ++d) {
          float acc = 0.f;
          for (int64_t j = 0; j < s.S; ++j) {
            const int64_t idx = ((n * s.heads + h) * s.L + i) * s.S + j;
            acc += P[i * s.S + j] * keep_scale(s, idx) * v[off(s.v, n, h, j) + d];
          }
          out[off(s.o, n, h, i) + d] = acc;
        }
    }
}

void attention_backward_reference(float* dq, float* dk, float* dv, const float* dout, const float* dattn,
                                  const float* q, const float* k, const float* v, const float* attn,
                                  const AttentionShape& s) {
  std::vector<float> dS(static_cast<size_t>(s.L * s.S));
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t h = 0; h < s.heads; ++h) {
      const int64_t base = (n * s.heads + h) * s.L * s.S;
      const float* P = attn + base;
      for (int64_t i = 0; i < s.L; ++i) {
        float c = 0.f;
        for (int64_t j = 0; j < s.S; ++j) {
          float acc = 0.f;
          for (int64_t d = 0; d < s.Ev; ++d) acc += dout[off(s.o, n, h, i) + d] * v[off(s.v, n, h, j) + d];
          dS[i * s.S + j] = acc * keep_scale(s, base + i * s.S + j) + (dattn ? dattn[base + i * s.S + j] : 0.f);
          c += dS[i * s.S + j] * P[i * s.S + j];
        }
        for (int64_t j = 0; j < s.S; ++j) dS[i * s.S + j] = P[i * s.S + j] * (dS[i * s.S + j] - c);
      }
      for (int64_t j = 0; j < s.S; ++j)
        for (int64_t d = 0; d < s.Ev; ++d) {
          float acc = 0.f;
          for (int64_t i = 0; i < s.L; ++i)
            acc += P[i * s.S + j] * keep_scale(s, base + i * s.S + j) * dout[off(s.o, n, h, i) + d];
          dv[off(s.v, n, h, j) + d] = acc;
        }
      for (int64_t i = 0; i < s.L; ++i)
        for (int64_t d = 0; d < s.E; ++d) {
          float acc = 0.f;
          for (int64_t j = 0; j < s.S; ++j) acc += dS[i * s.S + j] * k[off(s.k, n, h, j) + d];
          dq[off(s.q, n, h, i) + d] = s.scale * acc;
        }
      for (int64_t j = 0; j < s.S; ++j)
        for (int64_t d = 0; d < s.E; ++d) {
          float acc = 0.f;
          for (int64_t i = 0; i < s.L; ++i) acc += dS[i * s.S + j] * q[off(s.q, n, h, i) + d];
          dk[off(s.k, n, h, j) + d] = s.scale * acc;
        }
    }
}

}  // namespace nne
