// Minimal SIMD vocabulary for kernel files compiled per ISA. Inside a kernel file, `VecF` is the
// widest float vector of the ISA being compiled (16 lanes on AVX-512, 8 on AVX2, 4 on baseline SSE2),
// with load/store/fma helpers and masked tails, so one source serves every ISA.
#pragma once

#include <cstdint>

#if defined(__AVX512F__) || defined(__AVX2__) || defined(__SSE2__)
#include <immintrin.h>
#endif

namespace nne {
namespace NNE_ISA_NS {

#if defined(__AVX512F__)
constexpr int kLanes = 16;
using VecF = __m512;
inline VecF vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, VecF v) { _mm512_storeu_ps(p, v); }
// Non-temporal store (p aligned to the vector; no read for ownership of the line); vstream_fence() orders them.
inline void vstream(float* p, VecF v) { _mm512_stream_ps(p, v); }
inline void vstream_fence() { _mm_sfence(); }
inline VecF vset1(float x) { return _mm512_set1_ps(x); }
inline VecF vzero() { return _mm512_setzero_ps(); }
inline VecF vadd(VecF a, VecF b) { return _mm512_add_ps(a, b); }
inline VecF vsub(VecF a, VecF b) { return _mm512_sub_ps(a, b); }
inline VecF vmul(VecF a, VecF b) { return _mm512_mul_ps(a, b); }
inline VecF vdiv(VecF a, VecF b) { return _mm512_div_ps(a, b); }
inline VecF vmax(VecF a, VecF b) { return _mm512_max_ps(a, b); }
inline VecF vmin(VecF a, VecF b) { return _mm512_min_ps(a, b); }
inline VecF vfma(VecF a, VecF b, VecF c) { return _mm512_fmadd_ps(a, b, c); }
// The first n lanes (0 <= n <= kLanes) of p; other lanes read as 0 and are never touched in memory.
inline VecF vload_n(const float* p, int n) { return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p); }
inline void vstore_n(float* p, VecF v, int n) { _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), v); }
// (Not _mm512_reduce_add_ps or extract intrinsics: GCC 12 warns -Wmaybe-uninitialized inside them.)
inline float vsum(VecF v) {
  alignas(64) float t[16];
  _mm512_store_ps(t, v);
  __m256 h = _mm256_add_ps(_mm256_load_ps(t), _mm256_load_ps(t + 8));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
#elif defined(__AVX2__)
constexpr int kLanes = 8;
using VecF = __m256;
inline VecF vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, VecF v) { _mm256_storeu_ps(p, v); }
inline void vstream(float* p, VecF v) { _mm256_stream_ps(p, v); }
inline void vstream_fence() { _mm_sfence(); }
inline VecF vset1(float x) { return _mm256_set1_ps(x); }
inline VecF vzero() { return _mm256_setzero_ps(); }
inline VecF vadd(VecF a, VecF b) { return _mm256_add_ps(a, b); }
inline VecF vsub(VecF a, VecF b) { return _mm256_sub_ps(a, b); }
inline VecF vmul(VecF a, VecF b) { return _mm256_mul_ps(a, b); }
inline VecF vdiv(VecF a, VecF b) { return _mm256_div_ps(a, b); }
inline VecF vmax(VecF a, VecF b) { return _mm256_max_ps(a, b); }
inline VecF vmin(VecF a, VecF b) { return _mm256_min_ps(a, b); }
inline VecF vfma(VecF a, VecF b, VecF c) { return _mm256_fmadd_ps(a, b, c); }
inline __m256i vmask_n(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
inline VecF vload_n(const float* p, int n) { return _mm256_maskload_ps(p, vmask_n(n)); }
inline void vstore_n(float* p, VecF v, int n) { _mm256_maskstore_ps(p, vmask_n(n), v); }
inline float vsum(VecF v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
#else
// Portable 4-lane vector via GCC vector extensions (SSE2 on x86-64, NEON etc. elsewhere).
constexpr int kLanes = 4;
typedef float VecF __attribute__((vector_size(16)));
inline VecF vload(const float* p) { VecF v; __builtin_memcpy(&v, p, sizeof v); return v; }
inline void vstore(float* p, VecF v) { __builtin_memcpy(p, &v, sizeof v); }
inline void vstream(float* p, VecF v) { vstore(p, v); }
inline void vstream_fence() {}
inline VecF vset1(float x) { return VecF{x, x, x, x}; }
inline VecF vzero() { return VecF{0, 0, 0, 0}; }
inline VecF vadd(VecF a, VecF b) { return a + b; }
inline VecF vsub(VecF a, VecF b) { return a - b; }
inline VecF vmul(VecF a, VecF b) { return a * b; }
inline VecF vdiv(VecF a, VecF b) { return a / b; }
inline VecF vmax(VecF a, VecF b) { return a > b ? a : b; }
inline VecF vmin(VecF a, VecF b) { return a < b ? a : b; }
// No fused multiply-add on baseline: the result may differ in the last bit from FMA ISAs.
inline VecF vfma(VecF a, VecF b, VecF c) { return a * b + c; }
inline VecF vload_n(const float* p, int n) { VecF v = vzero(); __builtin_memcpy(&v, p, sizeof(float) * n); return v; }
inline void vstore_n(float* p, VecF v, int n) { __builtin_memcpy(p, &v, sizeof(float) * n); }
inline float vsum(VecF v) { return (v[0] + v[1]) + (v[2] + v[3]); }
#endif

// Scalar twin of vfma: fused where the ISA fuses, whatever the compiler's contraction of a * b + c (GCC's default
// fuses or not per site and per build), so a scalar edge gives a vector body's bits because both say which.
inline float sfma(float a, float b, float c) {
#if defined(__FMA__)
  return __builtin_fmaf(a, b, c);
#else
  return a * b + c;
#endif
}

}  // namespace NNE_ISA_NS
}  // namespace nne

