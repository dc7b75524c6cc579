// GRU over a whole sequence: forward and backward through time (one direction; the Python layer
// composes directions and layers).
//
// Shapes (time-major, row-major, PyTorch layout, gate order r, z, n): x (T, B, I), y (T, B, H),
// h0/h_n (B, H), w_ih (3H, I), w_hh (3H, H), b_ih/b_hh (3H) each or null. b_hn stays inside the reset
// product, as in PyTorch (so the biases are not summed):
//   gi_t = x_t w_ih^T + b_ih;  gh_t = h_{t-1} w_hh^T + b_hh
//   r = sigmoid(gi_r + gh_r), z = sigmoid(gi_z + gh_z), n = tanh(gi_n + r * gh_n)
//   h_t = (h_{t-1} - n) * z + n      (= (1 - z) n + z h_{t-1}, PyTorch's rounding order)
// Workspace saved by forward for backward: gates (T, B, 4H) = [r z n gh_n]. `reverse` runs the
// recurrence from t = T-1 down to 0. Forward: one GEMM for every input projection (x @ w_ih^T with
// w_ih^T materialised, written into the workspace; a row's result does not depend on the row count, so
// a sequence streamed in chunks equals one whole call), then per step one fused kernel computes
// b_hh + h_{t-1} w_hh^T in registers (w_hh packed once, the three gates of a block of hidden units side
// by side) and the gate update (rnn_impl.h). Backward: per step dG_{t+1} [r z gh_n] w_hh gives the
// recurrent part of dh_t (fused with the gate derivatives, rnn_impl.h backward_sweep); then dx,
// dw_ih, dw_hh (summed over time) are whole-sequence GEMMs and the bias gradients column sums.
// dG workspace (T, B, 4H) = gradients of [a_r a_z gh_n a_n] (a_* the gates' pre-activations).
// Reference: Cho et al. (2014); PyTorch's nn.GRU documentation for the layout.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

struct GruShape {
  int64_t T = 0, B = 0, I = 0, H = 0;
  bool reverse = false;
  int64_t ldy = 0;  // row stride of y and dy (0: H), as RnnShape::ldy
  bool bf16 = false;  // gate products in bf16 with float32 sums, as RnnShape::bf16
};

struct GruWeights {
  const float* w_ih;  // (3H, I)
  const float* w_hh;  // (3H, H)
  const float* b_ih;  // (3H) or null
  const float* b_hh;  // (3H) or null
};

// Gradients written by backward (every pointer is written; a bias gradient only if non-null).
struct GruGrads {
  float* dx;     // (T, B, I)
  float* dh0;    // (B, H)
  float* dw_ih;  // (3H, I)
  float* dw_hh;  // (3H, H)
  float* db_ih;  // (3H) or null
  float* db_hh;  // (3H) or null
};

// What forward saved (and backward reads).
struct GruSaved {
  const float* x;      // (T, B, I)
  const float* h0;     // (B, H)
  const float* y;      // (T, B, H) (row stride ldy)
  const float* gates;  // (T, B, 4H)
};

struct GruKernels {
  // gates: workspace output for backward (null for inference).
  void (*forward)(float* y, float* h_n, float* gates, const float* x, const float* h0, GruWeights w,
                  const GruShape& s);
  // dG: workspace (T, B, 4H).
  void (*backward)(GruGrads g, float* dG, const float* dy, const float* dh_n, GruSaved sv, GruWeights w,
                   const GruShape& s);
};

// Scalar reference twins (cpp/reference/gru_ref.cpp).
void gru_forward_reference(float* y, float* h_n, float* gates, const float* x, const float* h0, GruWeights w,
                           const GruShape& s);
void gru_backward_reference(GruGrads g, float* dG, const float* dy, const float* dh_n, GruSaved sv, GruWeights w,
                            const GruShape& s);

}  // namespace nne

NNE_DISPATCH(nne::GruKernels, gru)
