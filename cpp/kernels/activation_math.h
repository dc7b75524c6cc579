// Vector math of the activation kernels (included by activation.cpp inside its per-ISA namespace): the
// Gaussian CDF for exact GELU, log1p on [0, 1] for softplus, a >= compare-select and a Dekker split.
// Accuracy (vs float64, measured by tests/test_activations_ext.py): a few ulp; NaN in gives NaN out.
#pragma once

#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {

#if defined(__AVX512F__)
inline VecF vselect_ge(VecF a, VecF b, VecF x, VecF y) {  // a >= b ? x : y (false for NaN)
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_GE_OQ), y, x);
}
inline VecF vhigh12(VecF x) {  // x with the low 12 significand bits cleared
  return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(~0xFFF)));
}
#elif defined(__AVX2__)
inline VecF vselect_ge(VecF a, VecF b, VecF x, VecF y) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_GE_OQ)); }
inline VecF vhigh12(VecF x) { return _mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(~0xFFF))); }
#else
inline VecF vselect_ge(VecF a, VecF b, VecF x, VecF y) { return a >= b ? x : y; }
inline VecF vhigh12(VecF x) {
  VecI i;
  __builtin_memcpy(&i, &x, sizeof i);
  i &= ~0xFFF;
  VecF r;
  __builtin_memcpy(&r, &i, sizeof r);
  return r;
}
#endif

// x*x/2 = hi + lo exactly, hi = fl(x*x)/2 (Dekker's two-product: the 12-bit halves of x multiply
// exactly), so exp(-x*x/2) = exp(-hi) * (1 - lo) keeps its accuracy for large |x| on every ISA (no FMA).
inline void vhalf_square(VecF x, VecF& hi, VecF& lo) {
  const VecF xh = vhigh12(x), xl = vsub(x, xh), half = vset1(0.5f);
  const VecF p = vmul(x, x);
  const VecF err = vadd(vadd(vsub(vmul(xh, xh), p), vmul(vadd(xh, xh), xl)), vmul(xl, xl));
  hi = vmul(p, half);
  lo = vmul(err, half);
}

// Phi(x) = P(N(0,1) <= x) and, in *pdf if not null, exp(-x*x/2) (the unnormalised density), for GELU.
// erfc(z), z = |x|/sqrt(2), is t * exp(P(t) - z^2) with t = 1/(1 + z/2) (Numerical Recipes' erfcc,
// relative error <= 1.1e-7 for all z >= 0). z^2 = hi + lo exactly (above) and the exponent P(t) - hi is
// taken with its rounding error (TwoSum), so one exp keeps the accuracy for large |x|. Phi is 0.5 erfc(z)
// for x < 0 (no cancellation) and 1 - 0.5 erfc(z) for x >= 0. Below x = -13.1 (|GELU| < 1e-36) Phi is 0.
inline VecF vnormal_cdf(VecF x, VecF* pdf) {
  VecF hi, lo;
  vhalf_square(x, hi, lo);
  // exp(p - hi) must stay above vexp's clamp at -87.3 (p >= -1.27): past hi = 86 both flush to 0
  const VecF big = vset1(86.f);
  if (pdf) *pdf = vselect_gt(hi, big, vzero(), vmul(vexp(vsub(vzero(), hi)), vsub(vset1(1.f), lo)));
  const VecF z = vmul(vabs(x), vset1(0.70710678118654752f));
  const VecF t = vdiv(vset1(1.f), vfma(z, vset1(0.5f), vset1(1.f)));
  VecF p = vset1(0.17087277f);
  p = vfma(p, t, vset1(-0.82215223f));
  p = vfma(p, t, vset1(1.48851587f));
  p = vfma(p, t, vset1(-1.13520398f));
  p = vfma(p, t, vset1(0.27886807f));
  p = vfma(p, t, vset1(-0.18628806f));
  p = vfma(p, t, vset1(0.09678418f));
  p = vfma(p, t, vset1(0.37409196f));
  p = vfma(p, t, vset1(1.00002368f));
  p = vfma(p, t, vset1(-1.26551223f));
  // s + err = p - hi exactly (Knuth's TwoSum); exp(p - hi - lo) = exp(s) (1 + err - lo)
  const VecF nhi = vsub(vzero(), hi), s = vadd(p, nhi), bb = vsub(s, p);
  const VecF err = vadd(vsub(p, vsub(s, bb)), vsub(nhi, bb));
  VecF half = vmul(vmul(vset1(0.5f), t), vmul(vexp(s), vadd(vset1(1.f), vsub(err, lo))));  // 0.5 erfc(z)
  half = vselect_gt(hi, big, vzero(), half);
  // x < 0: half; else 1 - half (NaN: hi is NaN, the compares are false, 1 - NaN = NaN)
  return vselect_lt(x, vzero(), half, vsub(vset1(1.f), half));
}

// log1p(u) for u in [0, 1]: 2 atanh(s), s = u / (2 + u) <= 1/3, by its odd series to s^15 (relative
// truncation error < 2e-9).
inline VecF vlog1p_unit(VecF u) {
  const VecF s = vdiv(u, vadd(vset1(2.f), u)), w = vmul(s, s);
  VecF q = vset1(1.f / 15.f);
  q = vfma(q, w, vset1(1.f / 13.f));
  q = vfma(q, w, vset1(1.f / 11.f));
  q = vfma(q, w, vset1(1.f / 9.f));
  q = vfma(q, w, vset1(1.f / 7.f));
  q = vfma(q, w, vset1(1.f / 5.f));
  q = vfma(q, w, vset1(1.f / 3.f));
  return vmul(vadd(s, s), vfma(q, w, vset1(1.f)));
}

// softplus(z) = log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)), stable for every z (NaN stays NaN).
inline VecF vsoftplus(VecF z) { return vadd(vmax(vzero(), z), vlog1p_unit(vexp(vsub(vzero(), vabs(z))))); }

}  // namespace NNE_ISA_NS
}  // namespace nne
