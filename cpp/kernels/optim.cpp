// Fused optimizer steps (compiled once per ISA). See optim.h for the contract and the formulas.
// Reference: torch/optim/{sgd,adam,rmsprop,adagrad,adadelta,adamax,nadam,radam}.py (torch 2.x), whose arithmetic order we follow.
#include "kernels/optim.h"

#include <algorithm>
#include <cmath>
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

inline VecF neg_if(VecF v, bool flag) { return flag ? vsub(vzero(), v) : v; }
inline VecF f(double x) { return vset1(static_cast<float>(x)); }

// torch's lerp(start, end, w) for a scalar weight: fma(w, end-start, start) for |w| < 0.5, else
// fma(w-1, end-start, end).
struct Lerp {
  bool low;
  VecF coeff;
  explicit Lerp(double w) : low(std::abs(w) < 0.5), coeff(vset1(low ? float(w) : float(w) - 1.f)) {}
  VecF operator()(VecF start, VecF end) const { return vfma(coeff, vsub(end, start), low ? start : end); }
};

// Runs op over elements [lo, hi) of one segment, kLanes at a time. The tail goes through padded
// lane buffers and the same op, so an element's result never depends on where a chunk starts.
template <class Op>
void run_range(const OptimSegment& sg, int64_t lo, int64_t hi, const Op& op) {
  float* p = sg.param + lo;
  const float* g = sg.grad + lo;
  float* s0 = sg.s0 ? sg.s0 + lo : nullptr;
  float* s1 = sg.s1 ? sg.s1 + lo : nullptr;
  float* s2 = sg.s2 ? sg.s2 + lo : nullptr;
  const int64_t n = hi - lo;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    op(sg, p + i, g + i, s0 ? s0 + i : nullptr, s1 ? s1 + i : nullptr, s2 ? s2 + i : nullptr);
  if (i == n) return;
  const int64_t r = n - i;
  float tp[kLanes] = {}, tg[kLanes] = {}, t0[kLanes] = {}, t1[kLanes] = {}, t2[kLanes] = {};
  std::copy(p + i, p + n, tp);
  std::copy(g + i, g + n, tg);
  if (s0) std::copy(s0 + i, s0 + n, t0);
  if (s1) std::copy(s1 + i, s1 + n, t1);
  if (s2) std::copy(s2 + i, s2 + n, t2);
  op(sg, tp, tg, s0 ? t0 : nullptr, s1 ? t1 : nullptr, s2 ? t2 : nullptr);
  std::copy(tp, tp + r, p + i);
  if (s0) std::copy(t0, t0 + r, s0 + i);
  if (s1) std::copy(t1, t1 + r, s1 + i);
  if (s2) std::copy(t2, t2 + r, s2 + i);
}

// Treats the group as one flat index space and cuts it into parallel chunks above kOptimGrain.
template <class Op>
void run_group(const OptimSegment* segs, int64_t nseg, const Op& op) {
  thread_local std::vector<int64_t> offsets_tl;
  std::vector<int64_t>& offs = offsets_tl;  // the caller's buffer, shared with the workers below
  offs.resize(static_cast<size_t>(nseg) + 1);
  offs[0] = 0;
  for (int64_t s = 0; s < nseg; ++s) offs[s + 1] = offs[s] + segs[s].n;
  parallel_for(0, offs[nseg], kOptimGrain, [&](int64_t b, int64_t e) {
    int64_t s = std::upper_bound(offs.begin(), offs.end(), b) - offs.begin() - 1;
    for (; b < e && s < nseg; ++s) {
      const int64_t hi = std::min(e, offs[s + 1]);
      if (hi > b) run_range(segs[s], b - offs[s], hi - offs[s], op);
      b = std::max(b, hi);
    }
  });
}

void step_sgd(const OptimSegment* segs, int64_t nseg, const SgdArgs& a) {
  const VecF neg_lr = f(-a.lr), wd = f(a.weight_decay), mom = f(a.momentum), damp1 = f(1.0 - a.dampening);
  const bool use_wd = a.weight_decay != 0, use_mom = a.momentum != 0;
  run_group(segs, nseg, [&](const OptimSegment& sg, float* p, const float* g, float* buf, float*, float*) {
    const VecF pv = vload(p);
    VecF d = neg_if(vload(g), a.maximize);
    if (use_wd) d = vfma(wd, pv, d);
    if (use_mom) {
      const VecF b = sg.first ? d : vfma(damp1, d, vmul(vload(buf), mom));
      vstore(buf, b);
      d = a.nesterov ? vfma(mom, b, d) : b;
    }
    vstore(p, vfma(neg_lr, d, pv));
  });
}

