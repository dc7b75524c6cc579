// Fused optimizer steps (compiled once per ISA). See optim.h for the contract and the formulas.
// Reference: torch/optim/{sgd,adam,rmsprop,adagrad,adadelta,adamax,nadam,radam}.py (torch 2.x), whose arithmetic order we follow.
#include "kernels/optim.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "core/kernel_status.h"
#include "core/parallel.h"
#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {
namespace {

#if defined(__AVX512F__)
// Full-mask forms: GCC 12 warns (-Wmaybe-uninitialized) on the _mm512_undefined_ps in the plain ones.
inline VecF opt_sqrt(VecF v) { return _mm512_mask_sqrt_ps(v, 0xFFFF, v); }
inline VecF opt_max(VecF a, VecF b) { return _mm512_mask_max_ps(a, 0xFFFF, a, b); }
#elif defined(__AVX2__)
inline VecF opt_sqrt(VecF v) { return _mm256_sqrt_ps(v); }
inline VecF opt_max(VecF a, VecF b) { return vmax(a, b); }
#else
inline VecF opt_sqrt(VecF v) {
  for (int l = 0; l < kLanes; ++l) v[l] = __builtin_sqrtf(v[l]);
  return v;
}
inline VecF opt_max(VecF a, VecF b) { return vmax(a, b); }
#endif

inline VecF f(double x) { return vset1(static_cast<float>(x)); }

// torch's lerp(start, end, w) for a scalar weight: fma(w, end-start, start) for |w| < 0.5, else
// fma(w-1, end-start, end).
struct Lerp {
  bool low;
  VecF coeff;
  explicit Lerp(double w) : low(std::abs(w) < 0.5), coeff(vset1(low ? float(w) : float(w) - 1.f)) {}
  VecF operator()(VecF start, VecF end) const { return vfma(coeff, vsub(end, start), low ? start : end); }
};

// Every multiply-add that torch's kernels fuse is a vfma here (addcmul: self + (value*t1)*t2 in one rounding; add with
// alpha); optim.cpp is compiled with -ffp-contract=off (CMakeLists.txt), so the compiler fuses nothing else and an
// element's result does not depend on how a loop was inlined (vector body or tail, 1 or 2 threads).
//
// Calls f(std::bool_constant<b>...) with each runtime option as a compile-time constant: a step's vector loop then
// carries no per-vector branch on its options. AMD EPYC (AVX2), Adam over 10M parameters at 1 thread: 17.6-17.7 ->
// 15.8-15.9 ms with the option branches gone (torch fused 16.4-16.5; Zen's 256-bit divides and square root are
// the limit, and the branches kept fewer vectors in flight).
template <class F>
inline void with_flags(const F& f) {
  f();
}
template <class F, class... Rest>
inline void with_flags(const F& f, bool b, Rest... rest) {
  if (b)
    with_flags([&](auto... c) { f(std::true_type{}, c...); }, rest...);
  else
    with_flags([&](auto... c) { f(std::false_type{}, c...); }, rest...);
}

// Runs the vector op that make(sg) returns (its per-tensor constants broadcast once) over elements [lo, hi) of one
// segment, kLanes at a time. The tail goes through padded lane buffers and the same op, so an element's result
// never depends on where a chunk starts.
template <class Make>
void run_range(const OptimSegment& sg, int64_t lo, int64_t hi, const Make& make) {
  const auto op = make(sg);
  float* p = sg.param + lo;
  const float* g = sg.grad + lo;
  float* s0 = sg.s0 ? sg.s0 + lo : nullptr;
  float* s1 = sg.s1 ? sg.s1 + lo : nullptr;
  float* s2 = sg.s2 ? sg.s2 + lo : nullptr;
  const int64_t n = hi - lo;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    op(p + i, g + i, s0 ? s0 + i : nullptr, s1 ? s1 + i : nullptr, s2 ? s2 + i : nullptr);
  if (i == n) return;
  const int64_t r = n - i;
  float tp[kLanes] = {}, tg[kLanes] = {}, t0[kLanes] = {}, t1[kLanes] = {}, t2[kLanes] = {};
  std::copy(p + i, p + n, tp);
  std::copy(g + i, g + n, tg);
  if (s0) std::copy(s0 + i, s0 + n, t0);
  if (s1) std::copy(s1 + i, s1 + n, t1);
  if (s2) std::copy(s2 + i, s2 + n, t2);
  op(tp, tg, s0 ? t0 : nullptr, s1 ? t1 : nullptr, s2 ? t2 : nullptr);
  std::copy(tp, tp + r, p + i);
  if (s0) std::copy(t0, t0 + r, s0 + i);
  if (s1) std::copy(t1, t1 + r, s1 + i);
  if (s2) std::copy(t2, t2 + r, s2 + i);
}

// Treats the group as one flat index space and cuts it into parallel chunks above kOptimGrain.
template <class Make>
void run_group(const OptimSegment* segs, int64_t nseg, const Make& make) {
  thread_local std::vector<int64_t> offsets_tl;
  std::vector<int64_t>& offs = offsets_tl;  // the caller's buffer, shared with the workers below
  offs.resize(static_cast<size_t>(nseg) + 1);
  offs[0] = 0;
  for (int64_t s = 0; s < nseg; ++s) offs[s + 1] = offs[s] + segs[s].n;
  parallel_for(0, offs[nseg], kOptimGrain, [&](int64_t b, int64_t e) {
    int64_t s = std::upper_bound(offs.begin(), offs.end(), b) - offs.begin() - 1;
    for (; b < e && s < nseg; ++s) {
      const int64_t hi = std::min(e, offs[s + 1]);
      if (hi > b) run_range(segs[s], b - offs[s], hi - offs[s], make);
      b = std::max(b, hi);
    }
  });
}

// The gradient, negated under maximize.
template <bool kMax>
inline VecF grad_in(const float* gp) {
  return kMax ? vsub(vzero(), vload(gp)) : vload(gp);
}

void step_sgd(const OptimSegment* segs, int64_t nseg, const SgdArgs& a) {
  const VecF neg_lr = f(-a.lr), wd = f(a.weight_decay), mom = f(a.momentum), damp1 = f(1.0 - a.dampening);
  with_flags([&](auto max_c, auto wd_c, auto mom_c, auto nest_c) {
    constexpr bool kMax = decltype(max_c)::value, kWd = decltype(wd_c)::value, kMom = decltype(mom_c)::value,
                   kNesterov = decltype(nest_c)::value;
    run_group(segs, nseg, [&](const OptimSegment& sg) {
      const bool first = sg.first;
      return [=](float* p, const float* g, float* buf, float*, float*) {
        const VecF pv = vload(p);
        VecF d = grad_in<kMax>(g);
        if constexpr (kWd) d = vfma(wd, pv, d);
        if constexpr (kMom) {
          const VecF b = first ? d : vfma(damp1, d, vmul(vload(buf), mom));
          vstore(buf, b);
          d = kNesterov ? vfma(mom, b, d) : b;
        }
        vstore(p, vfma(neg_lr, d, pv));
      };
    });
  }, a.maximize, a.weight_decay != 0, a.momentum != 0, a.nesterov);
}

// Shared head of Adam, NAdam and RAdam: maximize, weight decay (coupled or decoupled), both moments.
struct MomentsHead {
  VecF wd, decay, b2, b2c;
  Lerp lerp;
  MomentsHead(double weight_decay, double lr, double beta1, double beta2)
      : wd(f(weight_decay)), decay(f(1.0 - lr * weight_decay)), b2(f(beta2)), b2c(f(1.0 - beta2)),
        lerp(1.0 - beta1) {}
  // Updates m and v in place; returns the (decayed) parameter and the effective gradient.
  template <bool kMax, bool kWd, bool kDecoupled>
  void run(float* p, const float* gp, float* m, float* v, VecF& pv, VecF& g, VecF& mv, VecF& vv) const {
    pv = vload(p);
    g = grad_in<kMax>(gp);
    if constexpr (kWd) {
      if constexpr (kDecoupled)
        pv = vmul(pv, decay);
      else
        g = vfma(wd, pv, g);
    }
    mv = lerp(vload(m), g);
    vstore(m, mv);
    vv = vfma(vmul(b2c, g), g, vmul(vload(v), b2));  // mul_(beta2).addcmul_(g, g, value=1-beta2)
    vstore(v, vv);
  }
};

// The compile-time options of the MomentsHead steps: maximize, weight decay, decoupled.
template <class F>
inline void with_moment_flags(const NadamArgs& a, const F& f) {
  with_flags(f, a.maximize, a.weight_decay != 0, a.decoupled);
}

void step_adam(const OptimSegment* segs, int64_t nseg, const AdamArgs& a) {
  const MomentsHead head(a.weight_decay, a.lr, a.beta1, a.beta2);
  const VecF eps = f(a.eps);
  with_flags([&](auto max_c, auto wd_c, auto dec_c, auto ams_c) {
    constexpr bool kMax = decltype(max_c)::value, kWd = decltype(wd_c)::value, kDec = decltype(dec_c)::value,
                   kAms = decltype(ams_c)::value;
    run_group(segs, nseg, [&](const OptimSegment& sg) {
      const VecF neg_c0 = vset1(-sg.c0), c1 = vset1(sg.c1);
      return [=](float* p, const float* gp, float* m, float* v, float* vm) {
        VecF pv, g, mv, vv;
        head.run<kMax, kWd, kDec>(p, gp, m, v, pv, g, mv, vv);
        if constexpr (kAms) {
          vv = opt_max(vload(vm), vv);
          vstore(vm, vv);
        }
        const VecF denom = vadd(vdiv(opt_sqrt(vv), c1), eps);
        vstore(p, vadd(pv, vdiv(vmul(neg_c0, mv), denom)));
      };
    });
  }, a.maximize, a.weight_decay != 0, a.decoupled, a.amsgrad);
}

void step_rmsprop(const OptimSegment* segs, int64_t nseg, const RmspropArgs& a) {
  const VecF wd = f(a.weight_decay), al = f(a.alpha), alc = f(1.0 - a.alpha), eps = f(a.eps), mom = f(a.momentum),
             neg_lr = f(-a.lr);
  const Lerp lerp(1.0 - a.alpha);
  with_flags([&](auto max_c, auto wd_c, auto cen_c, auto mom_c) {
    constexpr bool kMax = decltype(max_c)::value, kWd = decltype(wd_c)::value, kCentered = decltype(cen_c)::value,
                   kMom = decltype(mom_c)::value;
    run_group(segs, nseg, [&](const OptimSegment&) {
      return [=](float* p, const float* gp, float* sq, float* buf, float* ga) {
        const VecF pv = vload(p);
        VecF g = grad_in<kMax>(gp);
        if constexpr (kWd) g = vfma(wd, pv, g);
        const VecF sv = vfma(vmul(alc, g), g, vmul(vload(sq), al));
        vstore(sq, sv);
        VecF avg;
        if constexpr (kCentered) {
          const VecF gv = lerp(vload(ga), g);
          vstore(ga, gv);
          avg = opt_sqrt(vfma(vsub(vzero(), gv), gv, sv));  // addcmul(ga, ga, value=-1)
        } else {
          avg = opt_sqrt(sv);
        }
        avg = vadd(avg, eps);
        if constexpr (kMom) {
          const VecF b = vadd(vmul(vload(buf), mom), vdiv(g, avg));
          vstore(buf, b);
          vstore(p, vfma(neg_lr, b, pv));
        } else {
          vstore(p, vadd(pv, vdiv(vmul(neg_lr, g), avg)));
        }
      };
    });
  }, a.maximize, a.weight_decay != 0, a.centered, a.momentum > 0);
}

void step_adagrad(const OptimSegment* segs, int64_t nseg, const AdagradArgs& a) {
  const VecF wd = f(a.weight_decay), eps = f(a.eps);
  with_flags([&](auto max_c, auto wd_c) {
    constexpr bool kMax = decltype(max_c)::value, kWd = decltype(wd_c)::value;
    run_group(segs, nseg, [&](const OptimSegment& sg) {
      const VecF neg_c0 = vset1(-sg.c0);
      return [=](float* p, const float* gp, float* sum, float*, float*) {
        const VecF pv = vload(p);
        VecF g = grad_in<kMax>(gp);
        if constexpr (kWd) g = vfma(wd, pv, g);
        const VecF sv = vfma(g, g, vload(sum));
        vstore(sum, sv);
        vstore(p, vadd(pv, vdiv(vmul(neg_c0, g), vadd(opt_sqrt(sv), eps))));
      };
    });
  }, a.maximize, a.weight_decay != 0);
}

void step_adadelta(const OptimSegment* segs, int64_t nseg, const AdadeltaArgs& a) {
  const VecF wd = f(a.weight_decay), rho = f(a.rho), rhoc = f(1.0 - a.rho), eps = f(a.eps), neg_lr = f(-a.lr);
  with_flags([&](auto max_c, auto wd_c) {
    constexpr bool kMax = decltype(max_c)::value, kWd = decltype(wd_c)::value;
    run_group(segs, nseg, [&](const OptimSegment&) {
      return [=](float* p, const float* gp, float* sq, float* acc, float*) {
        const VecF pv = vload(p);
        VecF g = grad_in<kMax>(gp);
        if constexpr (kWd) g = vfma(wd, pv, g);
        const VecF sv = vfma(vmul(rhoc, g), g, vmul(vload(sq), rho));
        vstore(sq, sv);
        const VecF sd = opt_sqrt(vadd(sv, eps));
        const VecF av = vload(acc);
        const VecF d = vmul(vdiv(opt_sqrt(vadd(av, eps)), sd), g);
        vstore(acc, vfma(vmul(rhoc, d), d, vmul(av, rho)));
        vstore(p, vfma(neg_lr, d, pv));
      };
    });
  }, a.maximize, a.weight_decay != 0);
}

void step_adamax(const OptimSegment* segs, int64_t nseg, const AdamaxArgs& a) {
  const VecF wd = f(a.weight_decay), b2 = f(a.beta2), eps = f(a.eps);
  const Lerp lerp(1.0 - a.beta1);
  with_flags([&](auto max_c, auto wd_c) {
    constexpr bool kMax = decltype(max_c)::value, kWd = decltype(wd_c)::value;
    run_group(segs, nseg, [&](const OptimSegment& sg) {
      const VecF neg_c0 = vset1(-sg.c0);
      return [=](float* p, const float* gp, float* m, float* u, float*) {
        const VecF pv = vload(p);
        VecF g = grad_in<kMax>(gp);
        if constexpr (kWd) g = vfma(wd, pv, g);
        const VecF mv = lerp(vload(m), g);
        vstore(m, mv);
        const VecF uv = opt_max(vmul(vload(u), b2), vadd(vabs(g), eps));  // a NaN gradient propagates
        vstore(u, uv);
        vstore(p, vadd(pv, vdiv(vmul(neg_c0, mv), uv)));
      };
    });
  }, a.maximize, a.weight_decay != 0);
}

void step_nadam(const OptimSegment* segs, int64_t nseg, const NadamArgs& a) {
  const MomentsHead head(a.weight_decay, a.lr, a.beta1, a.beta2);
  const VecF eps = f(a.eps);
  with_moment_flags(a, [&](auto max_c, auto wd_c, auto dec_c) {
    constexpr bool kMax = decltype(max_c)::value, kWd = decltype(wd_c)::value, kDec = decltype(dec_c)::value;
    run_group(segs, nseg, [&](const OptimSegment& sg) {
      const VecF c0 = vset1(sg.c0), c1 = vset1(sg.c1), c2 = vset1(sg.c2);
      return [=](float* p, const float* gp, float* m, float* v, float*) {
        VecF pv, g, mv, vv;
        head.run<kMax, kWd, kDec>(p, gp, m, v, pv, g, mv, vv);
        const VecF denom = vadd(opt_sqrt(vdiv(vv, c2)), eps);
        pv = vadd(pv, vdiv(vmul(c0, g), denom));
        vstore(p, vadd(pv, vdiv(vmul(c1, mv), denom)));
      };
    });
  });
}

void step_radam(const OptimSegment* segs, int64_t nseg, const NadamArgs& a) {
  const MomentsHead head(a.weight_decay, a.lr, a.beta1, a.beta2);
  const VecF eps = f(a.eps), lr = f(a.lr), one = vset1(1.f);
  with_moment_flags(a, [&](auto max_c, auto wd_c, auto dec_c) {
    constexpr bool kMax = decltype(max_c)::value, kWd = decltype(wd_c)::value, kDec = decltype(dec_c)::value;
    run_group(segs, nseg, [&](const OptimSegment& sg) {
      const VecF c0 = vset1(sg.c0), c1 = vset1(sg.c1), c2 = vset1(sg.c2);
      const bool rectified = sg.first;
      return [=](float* p, const float* gp, float* m, float* v, float*) {
        VecF pv, g, mv, vv;
        head.run<kMax, kWd, kDec>(p, gp, m, v, pv, g, mv, vv);
        VecF upd = vmul(vdiv(mv, c0), lr);
        if (rectified) {
          const VecF adaptive = vmul(vdiv(one, vadd(opt_sqrt(vv), eps)), c1);
          upd = vmul(vmul(upd, adaptive), c2);
        }
        vstore(p, vsub(pv, upd));
      };
    });
  });
}

}  // namespace

extern const OptimKernels optim = {
    NNE_KERNEL_ENTRY(step_sgd), NNE_KERNEL_ENTRY(step_adam), NNE_KERNEL_ENTRY(step_rmsprop),
    NNE_KERNEL_ENTRY(step_adagrad), NNE_KERNEL_ENTRY(step_adadelta), NNE_KERNEL_ENTRY(step_adamax),
    NNE_KERNEL_ENTRY(step_nadam), NNE_KERNEL_ENTRY(step_radam)
};

}  // namespace NNE_ISA_NS
}  // namespace nne