// ----------------------------------------------------------------------------------------------
// Lane-wise select, abs and fast transcendental functions on VecF (every ISA).
namespace nne {
namespace NNE_ISA_NS {

#if defined(__AVX512F__)
inline VecF vselect_lt(VecF a, VecF b, VecF x, VecF y) {  // a < b ? x : y
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), y, x);
}
inline VecF vselect_gt(VecF a, VecF b, VecF x, VecF y) {  // a > b ? x : y
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_GT_OQ), y, x);
}
inline VecF vabs(VecF a) { return _mm512_abs_ps(a); }
inline VecF vpow2i(VecF n) {  // 2^n for integral n in [-126, 127]
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23));
}
#elif defined(__AVX2__)
inline VecF vselect_lt(VecF a, VecF b, VecF x, VecF y) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_LT_OQ)); }
inline VecF vselect_gt(VecF a, VecF b, VecF x, VecF y) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_GT_OQ)); }
inline VecF vabs(VecF a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
inline VecF vpow2i(VecF n) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
}
#else
typedef int32_t VecI __attribute__((vector_size(16)));
inline VecF vselect_lt(VecF a, VecF b, VecF x, VecF y) { return a < b ? x : y; }
inline VecF vselect_gt(VecF a, VecF b, VecF x, VecF y) { return a > b ? x : y; }
inline VecF vabs(VecF a) { return a < 0 ? -a : a; }
inline VecF vpow2i(VecF n) {
  VecI i = (__builtin_convertvector(n, VecI) + 127) << 23;
  VecF r;
  __builtin_memcpy(&r, &i, sizeof r);
  return r;
}
#endif

// exp(r) for |r| <= ln(2)/2: the Cephes expf polynomial.
inline VecF vexp_poly(VecF r) {
  VecF p = vset1(1.9875691500E-4f);
  p = vfma(p, r, vset1(1.3981999507E-3f));
  p = vfma(p, r, vset1(8.3334519073E-3f));
  p = vfma(p, r, vset1(4.1665795894E-2f));
  p = vfma(p, r, vset1(1.6666665459E-1f));
  p = vfma(p, r, vset1(5.0000001201E-1f));
  p = vfma(vmul(p, r), r, vadd(r, vset1(1.f)));
  return p;
}

// exp(x): Cephes-style range reduction + degree-6 polynomial. Max relative error ~2e-7 for
// x in [-87.3, 88.37]; inputs are clamped to that range above, and below it (where expf is at most a
// subnormal < 1.2e-38) the result is 0: so exp(-inf) = 0 exactly, as a masked softmax needs (a -inf score must
// weigh nothing, not FLT_MIN). The clamp takes x as the second operand of max/min, which is the one returned
// when a lane is NaN (x86 semantics, and the baseline's a > b ? a : b), so NaN in gives NaN out, as std::exp
// and PyTorch do (NaN < t is false, so the zeroing keeps it).
inline VecF vexp(VecF x) {
  const VecF lo = vset1(-87.33654f);
  const VecF xc = vmin(vset1(88.3762626647949f), vmax(lo, x));
  const VecF magic = vset1(12582912.0f);  // 1.5 * 2^23: adding and subtracting rounds to nearest
  VecF n = vsub(vadd(vmul(xc, vset1(1.44269504088896341f)), magic), magic);
  VecF r = vsub(xc, vmul(n, vset1(0.693359375f)));
  r = vsub(r, vmul(n, vset1(-2.12194440e-4f)));
  return vselect_lt(x, lo, vzero(), vmul(vexp_poly(r), vpow2i(n)));
}