void step_adam(const OptimSegment* segs, int64_t nseg, const AdamArgs& a) {
  const VecF wd = f(a.weight_decay), decay = f(1.0 - a.lr * a.weight_decay), b2 = f(a.beta2),
             b2c = f(1.0 - a.beta2), eps = f(a.eps);
  const Lerp lerp(1.0 - a.beta1);
  const bool use_wd = a.weight_decay != 0;
  run_group(segs, nseg, [&](const OptimSegment& sg, float* p, const float* gp, float* m, float* v, float* vm) {
    VecF pv = vload(p);
    VecF g = neg_if(vload(gp), a.maximize);
    if (use_wd) {
      if (a.decoupled)
        pv = vmul(pv, decay);
      else
        g = vfma(wd, pv, g);
    }
    const VecF mv = lerp(vload(m), g);
    vstore(m, mv);
    VecF vv = vadd(vmul(vload(v), b2), vmul(vmul(b2c, g), g));
    vstore(v, vv);
    if (a.amsgrad) {
      vv = opt_max(vload(vm), vv);
      vstore(vm, vv);
    }
    const VecF denom = vadd(vdiv(opt_sqrt(vv), vset1(sg.c1)), eps);
    vstore(p, vadd(pv, vdiv(vmul(vset1(-sg.c0), mv), denom)));
  });
}

void step_rmsprop(const OptimSegment* segs, int64_t nseg, const RmspropArgs& a) {
  const VecF wd = f(a.weight_decay), al = f(a.alpha), alc = f(1.0 - a.alpha), eps = f(a.eps), mom = f(a.momentum),
             neg_lr = f(-a.lr);
  const Lerp lerp(1.0 - a.alpha);
  const bool use_wd = a.weight_decay != 0, use_mom = a.momentum > 0;
  run_group(segs, nseg, [&](const OptimSegment&, float* p, const float* gp, float* sq, float* buf, float* ga) {
    const VecF pv = vload(p);
    VecF g = neg_if(vload(gp), a.maximize);
    if (use_wd) g = vfma(wd, pv, g);
    const VecF sv = vadd(vmul(vload(sq), al), vmul(vmul(alc, g), g));
    vstore(sq, sv);
    VecF avg;
    if (a.centered) {
      const VecF gv = lerp(vload(ga), g);
      vstore(ga, gv);
      avg = opt_sqrt(vsub(sv, vmul(gv, gv)));
    } else {
      avg = opt_sqrt(sv);
    }
    avg = vadd(avg, eps);
    if (use_mom) {
      const VecF b = vadd(vmul(vload(buf), mom), vdiv(g, avg));
      vstore(buf, b);
      vstore(p, vfma(neg_lr, b, pv));
    } else {
      vstore(p, vadd(pv, vdiv(vmul(neg_lr, g), avg)));
    }
  });
}

void step_adagrad(const OptimSegment* segs, int64_t nseg, const AdagradArgs& a) {
  const VecF wd = f(a.weight_decay), eps = f(a.eps);
  const bool use_wd = a.weight_decay != 0;
  run_group(segs, nseg, [&](const OptimSegment& sg, float* p, const float* gp, float* sum, float*, float*) {
    const VecF pv = vload(p);
    VecF g = neg_if(vload(gp), a.maximize);
    if (use_wd) g = vfma(wd, pv, g);
    const VecF sv = vadd(vload(sum), vmul(g, g));
    vstore(sum, sv);
    vstore(p, vadd(pv, vdiv(vmul(vset1(-sg.c0), g), vadd(opt_sqrt(sv), eps))));
  });
}

