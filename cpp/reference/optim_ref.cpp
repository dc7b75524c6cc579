// Scalar twins of the fused optimizer steps: the formulas of optim.h, one element at a time.
#include <algorithm>
#include <cmath>

#include "kernels/optim.h"

namespace nne {

void sgd_step_reference(const OptimSegment* segs, int64_t nseg, const SgdArgs& a) {
  for (int64_t s = 0; s < nseg; ++s) {
    const OptimSegment& sg = segs[s];
    for (int64_t i = 0; i < sg.n; ++i) {
      float d = a.maximize ? -sg.grad[i] : sg.grad[i];
      if (a.weight_decay != 0.f) d += a.weight_decay * sg.param[i];
      if (a.momentum != 0.f) {
        const float b = sg.first ? d : a.momentum * sg.s0[i] + (1.f - a.dampening) * d;
        sg.s0[i] = b;
        d = a.nesterov ? d + a.momentum * b : b;
      }
      sg.param[i] -= a.lr * d;
    }
  }
}

void adam_step_reference(const OptimSegment* segs, int64_t nseg, const AdamArgs& a) {
  const float decay = static_cast<float>(1.0 - double(a.lr) * a.weight_decay);
  for (int64_t s = 0; s < nseg; ++s) {
    const OptimSegment& sg = segs[s];
    for (int64_t i = 0; i < sg.n; ++i) {
      float p = sg.param[i];
      float g = a.maximize ? -sg.grad[i] : sg.grad[i];
      if (a.weight_decay != 0.f) {
        if (a.decoupled)
          p *= decay;
        else
          g += a.weight_decay * p;
      }
      const float m = sg.s0[i] + (1.f - a.beta1) * (g - sg.s0[i]);
      sg.s0[i] = m;
      float v = a.beta2 * sg.s1[i] + (1.f - a.beta2) * g * g;
      sg.s1[i] = v;
      if (a.amsgrad) {
        v = std::max(sg.s2[i], v);
        sg.s2[i] = v;
      }
      const float denom = std::sqrt(v) / sg.c1 + a.eps;
      sg.param[i] = p + (-sg.c0 * m) / denom;
    }
  }
}

void rmsprop_step_reference(const OptimSegment* segs, int64_t nseg, const RmspropArgs& a) {
  for (int64_t s = 0; s < nseg; ++s) {
    const OptimSegment& sg = segs[s];
    for (int64_t i = 0; i < sg.n; ++i) {
      float g = a.maximize ? -sg.grad[i] : sg.grad[i];
      if (a.weight_decay != 0.f) g += a.weight_decay * sg.param[i];
      const float sq = a.alpha * sg.s0[i] + (1.f - a.alpha) * g * g;
      sg.s0[i] = sq;
      float avg;
      if (a.centered) {
        const float ga = sg.s2[i] + (1.f - a.alpha) * (g - sg.s2[i]);
        sg.s2[i] = ga;
        avg = std::sqrt(sq - ga * ga);
      } else {
        avg = std::sqrt(sq);
      }
      avg += a.eps;
      if (a.momentum > 0.f) {
        const float b = a.momentum * sg.s1[i] + g / avg;
        sg.s1[i] = b;
        sg.param[i] -= a.lr * b;
      } else {
        sg.param[i] += (-a.lr * g) / avg;
      }
    }
  }
}

void adagrad_step_reference(const OptimSegment* segs, int64_t nseg, const AdagradArgs& a) {
  for (int64_t s = 0; s < nseg; ++s) {
    const OptimSegment& sg = segs[s];
    for (int64_t i = 0; i < sg.n; ++i) {
      float g = a.maximize ? -sg.grad[i] : sg.grad[i];
      if (a.weight_decay != 0.f) g += a.weight_decay * sg.param[i];
      const float sum = sg.s0[i] + g * g;
      sg.s0[i] = sum;
      sg.param[i] += (-sg.c0 * g) / (std::sqrt(sum) + a.eps);
    }
  }
}

}  // namespace nne
