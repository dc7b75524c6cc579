// Scalar twins of the embedding kernels: plain loops, the sequential scatter-add in index order.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/embedding.h"

namespace nne {

double embedding_row_norm(const float* row, int64_t D, double p) {
  double acc = 0.0;
  if (std::isinf(p)) {
    acc = p > 0 ? 0.0 : std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < D; ++j) {
      const double a = std::fabs(static_cast<double>(row[j]));
      acc = p > 0 ? std::max(acc, a) : std::min(acc, a);
    }
    return acc;
  }
  if (p == 0.0) {
    for (int64_t j = 0; j < D; ++j) acc += row[j] != 0.f ? 1.0 : 0.0;
    return acc;
  }
  if (p == 2.0) {
    for (int64_t j = 0; j < D; ++j) acc += static_cast<double>(row[j]) * row[j];
    return std::sqrt(acc);
  }
  for (int64_t j = 0; j < D; ++j) acc += std::pow(std::fabs(static_cast<double>(row[j])), p);
  return std::pow(acc, 1.0 / p);
}

void embedding_forward_reference(float* out, const float* weight, const int64_t* idx, const EmbeddingShape& s) {
  for (int64_t i = 0; i < s.N; ++i)
    for (int64_t j = 0; j < s.D; ++j) out[i * s.D + j] = weight[idx[i] * s.D + j];
}

void embedding_backward_reference(float* dweight, const float* dout, const int64_t* idx, const EmbeddingShape& s,
                                  int64_t padding_idx, bool scale_grad_by_freq) {
  std::vector<int64_t> count(static_cast<size_t>(s.V), 0);
  for (int64_t i = 0; i < s.N; ++i) ++count[idx[i]];
  std::memset(dweight, 0, sizeof(float) * s.V * s.D);
  for (int64_t i = 0; i < s.N; ++i) {
    const int64_t v = idx[i];
    if (v == padding_idx) continue;
    const float scale = 1.f / static_cast<float>(count[v]);
    for (int64_t j = 0; j < s.D; ++j) {
      if (scale_grad_by_freq) {
        dweight[v * s.D + j] += dout[i * s.D + j] * scale;
      } else {
        dweight[v * s.D + j] += dout[i * s.D + j];
      }
    }
  }
}

void embedding_renorm_reference(float* weight, const int64_t* idx, const EmbeddingShape& s, double max_norm,
                                double norm_type) {
  std::vector<char> done(static_cast<size_t>(s.V), 0);
  for (int64_t i = 0; i < s.N; ++i) {
    const int64_t v = idx[i];
    if (done[v]) continue;
    done[v] = 1;
    float* row = weight + v * s.D;
    const double norm = embedding_row_norm(row, s.D, norm_type);
    if (norm > max_norm) {
      const float scale = static_cast<float>(max_norm / (norm + 1e-7));
      for (int64_t j = 0; j < s.D; ++j) row[j] *= scale;
    }
  }
}

}  // namespace nne