void step_adadelta(const OptimSegment* segs, int64_t nseg, const AdadeltaArgs& a) {
  const VecF wd = f(a.weight_decay), rho = f(a.rho), rhoc = f(1.0 - a.rho), eps = f(a.eps), neg_lr = f(-a.lr);
  const bool use_wd = a.weight_decay != 0;
  run_group(segs, nseg, [&](const OptimSegment&, float* p, const float* gp, float* sq, float* acc, float*) {
    const VecF pv = vload(p);
    VecF g = neg_if(vload(gp), a.maximize);
    if (use_wd) g = vfma(wd, pv, g);
    const VecF sv = vadd(vmul(vload(sq), rho), vmul(vmul(rhoc, g), g));
    vstore(sq, sv);
    const VecF sd = opt_sqrt(vadd(sv, eps));
    const VecF av = vload(acc);
    const VecF d = vmul(vdiv(opt_sqrt(vadd(av, eps)), sd), g);
    vstore(acc, vadd(vmul(av, rho), vmul(vmul(rhoc, d), d)));
    vstore(p, vfma(neg_lr, d, pv));
  });
}

void step_adamax(const OptimSegment* segs, int64_t nseg, const AdamaxArgs& a) {
  const VecF wd = f(a.weight_decay), b2 = f(a.beta2), eps = f(a.eps);
  const Lerp lerp(1.0 - a.beta1);
  const bool use_wd = a.weight_decay != 0;
  run_group(segs, nseg, [&](const OptimSegment& sg, float* p, const float* gp, float* m, float* u, float*) {
    const VecF pv = vload(p);
    VecF g = neg_if(vload(gp), a.maximize);
    if (use_wd) g = vfma(wd, pv, g);
    const VecF mv = lerp(vload(m), g);
    vstore(m, mv);
    const VecF uv = opt_max(vmul(vload(u), b2), vadd(vabs(g), eps));  // a NaN gradient propagates
    vstore(u, uv);
    vstore(p, vadd(pv, vdiv(vmul(vset1(-sg.c0), mv), uv)));
  });
}

// Shared head of NAdam and RAdam: maximize, weight decay (coupled or decoupled), both moments.
struct MomentsHead {
  VecF wd, decay, b2, b2c;
  Lerp lerp;
  bool use_wd;
  const NadamArgs& a;
  explicit MomentsHead(const NadamArgs& args)
      : wd(f(args.weight_decay)), decay(f(1.0 - args.lr * args.weight_decay)), b2(f(args.beta2)),
        b2c(f(1.0 - args.beta2)), lerp(1.0 - args.beta1), use_wd(args.weight_decay != 0), a(args) {}
  // Updates m and v in place; returns the (decayed) parameter and the effective gradient.
  void operator()(float* p, const float* gp, float* m, float* v, VecF& pv, VecF& g, VecF& mv, VecF& vv) const {
    pv = vload(p);
    g = neg_if(vload(gp), a.maximize);
    if (use_wd) {
      if (a.decoupled)
        pv = vmul(pv, decay);
      else
        g = vfma(wd, pv, g);
    }
    mv = lerp(vload(m), g);
    vstore(m, mv);
    vv = vadd(vmul(vload(v), b2), vmul(vmul(b2c, g), g));
    vstore(v, vv);
  }
};

void step_nadam(const OptimSegment* segs, int64_t nseg, const NadamArgs& a) {
  const MomentsHead head(a);
  const VecF eps = f(a.eps);
  run_group(segs, nseg, [&](const OptimSegment& sg, float* p, const float* gp, float* m, float* v, float*) {
    VecF pv, g, mv, vv;
    head(p, gp, m, v, pv, g, mv, vv);
    const VecF denom = vadd(opt_sqrt(vdiv(vv, vset1(sg.c2))), eps);
    pv = vadd(pv, vdiv(vmul(vset1(sg.c0), g), denom));
    vstore(p, vadd(pv, vdiv(vmul(vset1(sg.c1), mv), denom)));
  });
}

void step_radam(const OptimSegment* segs, int64_t nseg, const NadamArgs& a) {
  const MomentsHead head(a);
  const VecF eps = f(a.eps), lr = f(a.lr), one = vset1(1.f);
  run_group(segs, nseg, [&](const OptimSegment& sg, float* p, const float* gp, float* m, float* v, float*) {
    VecF pv, g, mv, vv;
    head(p, gp, m, v, pv, g, mv, vv);
    VecF upd = vmul(vdiv(mv, vset1(sg.c0)), lr);
    if (sg.first) {
      const VecF adaptive = vmul(vdiv(one, vadd(opt_sqrt(vv), eps)), vset1(sg.c1));
      upd = vmul(vmul(upd, adaptive), vset1(sg.c2));
    }
    vstore(p, vsub(pv, upd));
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
