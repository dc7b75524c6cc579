// Fused optimizer steps: SGD (momentum, dampening, Nesterov, weight decay), Adam / AdamW (amsgrad),
// RMSprop (momentum, centered), Adagrad, Adadelta, Adamax, NAdam and RAdam, updating parameters and
// state in place.
//
// One call updates a whole parameter group: the caller passes a list of OptimSegment (one per
// tensor: parameter, gradient, up to three state buffers, n elements, per-tensor scalars). The
// kernel treats the group as one flat index space [0, sum n), cuts it with parallel_for above a
// grain, and runs every element through the same SIMD lane code (tails go through a padded vector),
// so results are bit-identical at any thread count and any cut.
//
// Formulas are torch.optim's (torch 2.x, _single_tensor_* / _foreach_* paths), element-wise:
// Rounding follows torch's CPU kernels: add(alpha) and lerp are FMAs, mul/addcmul/addcdiv are not.
//   SGD:     d = g (+ wd*p); buf = first ? d : momentum*buf + (1-dampening)*d;
//            d = nesterov ? d + momentum*buf : buf (when momentum != 0); p -= lr*d
//   Adam:    g (+= wd*p | AdamW: p *= 1-lr*wd); m = lerp(m, g, 1-b1); v = b2*v + (1-b2)*g*g;
//            [vmax = max(vmax, v); use vmax]; p += (-step_size * m) / (sqrt(v)/bc2_sqrt + eps)
//            with step_size = lr/(1-b1^t), bc2_sqrt = sqrt(1-b2^t) per tensor (c0, c1)
//   RMSprop: g (+= wd*p); sq = alpha*sq + (1-alpha)*g*g; [ga = lerp(ga, g, 1-alpha); avg = sqrt(sq - ga*ga)]
//            else avg = sqrt(sq); avg += eps; momentum>0: buf = momentum*buf + g/avg, p -= lr*buf
//            else p += (-lr*g)/avg
//   Adagrad: g (+= wd*p); sum += g*g; p += (-clr*g)/(sqrt(sum)+eps), clr = lr/(1+(t-1)*lr_decay) (c0)
//   Adadelta: g (+= wd*p); sq = rho*sq + (1-rho)*g*g; d = sqrt(acc+eps)/sqrt(sq+eps)*g;
//            acc = rho*acc + (1-rho)*d*d; p -= lr*d
//   Adamax:  g (+= wd*p); m = lerp(m, g, 1-b1); u = max(b2*u, |g|+eps); p += (-clr*m)/u,
//            clr = lr/(1-b1^t) (c0)
//   NAdam:   g (+= wd*p | decoupled: p *= 1-lr*wd); m = lerp(m, g, 1-b1); v = b2*v + (1-b2)*g*g;
//            denom = sqrt(v/bc2) + eps; p += (c0*g)/denom; p += (c1*m)/denom with
//            c0 = -lr(1-mu_t)/(1-prod mu), c1 = -lr mu_{t+1}/(1-prod mu * mu_{t+1}), c2 = bc2 = 1-b2^t
//   RAdam:   g (+= wd*p | decoupled: p *= 1-lr*wd); m = lerp(m, g, 1-b1); v = b2*v + (1-b2)*g*g;
//            mh = m/bc1 (c0); rectified (flag): p -= mh*lr*(1/(sqrt(v)+eps) * sqrt(bc2)) * r
//            (c1 = sqrt(bc2), c2 = r), else p -= mh*lr; torch's python-scalar / tensor is reciprocal*scalar
// `maximize` negates g first, as in torch.
#pragma once

#include <cstdint>

#include "core/isa.h"