// exp for the fast variants below: on AVX-512 the rounding is roundscale and 2^n is rebuilt by scalef
// (fewer operations than vexp's magic-number rounding and exponent arithmetic), the same reduction
// (fused) and polynomial; elsewhere vexp. Max relative error ~1.5e-7 on [-87.3, 88.4], clamped above, 0 below.
inline VecF vexp_fast(VecF x) {
#if defined(__AVX512F__)
  const VecF lo = vset1(-87.33654f);
  const VecF xc = vmin(vset1(88.3762626647949f), vmax(lo, x));  // NaN-preserving, as in vexp
  const VecF n =
      _mm512_roundscale_ps(vmul(xc, vset1(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  VecF r = vfma(n, vset1(-0.693359375f), xc);
  r = vfma(n, vset1(2.12194440e-4f), r);
  return vselect_lt(x, lo, vzero(), _mm512_scalef_ps(vexp_poly(r), n));  // 0 below the range, as vexp
#else
  return vexp(x);
#endif
}

// 1 / x from the hardware estimate refined by one Newton-Raphson step r' = r + r (1 - x r): AVX-512
// (rcp14, 2^-14) -> relative error <= ~1.5e-7 after rounding; AVX2 (rcpps, 1.5 * 2^-12) -> <= ~2.5e-7.
// Exact division on baseline. For |x| >= 2^126 the estimate may flush to 0 (so 1/huge = 0).
inline VecF vrcp(VecF x) {
#if defined(__AVX512F__)
  const VecF r = _mm512_rcp14_ps(x);
#elif defined(__AVX2__)
  const VecF r = _mm256_rcp_ps(x);
#else
  return vdiv(vset1(1.f), x);
#endif
#if defined(__AVX512F__) || defined(__AVX2__)
  return vfma(r, vsub(vset1(1.f), vmul(x, r)), r);
#endif
}

// sigmoid(x) = 1 / (1 + exp(-x)). Max relative error ~4e-7.
inline VecF vsigmoid(VecF x) { return vdiv(vset1(1.f), vadd(vset1(1.f), vexp(vsub(vzero(), x)))); }

// tanh(x): odd polynomial for |x| < 0.625 (Cephes tanhf), 1 - 2/(exp(2|x|)+1) above, sign restored.
// Max absolute error ~3e-7 (relative ~5e-7). Fast = the division done by vrcp.
template <bool Fast>
inline VecF vtanh_impl(VecF x) {
  const VecF ax = vabs(x);
  const VecF z = vmul(x, x);
  VecF p = vset1(-5.70498872745E-3f);
  p = vfma(p, z, vset1(2.06390887954E-2f));
  p = vfma(p, z, vset1(-5.37397155531E-2f));
  p = vfma(p, z, vset1(1.33314422036E-1f));
  p = vfma(p, z, vset1(-3.33332819422E-1f));
  const VecF small = vfma(vmul(p, z), x, x);
  const VecF e2 = vmul(vset1(2.f), vmin(vset1(44.f), ax));  // NaN stays NaN (x86 min returns the 2nd operand)
  const VecF e1 = vadd(Fast ? vexp_fast(e2) : vexp(e2), vset1(1.f));
  VecF big = vsub(vset1(1.f), Fast ? vmul(vset1(2.f), vrcp(e1)) : vdiv(vset1(2.f), e1));
  big = vselect_lt(x, vzero(), vsub(vzero(), big), big);
  return vselect_lt(ax, vset1(0.625f), small, big);
}
inline VecF vtanh(VecF x) { return vtanh_impl<false>(x); }

// Fast variants for hot fused epilogues (recurrent gates): the division replaced by vrcp (no divider
// latency/throughput limit). Same bounds as the exact ones, max relative error <= 2.5e-7 (measured
// 2.0e-7 sigmoid, 1.3e-7 tanh on every ISA), tested in tests/test_rnn_kernels.py::test_vmath_error.
inline VecF vsigmoid_fast(VecF x) { return vrcp(vadd(vset1(1.f), vexp_fast(vsub(vzero(), x)))); }
inline VecF vtanh_fast(VecF x) { return vtanh_impl<true>(x); }

}  // namespace NNE_ISA_NS
}  // namespace nne
