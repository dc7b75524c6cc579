#include "core/isa.h"

#include "kernels/gemm_bf16.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(NNE_MULTI_ISA)
#include <cpuid.h>
#include <cstdint>
#endif

namespace nne {
namespace {

#if defined(NNE_MULTI_ISA)
uint64_t xgetbv0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

int detect() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return kBaseline;
  const bool osxsave = c & (1u << 27), fma = c & (1u << 12), avx = c & (1u << 28), f16c = c & (1u << 29);
  if (!osxsave || !avx) return kBaseline;
  const uint64_t xcr0 = xgetbv0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;          // SSE + AVX state
  const bool os_zmm = (xcr0 & 0xE6) == 0xE6;        // + opmask, ZMM_Hi256, Hi16_ZMM
  if (!os_ymm) return kBaseline;
  if (__get_cpuid_max(0, nullptr) < 7) return kBaseline;
  __cpuid_count(7, 0, a, b, c, d);
  const bool avx2 = b & (1u << 5);
  const bool avx512f = b & (1u << 16), avx512dq = b & (1u << 17), avx512bw = b & (1u << 30),
             avx512vl = b & (1u << 31);
  if (!(avx2 && fma && f16c)) return kBaseline;
  if (os_zmm && avx512f && avx512dq && avx512bw && avx512vl) return kAvx512;
  return kAvx2;
}
// AVX512-BF16 (cpuid leaf 7 subleaf 1, EAX bit 5) on top of the avx512 level (ZMM state saved by the OS).
bool detect_bf16() {
  if (detect() != kAvx512 || __get_cpuid_max(0, nullptr) < 7) return false;
  unsigned a, b, c, d;
  __cpuid_count(7, 1, a, b, c, d);
  return a & (1u << 5);
}
#else
int detect() { return kBaseline; }
bool detect_bf16() { return false; }
#endif

int cap_from_env(int best) {
  const char* s = std::getenv("NNENGINE_MAX_ISA");
  if (!s || !*s) return best;
  int cap = best;
  if (!std::strcmp(s, "baseline")) cap = kBaseline;
  else if (!std::strcmp(s, "avx2")) cap = kAvx2;
  else if (!std::strcmp(s, "avx512")) cap = kAvx512;
  return cap < best ? cap : best;
}

int best_level() {
  static const int best = detect();
  return best;
}

std::atomic<int>& active_level() {
  static std::atomic<int> level{cap_from_env(best_level())};
  return level;
}

}  // namespace

const char* isa_name(int level) {
  switch (level) {
    case kAvx512: return "avx512";
    case kAvx2: return "avx2";
    default: return "baseline";
  }
}

int best_supported_isa() { return best_level(); }
int active_isa() { return active_level().load(std::memory_order_relaxed); }

bool set_isa(int level) {
  if (level < kBaseline || level > best_level()) return false;
  active_level().store(level);
  return true;
}

#if NNE_BF16_TIER
namespace avx512bf16 {
void sgemm(const GemmArgs& g);
void panel(float* acc, int64_t rows, int nv, const float* a, int64_t lda, int64_t K, const uint32_t* bp);
}
#endif

SgemmFn bf16_gemm_kernel() {
#if NNE_BF16_TIER
  static const bool has = detect_bf16();
  if (has && active_isa() >= kAvx512) return &avx512bf16::sgemm;
#endif
  return nullptr;
}

Bf16PanelFn bf16_panel_kernel() {
#if NNE_BF16_TIER
  if (bf16_gemm_kernel()) return &avx512bf16::panel;
#endif
  return nullptr;
}

const char* bf16_unavailable_reason() {
  if (bf16_gemm_kernel()) return "";
#if NNE_BF16_TIER
  if (detect_bf16())
    return "bf16 kernels need the avx512 ISA level, and NNENGINE_MAX_ISA or set_isa() capped it lower";
  return "this CPU has no AVX512-BF16 (and AMX-BF16 kernels are not built yet): bf16 compute is unavailable";
#else
  return "this build has no bf16 kernels (they exist for x86-64 with AVX512-BF16)";
#endif
}

}  // namespace nne
