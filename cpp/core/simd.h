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
inline VecF vset1(float x) { return _mm512_set1_ps(x); }
inline VecF vzero() { return _mm512_setzero_ps(); }
inline VecF vadd(VecF a, VecF b) { return _mm512_add_ps(a, b); }
inline VecF vsub(VecF a, VecF b) { return _mm512_sub_ps(a, b); }
inline VecF vmul(VecF a, VecF b) { return _mm512_mul_ps(a, b); }
inline VecF vdiv(VecF a, VecF b) { return _mm512_div_ps(a, b); }
inline VecF vmax(VecF a, VecF b) { return _mm512_max_ps(a, b); }
inline VecF vmin(VecF a, VecF b) { return _mm512_min_ps(a, b); }
inline VecF vfma(VecF a, VecF b, VecF c) { return _mm512_fmadd_ps(a, b, c); }
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
inline VecF vset1(float x) { return _mm256_set1_ps(x); }
inline VecF vzero() { return _mm256_setzero_ps(); }
inline VecF vadd(VecF a, VecF b) { return _mm256_add_ps(a, b); }
inline VecF vsub(VecF a, VecF b) { return _mm256_sub_ps(a, b); }
inline VecF vmul(VecF a, VecF b) { return _mm256_mul_ps(a, b); }
inline VecF vdiv(VecF a, VecF b) { return _mm256_div_ps(a, b); }
inline VecF vmax(VecF a, VecF b) { return _mm256_max_ps(a, b); }
inline VecF vmin(VecF a, VecF b) { return _mm256_min_ps(a, b); }
inline VecF vfma(VecF a, VecF b, VecF c) { return _mm256_fmadd_ps(a, b, c); }
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
inline float vsum(VecF v) { return (v[0] + v[1]) + (v[2] + v[3]); }
#endif

}  // namespace NNE_ISA_NS
}  // namespace nne
