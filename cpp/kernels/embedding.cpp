// Embedding gather / scatter-add / renorm (compiled once per ISA). See embedding.h for the contract.
#include "kernels/embedding.h"

#include <algorithm>
#include <cstring>

#include "core/kernel_status.h"
#include "core/parallel.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

constexpr int64_t kGrainElems = 1 << 14;  // no threads below ~16k floats copied or summed per thread

int64_t row_grain(int64_t D) { return std::max<int64_t>(1, kGrainElems / std::max<int64_t>(1, D)); }

void embedding_forward_impl(float* out, const float* weight, const int64_t* idx, const EmbeddingShape& s) {
  const int64_t D = s.D;
  parallel_for(0, s.N, row_grain(D), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) std::memcpy(out + i * D, weight + idx[i] * D, sizeof(float) * D);
  });
}

void embedding_backward_impl(float* dweight, int64_t* work, const float* dout, const int64_t* idx,
                             const EmbeddingShape& s, int64_t padding_idx, bool scale_grad_by_freq) {
  const int64_t N = s.N, V = s.V, D = s.D;
  // Counting sort: after the fill, rows v's positions are pos[off[v] .. off[v + 1]) in ascending i.
  int64_t* off = work;  // V + 2
  int64_t* pos = work + V + 2;
  std::fill(off, off + V + 2, int64_t{0});
  for (int64_t i = 0; i < N; ++i) ++off[idx[i] + 2];
  for (int64_t v = 2; v < V + 2; ++v) off[v] += off[v - 1];
  for (int64_t i = 0; i < N; ++i) pos[off[idx[i] + 1]++] = i;
  // Threads own whole rows; rows are cut by vocabulary index (fixed), each summed in index order.
  const int64_t grain = std::max<int64_t>(1, row_grain(D) * V / std::max<int64_t>(1, N + V));
  parallel_for(0, V, grain, [&](int64_t v0, int64_t v1) {
    for (int64_t v = v0; v < v1; ++v) {
      float* dst = dweight + v * D;
      std::memset(dst, 0, sizeof(float) * D);
      const int64_t k0 = off[v], k1 = off[v + 1];
      if (v == padding_idx || k0 == k1) continue;
      if (scale_grad_by_freq) {
        const float scale = 1.f / static_cast<float>(k1 - k0);
        for (int64_t k = k0; k < k1; ++k) {
          const float* src = dout + pos[k] * D;
          for (int64_t j = 0; j < D; ++j) dst[j] += src[j] * scale;
        }
      } else {
        for (int64_t k = k0; k < k1; ++k) {
          const float* src = dout + pos[k] * D;
          for (int64_t j = 0; j < D; ++j) dst[j] += src[j];
        }
      }
    }
  });
}

void embedding_renorm_impl(float* weight, int64_t* work, const int64_t* idx, const EmbeddingShape& s,
                           double max_norm, double norm_type) {
  const int64_t V = s.V, D = s.D;
  int64_t* seen = work;  // V
  std::fill(seen, seen + V, int64_t{0});
  for (int64_t i = 0; i < s.N; ++i) seen[idx[i]] = 1;
  parallel_for(0, V, row_grain(D), [&](int64_t v0, int64_t v1) {
    for (int64_t v = v0; v < v1; ++v) {
      if (!seen[v]) continue;
      float* row = weight + v * D;
      const double norm = embedding_row_norm(row, D, norm_type);
      if (norm > max_norm) {
        const float scale = static_cast<float>(max_norm / (norm + 1e-7));
        for (int64_t j = 0; j < D; ++j) row[j] *= scale;
      }
    }
  });
}

}  // namespace

extern const EmbeddingKernels embedding = {
    NNE_KERNEL_ENTRY(embedding_forward_impl), NNE_KERNEL_ENTRY(embedding_backward_impl),
    NNE_KERNEL_ENTRY(embedding_renorm_impl)
};

}  // namespace NNE_ISA_NS
}  // namespace nne
