// Scalar twins of the fused optimizer steps: the formulas of optim.h, one element at a time, with
// the same float constants (formed in double, rounded once) and the same lerp branches.
#include <algorithm>
#include <cmath>

#include "kernels/optim.h"

namespace nne {
namespace {

inline float lerp(float start, float end, double w) {
  return std::abs(w) < 0.5 ? start + float(w) * (end - start) : end + (float(w) - 1.f) * (end - start);
}

// Gradient after maximize and (coupled) weight decay.
inline float grad_of(const OptimSegment& sg, int64_t i, bool maximize, double wd) {
  float g = maximize ? -sg.grad[i] : sg.grad[i];
  if (wd != 0) g += float(wd) * sg.param[i];
  return g;
}

}  // namespace

void optim_step_sgd_reference(const OptimSegment* segs, int64_t nseg, const SgdArgs& a) {
  for (int64_t s = 0; s < nseg; ++s) {
    const OptimSegment& sg = segs[s];
    for (int64_t i = 0; i < sg.n; ++i) {
      float d = grad_of(sg, i, a.maximize, a.weight_decay);
      if (a.momentum != 0) {
        const float b = sg.first ? d : sg.s0[i] * float(a.momentum) + float(1.0 - a.dampening) * d;
        sg.s0[i] = b;
        d = a.nesterov ? d + float(a.momentum) * b : b;
      }
      sg.param[i] += float(-a.lr) * d;
    }
  }
}

void optim_step_adam_reference(const OptimSegment* segs, int64_t nseg, const AdamArgs& a) {
  for (int64_t s = 0; s < nseg; ++s) {
    const OptimSegment& sg = segs[s];
    for (int64_t i = 0; i < sg.n; ++i) {
      float p = sg.param[i];
      const float g = grad_of(sg, i, a.maximize, a.decoupled ? 0.0 : a.weight_decay);
      if (a.decoupled && a.weight_decay != 0) p *= float(1.0 - a.lr * a.weight_decay);
      const float m = lerp(sg.s0[i], g, 1.0 - a.beta1);
      sg.s0[i] = m;
      float v = sg.s1[i] * float(a.beta2) + float(1.0 - a.beta2) * g * g;
      sg.s1[i] = v;
      if (a.amsgrad) {
        v = std::max(sg.s2[i], v);
        sg.s2[i] = v;
      }
      const float denom = std::sqrt(v) / sg.c1 + float(a.eps);
      sg.param[i] = p + (-sg.c0 * m) / denom;
    }
  }
}

void optim_step_rmsprop_reference(const OptimSegment* segs, int64_t nseg, const RmspropArgs& a) {
  for (int64_t s = 0; s < nseg; ++s) {
    const OptimSegment& sg = segs[s];
    for (int64_t i = 0; i < sg.n; ++i) {
      const float g = grad_of(sg, i, a.maximize, a.weight_decay);
      const float sq = sg.s0[i] * float(a.alpha) + float(1.0 - a.alpha) * g * g;
      sg.s0[i] = sq;
      float avg;
      if (a.centered) {
        const float ga = lerp(sg.s2[i], g, 1.0 - a.alpha);
        sg.s2[i] = ga;
        avg = std::sqrt(sq - ga * ga);
      } else {
        avg = std::sqrt(sq);
      }
      avg += float(a.eps);
      if (a.momentum > 0) {
        const float b = sg.s1[i] * float(a.momentum) + g / avg;
        sg.s1[i] = b;
        sg.param[i] += float(-a.lr) * b;
      } else {
        sg.param[i] += (float(-a.lr) * g) / avg;
      }
    }
  }
}

void optim_step_adagrad_reference(const OptimSegment* segs, int64_t nseg, const AdagradArgs& a) {
  for (int64_t s = 0; s < nseg; ++s) {
    const OptimSegment& sg = segs[s];
    for (int64_t i = 0; i < sg.n; ++i) {
      const float g = grad_of(sg, i, a.maximize, a.weight_decay);
      const float sum = sg.s0[i] + g * g;
      sg.s0[i] = sum;
      sg.param[i] += (-sg.c0 * g) / (std::sqrt(sum) + float(a.eps));
    }
  }
}

void optim_step_adadelta_reference(const OptimSegment* segs, int64_t nseg, const AdadeltaArgs& a) {
  for (int64_t s = 0; s < nseg; ++s) {
    const OptimSegment& sg = segs[s];
    for (int64_t i = 0; i < sg.n; ++i) {
      const float g = grad_of(sg, i, a.maximize, a.weight_decay);
      const float sq = sg.s0[i] * float(a.rho) + float(1.0 - a.rho) * g * g;
      sg.s0[i] = sq;
      const float sd = std::sqrt(sq + float(a.eps));
      const float d = std::sqrt(sg.s1[i] + float(a.eps)) / sd * g;
      sg.s1[i] = sg.s1[i] * float(a.rho) + float(1.0 - a.rho) * d * d;
      sg.param[i] += float(-a.lr) * d;
    }
  }
}

void optim_step_adamax_reference(const OptimSegment* segs, int64_t nseg, const AdamaxArgs& a) {
  for (int64_t s = 0; s < nseg; ++s) {
    const OptimSegment& sg = segs[s];
    for (int64_t i = 0; i < sg.n; ++i) {
      const float g = grad_of(sg, i, a.maximize, a.weight_decay);
      const float m = lerp(sg.s0[i], g, 1.0 - a.beta1);
      sg.s0[i] = m;
      const float scaled = sg.s1[i] * float(a.beta2), cand = std::abs(g) + float(a.eps);
      const float u = scaled > cand ? scaled : cand;  // the SIMD max: a NaN gradient propagates
      sg.s1[i] = u;
      sg.param[i] += (-sg.c0 * m) / u;
    }
  }
}

namespace {

// NAdam/RAdam head: returns the effective gradient, updates both moments and (decoupled) decays p.
inline float moments(const OptimSegment& sg, int64_t i, const NadamArgs& a, float& p) {
  p = sg.param[i];
  const float g = grad_of(sg, i, a.maximize, a.decoupled ? 0.0 : a.weight_decay);
  if (a.decoupled && a.weight_decay != 0) p *= float(1.0 - a.lr * a.weight_decay);
  sg.s0[i] = lerp(sg.s0[i], g, 1.0 - a.beta1);
  sg.s1[i] = sg.s1[i] * float(a.beta2) + float(1.0 - a.beta2) * g * g;
  return g;
}

}  // namespace

void optim_step_nadam_reference(const OptimSegment* segs, int64_t nseg, const NadamArgs& a) {
  for (int64_t s = 0; s < nseg; ++s) {
    const OptimSegment& sg = segs[s];
    for (int64_t i = 0; i < sg.n; ++i) {
      float p;
      const float g = moments(sg, i, a, p);
      const float denom = std::sqrt(sg.s1[i] / sg.c2) + float(a.eps);
      p += (sg.c0 * g) / denom;
      sg.param[i] = p + (sg.c1 * sg.s0[i]) / denom;
    }
  }
}

void optim_step_radam_reference(const OptimSegment* segs, int64_t nseg, const NadamArgs& a) {
  for (int64_t s = 0; s < nseg; ++s) {
    const OptimSegment& sg = segs[s];
    for (int64_t i = 0; i < sg.n; ++i) {
      float p;
      moments(sg, i, a, p);
      float upd = sg.s0[i] / sg.c0 * float(a.lr);
      if (sg.first) upd = upd * (1.f / (std::sqrt(sg.s1[i]) + float(a.eps)) * sg.c1) * sg.c2;
      sg.param[i] = p - upd;
    }
  }
}

}  // namespace nne

