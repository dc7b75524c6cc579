// LSTM over a whole sequence: forward and backward through time (one direction; the Python layer
// composes directions and layers).
//
// Shapes (time-major, row-major, PyTorch layout, gate order i, f, g, o): x (T, B, I), y (T, B, H),
// h0/c0/h_n/c_n (B, H), w_ih (4H, I), w_hh (4H, H), bias (4H) = b_ih + b_hh (or null).
//   a_t = x_t w_ih^T + bias + h_{t-1} w_hh^T;  i, f, o = sigmoid(a_i, a_f, a_o), g = tanh(a_g)
//   c_t = f c_{t-1} + i g;  h_t = o tanh(c_t)
// Workspace saved by forward for backward: gates (T, B, 4H) = activated [i f g o], cs (T, B, H) = c_t.
// `reverse` runs the recurrence from t = T-1 down to 0. Forward: [w_ih | w_hh] packed once per call
// (gates interleaved per block of hidden units), then per step one fused kernel computes
// bias + x_t w_ih^T + h_{t-1} w_hh^T in registers, the gate non-linearities and the cell update (no
// projection buffer goes through memory; with batch-row groups on threads for the whole sequence).
// Backward: per step dgates_{t+1} [w_hh | w_ih] gives the recurrent part of dh_t (fused with the gate
// derivatives) and dx_{t+1}; then [dw_ih | dw_hh] (summed over time steps) is one GEMM, db column sums.
// bf16 (autocast): the same fused steps on the bf16 panel kernel (rnn_impl.h).
// Reference: Hochreiter & Schmidhuber (1997); PyTorch's nn.LSTM documentation for the layout.
#pragma once

#include <cstdint>

#include "core/isa.h"
#include "kernels/rnn.h"

namespace nne {

struct LstmShape {
  int64_t T = 0, B = 0, I = 0, H = 0;
  bool reverse = false;
  int64_t ldy = 0;  // row stride of y and dy (0: H), as RnnShape::ldy
  bool bf16 = false;  // gate products in bf16 with float32 sums, as RnnShape::bf16
};

// What forward saved (and backward reads).
struct LstmSaved {
  const float* x;      // (T, B, I)
  const float* h0;     // (B, H)
  const float* c0;     // (B, H)
  const float* y;      // (T, B, H)
  const float* gates;  // (T, B, 4H)
  const float* cs;     // (T, B, H)
};

struct LstmKernels {
  // gates and cs are workspace outputs for backward (both may be null for inference: then c_n carries
  // the state).
  void (*forward)(float* y, float* h_n, float* c_n, float* gates, float* cs, const float* x, const float* h0,
                  const float* c0, RnnWeights w, const LstmShape& s);
  // dgates: workspace (T, B, 4H); dc0: (B, H).
  void (*backward)(RnnGrads g, float* dc0, float* dgates, const float* dy, const float* dh_n,
                   const float* dc_n, LstmSaved sv, RnnWeights w, const LstmShape& s);
};

// Scalar reference twins (cpp/reference/lstm_ref.cpp).
void lstm_forward_reference(float* y, float* h_n, float* c_n, float* gates, float* cs, const float* x,
                            const float* h0, const float* c0, RnnWeights w, const LstmShape& s);
void lstm_backward_reference(RnnGrads g, float* dc0, float* dgates, const float* dy, const float* dh_n,
                             const float* dc_n, LstmSaved sv, RnnWeights w, const LstmShape& s);

}  // namespace nne

NNE_DISPATCH(nne::LstmKernels, lstm)
