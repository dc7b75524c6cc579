// softmax: softmax, log-softmax and the fused softmax cross-entropy, over one axis of a (outer, n, inner)
// row-major view (inner == 1 is the contiguous last-axis case).
//
// forward(y, x, s, log):        y = softmax(x) or log_softmax(x) along n
// backward(dx, dy, y, s, log):  softmax:     dx = y * (dy - sum(dy * y))
//                               log_softmax: dx = dy - exp(y) * sum(dy)
// forward_cross_entropy(loss, logz, x, target, rows, classes, ignore_index):
//     x (rows, classes) logits, m_r = max_c x[r, c], logz[r] = log(sum_c exp(x[r, c] - m_r)) (saved);
//     loss[r] = (m_r - x[r, t_r]) + logz[r] (0 where t_r == ignore_index).
// backward_cross_entropy(dx, x, logz, target, row_scale, rows, classes, ignore_index):
//     dx[r, c] = row_scale[r] * (exp((x[r,c] - m_r) - logz[r]) - [c == t_r]); 0 for ignored rows.
// forward_nll(loss, row_w, x, target, weight, s, ignore_index): x viewed as (outer = N, n = C, inner = D)
//     log-probabilities, target (N*D) at r = o*D + i; w_r = weight ? weight[t_r] : 1 (0 for ignored rows):
//     loss[r] = -(x[o, t_r, i] * w_r), row_w[r] = w_r (the denominator of torch's mean).
// backward_nll(dx, target, weight, g, g_n, s, ignore_index): dx = 0 except dx[o, t_r, i] = -(w_r * g_r),
//     g holding one value (broadcast) or one per row.
// Every log-sum-exp is kept relative to the row max, never as m + log(sum): for |m| >> 1 that sum
// rounds the log term away (logits of -1e30 would give a loss of 0), while (x - m) - logz stays exact.
// Targets are validated in the binding (0 <= t < classes or t == ignore_index).
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

struct AxisShape {
  int64_t outer = 1, n = 1, inner = 1;
};

struct SoftmaxKernels {
  void (*forward)(float* y, const float* x, AxisShape s, bool log);
  void (*backward)(float* dx, const float* dy, const float* y, AxisShape s, bool log);
  void (*forward_cross_entropy)(float* loss, float* logz, const float* x, const int64_t* target, int64_t rows,
                                int64_t classes, int64_t ignore_index);
  void (*backward_cross_entropy)(float* dx, const float* x, const float* logz, const int64_t* target,
                                 const float* row_scale, int64_t rows, int64_t classes, int64_t ignore_index);
  void (*forward_nll)(float* loss, float* row_w, const float* x, const int64_t* target, const float* weight,
                      AxisShape s, int64_t ignore_index);
  void (*backward_nll)(float* dx, const int64_t* target, const float* weight, const float* g, int64_t g_n,
                       AxisShape s, int64_t ignore_index);
};

void softmax_forward_reference(float* y, const float* x, AxisShape s, bool log);
void softmax_forward_nll_reference(float* loss, float* row_w, const float* x, const int64_t* target,
                                   const float* weight, AxisShape s, int64_t ignore_index);
void softmax_backward_nll_reference(float* dx, const int64_t* target, const float* weight, const float* g,
                                    int64_t g_n, AxisShape s, int64_t ignore_index);

}  // namespace nne

NNE_DISPATCH(nne::SoftmaxKernels, softmax)
