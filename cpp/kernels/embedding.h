// Embedding: a table lookup (gather), its gradient (a deterministic scatter-add) and max_norm's in-place
// row renormalisation.
//
// Shapes: weight (V, D) row-major, indices idx (N) int64, each in [0, V) (the binding validates them),
// out / dout (N, D), dweight (V, D).
//   forward:  out[i] = weight[idx[i]]
//   backward: dweight[v] = sum over i with idx[i] == v, in ascending i, of dout[i] (times 1 / count(v) with
//             scale_grad_by_freq); the row v == padding_idx (>= 0) stays zero.
//   renorm:   every referenced row whose norm_type-norm exceeds max_norm is scaled by
//             max_norm / (norm + 1e-7) (PyTorch's embedding_renorm_; the norm in double).
// Backward partitions by output row: a counting sort of the indices (per-row offsets, then the positions
// in ascending order) lets each thread own whole rows of dweight and sum each row in index order, so the
// result is bit-identical at any thread count and equal to the sequential scatter-add.
// Workspace `work`: int64 of size V + 2 + N (backward) or V (renorm), from the caller.
// Reference: PyTorch's nn.Embedding / F.embedding documentation.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

struct EmbeddingShape {
  int64_t N = 0, V = 0, D = 0;
};

struct EmbeddingKernels {
  void (*forward)(float* out, const float* weight, const int64_t* idx, const EmbeddingShape& s);
  void (*backward)(float* dweight, int64_t* work, const float* dout, const int64_t* idx,
                   const EmbeddingShape& s, int64_t padding_idx, bool scale_grad_by_freq);
  void (*renorm)(float* weight, int64_t* work, const int64_t* idx, const EmbeddingShape& s,
                 double max_norm, double norm_type);
};

// Scalar reference twins (cpp/reference/embedding_ref.cpp): plain loops, the sequential scatter-add.
void embedding_forward_reference(float* out, const float* weight, const int64_t* idx, const EmbeddingShape& s);
void embedding_backward_reference(float* dweight, const float* dout, const int64_t* idx, const EmbeddingShape& s,
                                  int64_t padding_idx, bool scale_grad_by_freq);
void embedding_renorm_reference(float* weight, const int64_t* idx, const EmbeddingShape& s, double max_norm,
                                double norm_type);

// The norm of one row as renorm uses it (shared by the kernels and the reference): the p-norm in double,
// max |x| for p = inf, the count of non-zeros for p = 0.
double embedding_row_norm(const float* row, int64_t D, double p);

}  // namespace nne

NNE_DISPATCH(nne::EmbeddingKernels, embedding)