namespace nne {

// One tensor of a parameter group. State buffers a kernel does not use may be null.
struct OptimSegment {
  float* param = nullptr;
  const float* grad = nullptr;
  // SGD momentum_buffer | Adam/Adamax/NAdam/RAdam exp_avg | RMSprop/Adadelta square_avg | Adagrad sum
  float* s0 = nullptr;
  float* s1 = nullptr;  // Adam/NAdam/RAdam exp_avg_sq | RMSprop momentum_buffer | Adadelta acc_delta | Adamax exp_inf
  float* s2 = nullptr;  // Adam max_exp_avg_sq | RMSprop grad_avg
  int64_t n = 0;
  // per-tensor scalars: Adam step_size, bc2_sqrt | Adagrad/Adamax clr | NAdam c0, c1, bc2 | RAdam bc1, sqrt(bc2), r
  float c0 = 0.f, c1 = 0.f, c2 = 0.f;
  int32_t first = 0;  // SGD: 1 on this tensor's first momentum step (buffer = d) | RAdam: 1 = rectified step
};

// Hyper-parameters are doubles: derived constants (1 - dampening, 1 - lr*wd, ...) are formed in double
// and rounded to float once, as torch's Python does before handing scalars to its kernels.
struct SgdArgs {
  double lr = 1e-3, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false, maximize = false;
};

struct AdamArgs {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool amsgrad = false, decoupled = false, maximize = false;  // decoupled = AdamW
};

struct RmspropArgs {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0;
  bool centered = false, maximize = false;
};

struct AdagradArgs {
  double weight_decay = 0, eps = 1e-10;
  bool maximize = false;
};

struct AdadeltaArgs {
  double lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0;
  bool maximize = false;
};

struct AdamaxArgs {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool maximize = false;
};

// NAdam and RAdam: lr only enters through decoupled weight decay (NAdam) or the step (RAdam).
struct NadamArgs {
  double lr = 2e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled = false, maximize = false;
};

struct OptimKernels {
  void (*step_sgd)(const OptimSegment* segs, int64_t nseg, const SgdArgs& a);
  void (*step_adam)(const OptimSegment* segs, int64_t nseg, const AdamArgs& a);
  void (*step_rmsprop)(const OptimSegment* segs, int64_t nseg, const RmspropArgs& a);
  void (*step_adagrad)(const OptimSegment* segs, int64_t nseg, const AdagradArgs& a);
  void (*step_adadelta)(const OptimSegment* segs, int64_t nseg, const AdadeltaArgs& a);
  void (*step_adamax)(const OptimSegment* segs, int64_t nseg, const AdamaxArgs& a);
  void (*step_nadam)(const OptimSegment* segs, int64_t nseg, const NadamArgs& a);
  void (*step_radam)(const OptimSegment* segs, int64_t nseg, const NadamArgs& a);
};

// Scalar reference twins (cpp/reference/optim_ref.cpp): the same formulas, one element at a time.
void optim_step_sgd_reference(const OptimSegment* segs, int64_t nseg, const SgdArgs& a);
void optim_step_adam_reference(const OptimSegment* segs, int64_t nseg, const AdamArgs& a);
void optim_step_rmsprop_reference(const OptimSegment* segs, int64_t nseg, const RmspropArgs& a);
void optim_step_adagrad_reference(const OptimSegment* segs, int64_t nseg, const AdagradArgs& a);
void optim_step_adadelta_reference(const OptimSegment* segs, int64_t nseg, const AdadeltaArgs& a);
void optim_step_adamax_reference(const OptimSegment* segs, int64_t nseg, const AdamaxArgs& a);
void optim_step_nadam_reference(const OptimSegment* segs, int64_t nseg, const NadamArgs& a);
void optim_step_radam_reference(const OptimSegment* segs, int64_t nseg, const NadamArgs& a);

// Elements per parallel chunk: below 2x this a group is updated on one thread.
constexpr int64_t kOptimGrain = 1 << 15;

// ---- Epilogues: what Optimizer.step applies to each updated parameter after the update ----------
// (cpp/kernels/optim_epilogue.cpp). One call covers every parameter of a step; per tensor, in order:
//   1. proximal L1 (prox > 0): w = sign(w) * max(|w| - prox, 0)   (soft thresholding, prox = lr*l1)
//   2. the constraint (Keras formulas, EPS = kConstraintEpsilon), with norms over the `red` axis of w
//      viewed as [outer, red, inner] (one norm per (outer, inner) pair), n = float(sqrt(sum w^2)),
//      the sum accumulated in double in index order:
//        MaxNorm:  w *= min(max(n, 0), max_value) / (EPS + n)     UnitNorm: w /= (EPS + n)
//        NonNeg:   w = w < 0 ? 0 : w                               None: nothing
// NaN propagates (a NaN norm turns its slice to NaN, as numpy does). Each norm slice is handled by one
// thread in a fixed order, elementwise work is cut anywhere, so results are bit-identical at any
// thread count.
enum ConstraintKind : int32_t { kConstraintNone = 0, kConstraintMaxNorm = 1, kConstraintUnitNorm = 2, kConstraintNonNeg = 3 };
constexpr float kConstraintEpsilon = 1e-7f;  // Keras' backend epsilon

struct EpilogueSegment {
  float* w = nullptr;
  int64_t outer = 0, red = 0, inner = 0;  // outer * red * inner = the tensor's size
  float prox = 0.f;                       // > 0: soft threshold first
  int32_t kind = kConstraintNone;
  float max_value = 0.f;                  // MaxNorm
};

// L1/L2 weight penalty l1 * sum|w| + l2 * sum w^2 as one value/gradient pair (regularizers.py):
//   penalty_sums:  sums[0] = sum |w|, sums[1] = sum w^2, accumulated in double over fixed chunks of
//                  kOptimGrain elements combined in order (bit-identical at any thread count)
//   penalty_grad:  gw = a * sign(w) + b * w  (a = go*l1, b = 2*go*l2; sign(0) = 0, sign(NaN) = NaN; b = 0 drops the b*w term)
struct OptimEpilogueKernels {
  void (*epilogue)(const EpilogueSegment* segs, int64_t nseg);
  void (*penalty_sums)(const float* w, int64_t n, double* sums);
  void (*penalty_grad)(const float* w, int64_t n, float a, float b, float* gw);
};

void epilogue_reference(const EpilogueSegment* segs, int64_t nseg);
void penalty_sums_reference(const float* w, int64_t n, double* sums);
void penalty_grad_reference(const float* w, int64_t n, float a, float b, float* gw);

}  // namespace nne

NNE_DISPATCH(nne::OptimKernels, optim)
NNE_DISPATCH(nne::OptimEpilogueKernels, optim_epilogue)