// ---- epilogues and the weight penalty: sequential double sums, one element at a time -----------
namespace nne {

void epilogue_reference(const EpilogueSegment* segs, int64_t nseg) {
  for (int64_t s = 0; s < nseg; ++s) {
    const EpilogueSegment& sg = segs[s];
    const int64_t n = sg.outer * sg.red * sg.inner;
    if (sg.prox > 0.f)
      for (int64_t i = 0; i < n; ++i) {
        float m = std::fabs(sg.w[i]) - sg.prox;
        m = m < 0.f ? 0.f : m;
        sg.w[i] = sg.w[i] < 0.f ? -m : m;
      }
    if (sg.kind == kConstraintNonNeg)
      for (int64_t i = 0; i < n; ++i) sg.w[i] = sg.w[i] < 0.f ? 0.f : sg.w[i];
    if (sg.kind != kConstraintMaxNorm && sg.kind != kConstraintUnitNorm) continue;
    for (int64_t o = 0; o < sg.outer; ++o)
      for (int64_t j = 0; j < sg.inner; ++j) {
        float* w = sg.w + o * sg.red * sg.inner + j;
        double sum = 0;
        for (int64_t r = 0; r < sg.red; ++r) sum += double(w[r * sg.inner]) * double(w[r * sg.inner]);
        const float nrm = float(std::sqrt(sum));
        if (sg.kind == kConstraintUnitNorm) {
          for (int64_t r = 0; r < sg.red; ++r) w[r * sg.inner] /= kConstraintEpsilon + nrm;
        } else {
          const float desired = nrm < 0.f ? 0.f : (nrm > sg.max_value ? sg.max_value : nrm);
          const float c = desired / (kConstraintEpsilon + nrm);
          for (int64_t r = 0; r < sg.red; ++r) w[r * sg.inner] *= c;
        }
      }
  }
}

void penalty_sums_reference(const float* w, int64_t n, double* sums) {
  sums[0] = sums[1] = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    sums[0] += std::fabs(double(w[i]));
    sums[1] += double(w[i]) * double(w[i]);
  }
}

void penalty_grad_reference(const float* w, int64_t n, float a, float b, float* gw) {
  for (int64_t i = 0; i < n; ++i) {
    const float x = w[i];
    const float sgn = x > 0.f ? 1.f : (x < 0.f ? -1.f : x * 0.f);
    gw[i] = b == 0.f ? a * sgn : std::fma(b, x, a * sgn);
  }
}

}  // namespace nne
