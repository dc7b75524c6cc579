// Vector math of the activation kernels (included by activation.cpp inside its per-ISA namespace): the
// Gaussian CDF for exact GELU, log1p on [0, 1] for softplus, a >= compare-select and an exact half square.
// Accuracy (vs float64, measured by tests/test_activation.py): a few ulp; NaN in gives NaN out.
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

// x*x/2 = hi + lo exactly: hi = x * (x/2) and its rounding error by a fused multiply-subtract (halving is
// exact); without a fused multiply-add (baseline), Dekker's two-product of x with itself (the 12-bit halves
// of x multiply exactly), halved.
inline void vhalf_square_exact(VecF x, VecF& hi, VecF& lo) {
#if defined(__AVX512F__) || defined(__FMA__)
  const VecF xh = vmul(x, vset1(0.5f));
  hi = vmul(x, xh);
#if defined(__AVX512F__)
  lo = _mm512_fmsub_ps(x, xh, hi);
#else
  lo = _mm256_fmsub_ps(x, xh, hi);
#endif
#else
  const VecF p = vmul(x, x), xh = vhigh12(x), xl = vsub(x, xh);
  const VecF err = vadd(vadd(vsub(vmul(xh, xh), p), vmul(vadd(xh, xh), xl)), vmul(xl, xl));
  hi = vmul(p, vset1(0.5f));
  lo = vmul(err, vset1(0.5f));
#endif
}

// exp(r) for |r| <= 0.36: 1 + r + r^2 Q(r), Q of degree 4 fitted (relative minimax, float32 coefficients) for
// this range: relative error 4e-9 before rounding, one FMA fewer than vexp_poly's degree 7.
inline VecF vexp_poly6(VecF r) {
  static constexpr float kQ[5] = {1.380239381e-03f, 8.371330798e-03f, 4.166880623e-02f, 1.666649878e-01f,
                                  4.999999106e-01f};  // r^4 .. r^0
  VecF q = vset1(kQ[0]);
  for (int k = 1; k < 5; ++k) q = vfma(q, r, vset1(kQ[k]));
  return vfma(vmul(q, r), r, vadd(r, vset1(1.f)));
}

// exp(-p) for p in P's range [-1.158, 6e-8] (below): exp(-p/4)^4, |p/4| <= 0.29 inside vexp_poly6's range.
// GELU's derivative through it (tests/test_activation.py), in ulp of |Phi| + |x phi| on |x| < 8: at most 10,
// 99.9% within 6.3 (with a second full exponential: 5.6 and 3.3), for 15-20% less time per backward element.
inline VecF vexp_neg_p(VecF p) {
  VecF e = vexp_poly6(vmul(p, vset1(-0.25f)));
  e = vmul(e, e);
  return vmul(e, e);
}

