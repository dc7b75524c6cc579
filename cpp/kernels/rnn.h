// Elman RNN over a whole sequence: forward and backward through time (one direction; the Python
// layer composes directions and layers).
//
// Shapes (time-major, row-major, PyTorch layout): x (T, B, I), y (T, B, H), h0/h_n (B, H),
// w_ih (H, I), w_hh (H, H), bias (H) = b_ih + b_hh (or null).
//   pre_t = x_t w_ih^T + bias + h_{t-1} w_hh^T,  h_t = act(pre_t),  act = tanh or relu.
// With `reverse` the recurrence runs from t = T-1 down to 0 (h_{t+1} feeds step t) and y[t] is still
// the state at time t. Forward: one sgemm for every input projection (written straight into y), then
// per step a fused recurrent GEMM + activation over hidden-unit blocks with w_hh kept packed for the
// whole sequence. Backward (BPTT, rnn_impl.h backward_sweep): per step dpre_{t+1} [w_hh | w_ih]
// gives the recurrent part of dh_t (fused with the activation derivative, from y) and dx_{t+1}; then
// [dw_ih | dw_hh] (summed over time) as one GEMM and db as column sums.
// Reference: Elman (1990); PyTorch's nn.RNN documentation for the layout.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

enum RnnAct : int { kRnnTanh = 0, kRnnRelu = 1 };

struct RnnShape {
  int64_t T = 0, B = 0, I = 0, H = 0;
  int act = kRnnTanh;
  bool reverse = false;
  int64_t ldy = 0;  // row stride of y and dy (0: H); > H lets both directions share one (T, B, 2H) array
  bool bf16 = false;  // gate products in bf16 with float32 sums (autocast; see rnn_impl.h)
};

// Row stride of y / dy.
template <class Shape>
inline int64_t y_stride(const Shape& s) { return s.ldy > 0 ? s.ldy : s.H; }

struct RnnWeights {
  const float* w_ih;  // (G*H, I)
  const float* w_hh;  // (G*H, H)
  const float* bias;  // (G*H) or null
};

// Gradients written by backward (every pointer is written; db only if non-null).
struct RnnGrads {
  float* dx;     // (T, B, I)
  float* dh0;    // (B, H)
  float* dw_ih;  // (G*H, I)
  float* dw_hh;  // (G*H, H)
  float* db;     // (G*H) or null
};

// Elementwise vector math exposed for tests: core/simd.h's sigmoid, tanh, exp and the fast sigmoid /
// tanh / exp the recurrent gates use.
enum VmathKind : int { kVSigmoid = 0, kVTanh = 1, kVExp = 2, kVSigmoidFast = 3, kVTanhFast = 4, kVExpFast = 5 };

struct RnnKernels {
  void (*forward)(float* y, float* h_n, const float* x, const float* h0, RnnWeights w, const RnnShape& s);
  // dpre: workspace (T, B, H).
  void (*backward)(RnnGrads g, float* dpre, const float* dy, const float* dh_n, const float* x,
                   const float* h0, const float* y, RnnWeights w, const RnnShape& s);
  void (*vmath)(float* out, const float* in, int64_t n, int kind);
};

// Scalar reference twins (cpp/reference/rnn_ref.cpp).
void rnn_forward_reference(float* y, float* h_n, const float* x, const float* h0, RnnWeights w, const RnnShape& s);
void rnn_backward_reference(RnnGrads g, float* dpre, const float* dy, const float* dh_n, const float* x,
                            const float* h0, const float* y, RnnWeights w, const RnnShape& s);
// Shared by the reference twins: parameter/input gradients from pre-activation gradients dG (T, B, G*H).
void recurrent_param_grads_reference(const RnnGrads& g, const float* dG, const float* dh0_rec, const float* x,
                                     const float* h0, const float* y, RnnWeights w, int64_t T, int64_t B, int64_t I,
                                     int64_t H, int G, bool reverse);

}  // namespace nne

NNE_DISPATCH(nne::RnnKernels, rnn)
