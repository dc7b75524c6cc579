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

// x*x = p + err exactly (err = fma(x, x, -p) with a fused multiply-add; without one, baseline, Dekker's
// two-product: the 12-bit halves of x multiply exactly).
inline void vsquare_exact(VecF x, VecF& p, VecF& err) {
  p = vmul(x, x);
#if defined(__FMA__) || defined(__AVX512F__)
  err = vfma(x, x, vsub(vzero(), p));
#else
  const VecF xh = vhigh12(x), xl = vsub(x, xh);
  err = vadd(vadd(vsub(vmul(xh, xh), p), vmul(vadd(xh, xh), xl)), vmul(xl, xl));
#endif
}

// Phi(x) = P(N(0,1) <= x) of U vectors and, if Pdf, exp(-x*x/2) (the unnormalised density), for GELU.
// erfc(z), z = |x|/sqrt(2), is t * exp(P(t) - z^2) with t = 1/(1 + z/2) (Numerical Recipes' erfcc,
// relative error <= 1.1e-7 for all z >= 0); here h = t/2 = 1/(2 + z) (exact halving) and P is evaluated
// in h with its coefficients scaled by powers of two (the same roundings). z^2 = hi + lo exactly (above,
// halved). The exponential is exp(r) 2^n with r = ((-hi - n ln2_hi) + P) - n ln2_lo - lo: n ln2_hi is
// exact and cancels -hi exactly (Sterbenz), so r keeps its accuracy for large |x| without a compensated
// sum. Phi is 0.5 erfc(z) for x < 0 (no cancellation) and 1 - 0.5 erfc(z) for x >= 0. Below x = -13.1
// (|GELU| < 1e-36) Phi is 0. Every statement runs over the U vectors in turn so their dependency chains
// (~150 cycles each) interleave; each lane's arithmetic is the same for any U.
template <int U, bool Pdf>
inline void vnormal_cdf_n(const VecF* x, VecF* cdf, VecF* pdf) {
  VecF hi[U], err[U], h[U], p[U], n[U], r[U];
  const VecF big = vset1(86.f), half = vset1(0.5f);  // past hi = 86 both flush to 0 (2^n stays >= 2^-126)
#pragma GCC unroll 16
  for (int u = 0; u < U; ++u) {
    vsquare_exact(x[u], hi[u], err[u]);
    hi[u] = vmul(hi[u], half);
    h[u] = vdiv(vset1(1.f), vadd(vmul(vabs(x[u]), vset1(0.70710678118654752f)), vset1(2.f)));
  }
  if constexpr (Pdf) {  // exp(-hi - lo) = exp(-hi) (1 - lo), lo = err / 2
#pragma GCC unroll 16
    for (int u = 0; u < U; ++u)
      pdf[u] = vselect_gt(hi[u], big, vzero(), vmul(vexp(vsub(vzero(), hi[u])), vfma(err[u], vset1(-0.5f), vset1(1.f))));
  }
  // erfcc's coefficients c_k of t^k, k = 9..0, times 2^k (P(t) = sum c_k 2^k h^k)
  static constexpr float kP[10] = {0.17087277f * 512, -0.82215223f * 256, 1.48851587f * 128, -1.13520398f * 64,
                                   0.27886807f * 32,  -0.18628806f * 16,  0.09678418f * 8,   0.37409196f * 4,
                                   1.00002368f * 2,   -1.26551223f};
#pragma GCC unroll 16
  for (int u = 0; u < U; ++u) p[u] = vset1(kP[0]);
#pragma GCC unroll 16
  for (int c = 1; c < 10; ++c)
#pragma GCC unroll 16
    for (int u = 0; u < U; ++u) p[u] = vfma(p[u], h[u], vset1(kP[c]));
  const VecF magic = vset1(12582912.0f);  // 1.5 * 2^23: adding and subtracting rounds to nearest
#pragma GCC unroll 16
  for (int u = 0; u < U; ++u) {
    n[u] = vsub(vfma(vsub(p[u], hi[u]), vset1(1.44269504088896341f), magic), magic);
    r[u] = vadd(vsub(vmul(n[u], vset1(-0.693359375f)), hi[u]), p[u]);
    r[u] = vfma(err[u], vset1(-0.5f), vfma(n[u], vset1(2.12194440e-4f), r[u]));
  }
#pragma GCC unroll 16
  for (int u = 0; u < U; ++u) {
    // 0.5 erfc(z) = h exp(r) 2^n; x < 0: that, else 1 - that (NaN: hi is NaN, the compares are false)
    VecF q = vmul(h[u], vmul(vexp_poly(r[u]), vpow2i(n[u])));
    q = vselect_gt(hi[u], big, vzero(), q);
    cdf[u] = vselect_lt(x[u], vzero(), q, vsub(vset1(1.f), q));
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