// Phi(x) = P(N(0,1) <= x) of U vectors and, if Pdf, exp(-x*x/2) (the unnormalised density), for GELU.
// erfc(z), z = |x|/sqrt(2), is t * exp(P(t) - z^2) with t = 1/(1 + a z), a = 0.557 and P of degree 8 fitted to
// log(erfc(z) exp(z^2) / t) on z in [0, 9.33] (weighted least squares to minimax, float32 coefficients fitted
// one at a time after rounding the previous ones; max error 6.5e-8, i.e. relative error of erfc; Numerical
// Recipes' erfcc, a = 1/2 and degree 9, has 1.2e-7). Here h = t/2 = 1/(2 + 2a z) (exact halving) and P is
// evaluated in h with its coefficients scaled by powers of two (the same roundings). z^2 = hi + lo exactly.
// The exponential is exp(r) 2^n with r = ((-hi - n ln2_hi) + P) - n ln2_lo - lo: n ln2_hi is exact and
// cancels -hi exactly (Sterbenz), so r keeps its accuracy for large |x| without a compensated sum. Phi is
// 0.5 erfc(z) for x < 0 (no cancellation) and 1 - 0.5 erfc(z) for x >= 0. Below x = -13.1 (|GELU| < 1e-36)
// Phi is 0. The density reuses exp(r) 2^n (one short polynomial instead of a second exponential). Every
// statement runs over the U vectors in turn so their dependency chains interleave; each lane's arithmetic is
// the same for any U.
template <int U, bool Pdf>
inline void vnormal_cdf_n(const VecF* x, VecF* cdf, VecF* pdf) {
  VecF hi[U], lo[U], h[U], p[U], n[U], r[U];
  const VecF big = vset1(86.f);  // past hi = 86 both flush to 0 (2^n stays >= 2^-126)
#pragma GCC unroll 16
  for (int u = 0; u < U; ++u) {
    vhalf_square_exact(x[u], hi[u], lo[u]);
    h[u] = vdiv(vset1(1.f), vfma(vabs(x[u]), vset1(7.877169251e-01f), vset1(2.f)));  // 2 float32(a / sqrt(2))
  }
  // P's coefficients c_k of t^k, k = 8..0, times 2^k (P(t) = sum c_k 2^k h^k)
  static constexpr float kP[9] = {1.858411580e-01f * 256, -9.718892574e-01f * 128, 1.993769050e+00f * 64,
                                  -1.869412422e+00f * 32, 6.472851038e-01f * 16,   -2.099085301e-01f * 8,
                                  3.856479228e-01f * 4,   9.960613251e-01f * 2,    -1.157394290e+00f};
#pragma GCC unroll 16
  for (int u = 0; u < U; ++u) p[u] = vset1(kP[0]);
#pragma GCC unroll 16
  for (int c = 1; c < 9; ++c)
#pragma GCC unroll 16
    for (int u = 0; u < U; ++u) p[u] = vfma(p[u], h[u], vset1(kP[c]));
  const VecF magic = vset1(12582912.0f);  // 1.5 * 2^23: adding and subtracting rounds to nearest
#pragma GCC unroll 16
  for (int u = 0; u < U; ++u) {
    n[u] = vsub(vfma(vsub(p[u], hi[u]), vset1(1.44269504088896341f), magic), magic);
#if defined(__AVX512F__)  // -(n ln2_hi) - hi in one instruction: the product is exact, so the same rounding
    r[u] = vadd(_mm512_fnmsub_ps(n[u], vset1(0.693359375f), hi[u]), p[u]);
#else
    r[u] = vadd(vsub(vmul(n[u], vset1(-0.693359375f)), hi[u]), p[u]);
#endif
    r[u] = vsub(vfma(n[u], vset1(2.12194440e-4f), r[u]), lo[u]);
  }
#pragma GCC unroll 16
  for (int u = 0; u < U; ++u) {
    // 0.5 erfc(z) = h exp(r) 2^n; x < 0: that, else 1 - that (NaN: hi is NaN, the compares are false)
    // the density exp(-hi - lo) = exp(r) 2^n exp(-P): the same exp(r) 2^n, and P's rounding cancels
    const VecF er = vexp_poly6(r[u]);
#if defined(__AVX512F__)  // scalef applies 2^n and the masks pick lanes, one instruction each
    const __mmask16 keep = _mm512_cmp_ps_mask(hi[u], big, _CMP_NGT_UQ);
    const VecF q = _mm512_maskz_scalef_ps(keep, vmul(h[u], er), n[u]);
    cdf[u] = _mm512_mask_sub_ps(q, _mm512_cmp_ps_mask(x[u], vzero(), _CMP_GE_OQ), vset1(1.f), q);
    if constexpr (Pdf) pdf[u] = _mm512_maskz_scalef_ps(keep, vmul(er, vexp_neg_p(p[u])), n[u]);
#else
    const VecF e = vmul(er, vpow2i(n[u]));
    const VecF q = vselect_gt(hi[u], big, vzero(), vmul(h[u], e));
    cdf[u] = vselect_lt(x[u], vzero(), q, vsub(vset1(1.f), q));
    if constexpr (Pdf) pdf[u] = vselect_gt(hi[u], big, vzero(), vmul(e, vexp_neg_p(p[u])));
#endif
  }
}

inline VecF vnormal_cdf(VecF x, VecF* pdf) {
  VecF c;
  if (pdf) {
    vnormal_cdf_n<1, true>(&x, &c, pdf);
  } else {
    vnormal_cdf_n<1, false>(&x, &c, nullptr);
  }
  return c;
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
