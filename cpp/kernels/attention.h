// attention: fused scaled dot-product attention (Vaswani et al. 2017), forward and backward.
//
// Shape letters (PyTorch's nn.MultiheadAttention / F.scaled_dot_product_attention docs): N batch, heads
// attention heads, L target (query) length, S source (key/value) length, E query/key head dimension,
// Ev value head dimension. Each of q (N, heads, L, E), k (N, heads, S, E), v (N, heads, S, Ev) and the
// output o (N, heads, L, Ev) is addressed through strides, element (n, h, i, d) at n*sn + h*sh + i*sl + d
// (the feature d contiguous), so the same kernel reads SDPA's (N, heads, L, E) tensors and a
// MultiheadAttention projection laid out as (L, N, heads*E) or (N, L, heads*E) (q, k and v may be
// column slices of one packed in-projection) without copies.
//
//   scores = scale * q k^T + mask + kpm        (L, S) per (n, h); causal: j > i is masked (top-left)
//   attn   = softmax(scores) along S           written out (N*heads, L, S): the weights, and backward's input
//   o      = dropout(attn) v                   dropout: attention.h's mask = dropout.h's dropout_keep of the
//                                              flat attn index, so dropout_forward(attn, p, seed) reproduces it
// Masks are additive float32 (0 / -inf for boolean masks, converted by the caller), each addressed by its
// own (sn, sh, sl) strides (0 broadcasts): attn_mask (L, S), (N*heads, L, S) or any broadcast of
// (N, heads, L, S); kpm is a key-padding mask (N, S) (strides (S, 0, 0)). Either may be null.
// A row whose every score is -inf (fully masked) gives attn = 0 (zero_masked_rows, what torch's
// scaled_dot_product_attention returns) or NaN (an explicit softmax, torch's need_weights path).
//
// Backward (dout -> dq, dk, dv; written through q's, k's and v's strides, dout through o's):
//   dV = dropout(attn)^T dout,  dP = dropout'(dout v^T) + dattn,  dS = attn * (dP - rowsum(dP * attn)),
//   dq = scale * dS k,  dk = scale * dS^T q.
// Every GEMM is the engine's (kernels/gemm.h). Threads split N*heads; each (n, h) is computed by one
// thread with a fixed instruction sequence, so results are bit-identical at any thread count.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

// Strides (in floats) of the batch, head and position dimensions; the feature dimension is contiguous.
struct AttnStrides {
  int64_t sn = 0, sh = 0, sl = 0;
};

struct AttentionShape {
  int64_t N = 0, heads = 1, L = 0, S = 0, E = 0, Ev = 0;
  AttnStrides q, k, v, o;  // o: the output and dout
  AttnStrides mask, kpm;   // additive masks (sl of kpm is 0)
  float scale = 1.f;
  bool causal = false;
  bool zero_masked_rows = true;
  float dropout_p = 0.f;  // in [0, 1); 0 = no dropout
  uint64_t seed = 0;
};

struct AttentionKernels {
  // out: o's strides; attn: (N*heads, L, S) contiguous, or null (inference: the weights stay in a per-thread
  // (L, S) scratch, in cache). mask / kpm may be null.
  void (*forward)(float* out, float* attn, const float* q, const float* k, const float* v,
                  const float* mask, const float* kpm, const AttentionShape& s);
  // attn: the forward's; dattn (may be null): a gradient reaching the weights directly (need_weights users).
  // dq, dk, dv: q's, k's, v's strides (they may be disjoint column slices of one array).
  void (*backward)(float* dq, float* dk, float* dv, const float* dout, const float* dattn, const float* q,
                   const float* k, const float* v, const float* attn, const AttentionShape& s);
};

// Scalar reference twins (cpp/reference/attention_ref.cpp).
void attention_forward_reference(float* out, float* attn, const float* q, const float* k, const float* v,
                                 const float* mask, const float* kpm, const AttentionShape& s);
void attention_backward_reference(float* dq, float* dk, float* dv, const float* dout, const float* dattn,
                                  const float* q, const float* k, const float* v, const float* attn,
                                  const AttentionShape& s);

}  // namespace nne

NNE_DISPATCH(nne::AttentionKernels, attention)
