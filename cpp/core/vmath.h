// Vectorised exp / expm1 / sigmoid / tanh on core/simd.h's VecF (one source for every ISA).
//
// exp: Cephes expf scheme: n = round(x*log2(e)), r = x - n*ln2 (two-constant split), e^r by a degree-7
// polynomial kept as r + r^2*p(r) (so expm1 stays accurate near 0), scaled by 2^n built in the exponent
// bits. Inputs are clamped to [-87.3, 88.3] (no inf/denormal paths).
// sigmoid(x) = 1 / (1 + exp(-x));  tanh(x) = sign(x) * -m / (2 + m), m = expm1(-2|x|).
// Max error vs float64 (asserted by tests/test_rnn_kernels.py::test_vmath_error, every ISA; measured
// 0.9e-7 / 1.5e-7 / 0.8e-7): sigmoid abs and rel <= 2.5e-7 on [-30, 30]; tanh abs and rel <= 2.5e-7 on
// [-30, 30] (including tiny |x|); exp rel <= 1.5e-7 on [-87, 88].
#pragma once

#include "core/simd.h"

namespace nne {
namespace NNE_ISA_NS {

#if defined(__AVX512F__)
// The maskz_ forms avoid GCC 12's spurious -Wuninitialized on the plain intrinsics' _mm512_undefined.
constexpr __mmask16 kAll = 0xFFFF;
inline VecF vclamp(VecF x, float lo, float hi) {
  return _mm512_maskz_min_ps(kAll, _mm512_maskz_max_ps(kAll, x, vset1(lo)), vset1(hi));
}
inline VecF vround(VecF x) {
  return _mm512_maskz_roundscale_ps(kAll, x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
inline VecF vpow2i(VecF n) {
  __m512i i = _mm512_maskz_cvtps_epi32(kAll, n);
  i = _mm512_maskz_slli_epi32(kAll, _mm512_add_epi32(i, _mm512_set1_epi32(127)), 23);
  return _mm512_castsi512_ps(i);
}
inline VecF vabs(VecF x) {
  return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
}
inline VecF vsignof(VecF mag, VecF sign) {
  const __m512i m = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  return _mm512_castsi512_ps(
      _mm512_or_si512(_mm512_castps_si512(mag), _mm512_and_si512(_mm512_castps_si512(sign), m)));
}
// v where h > 0, else 0.
inline VecF vwhere_pos(VecF h, VecF v) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(h, vzero(), _CMP_GT_OQ), v); }
#elif defined(__AVX2__)
inline VecF vround(VecF x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline VecF vpow2i(VecF n) {
  __m256i i = _mm256_cvtps_epi32(n);
  i = _mm256_slli_epi32(_mm256_add_epi32(i, _mm256_set1_epi32(127)), 23);
  return _mm256_castsi256_ps(i);
}
inline VecF vabs(VecF x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.f), x); }
inline VecF vsignof(VecF mag, VecF sign) { return _mm256_or_ps(mag, _mm256_and_ps(sign, _mm256_set1_ps(-0.f))); }
inline VecF vclamp(VecF x, float lo, float hi) { return vmin(vmax(x, vset1(lo)), vset1(hi)); }
inline VecF vwhere_pos(VecF h, VecF v) { return _mm256_and_ps(_mm256_cmp_ps(h, vzero(), _CMP_GT_OQ), v); }
#else
typedef int VecI __attribute__((vector_size(16)));
inline VecF vround(VecF x) {
  const VecF h = x >= vzero() ? vset1(0.5f) : vset1(-0.5f);
  return __builtin_convertvector(__builtin_convertvector(x + h, VecI), VecF);
}
inline VecF vpow2i(VecF n) {
  VecI i = __builtin_convertvector(n, VecI);
  i = (i + 127) << 23;
  return (VecF)i;
}
inline VecF vabs(VecF x) { return (VecF)((VecI)x & 0x7fffffff); }
inline VecF vsignof(VecF mag, VecF sign) {
  return (VecF)((VecI)mag | ((VecI)sign & static_cast<int>(0x80000000u)));
}
inline VecF vclamp(VecF x, float lo, float hi) { return vmin(vmax(x, vset1(lo)), vset1(hi)); }
inline VecF vwhere_pos(VecF h, VecF v) { return (VecF)((VecI)(h > vzero()) & (VecI)v); }
#endif

// e^x = scale * (1 + pm1), |pm1| < 0.42.
inline void vexp_parts(VecF x, VecF& scale, VecF& pm1) {
  x = vclamp(x, -87.3f, 88.3f);
  const VecF n = vround(vmul(x, vset1(1.44269504088896341f)));
  VecF r = vfma(n, vset1(-0.693359375f), x);
  r = vfma(n, vset1(2.12194440e-4f), r);
  VecF p = vset1(1.9875691500e-4f);
  p = vfma(p, r, vset1(1.3981999507e-3f));
  p = vfma(p, r, vset1(8.3334519073e-3f));
  p = vfma(p, r, vset1(4.1665795894e-2f));
  p = vfma(p, r, vset1(1.6666665459e-1f));
  p = vfma(p, r, vset1(5.0000001201e-1f));
  pm1 = vfma(p, vmul(r, r), r);
  scale = vpow2i(n);
}

inline VecF vexp(VecF x) {
  VecF s, q;
  vexp_parts(x, s, q);
  return vfma(s, q, s);
}

inline VecF vexpm1(VecF x) {
  VecF s, q;
  vexp_parts(x, s, q);
  return vfma(s, q, vsub(s, vset1(1.f)));
}

inline VecF vsigmoid(VecF x) { return vdiv(vset1(1.f), vadd(vset1(1.f), vexp(vsub(vzero(), x)))); }

inline VecF vtanh(VecF x) {
  const VecF m = vexpm1(vmul(vset1(-2.f), vabs(x)));
  return vsignof(vdiv(vsub(vzero(), m), vadd(vset1(2.f), m)), x);
}

}  // namespace NNE_ISA_NS
}  // namespace nne
