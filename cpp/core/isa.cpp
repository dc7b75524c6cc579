#include "core/isa.h"

#include "kernels/gemm_bf16.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(NNE_MULTI_ISA)
#include <cpuid.h>
#include <cstdint>
#endif
#if defined(NNE_MULTI_ISA) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
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
#if defined(NNE_NO_AVX512_TIER)
  (void)os_zmm, (void)avx512f, (void)avx512dq, (void)avx512bw, (void)avx512vl;  // not compiled in
#else
  if (os_zmm && avx512f && avx512dq && avx512bw && avx512vl) return kAvx512;
#endif
  return kAvx2;
}
// AVX512-BF16 (cpuid leaf 7 subleaf 1, EAX bit 5) on top of the avx512 level (ZMM state saved by the OS).
bool detect_bf16() {
  if (detect() != kAvx512 || __get_cpuid_max(0, nullptr) < 7) return false;
  unsigned a, b, c, d;
  __cpuid_count(7, 1, a, b, c, d);
  return a & (1u << 5);
}
// AMX-BF16 tiles (cpuid leaf 7 EDX bits 22 and 24) with AVX512-BF16 (the packing converts with it), the tile
// state enabled in XCR0 (bits 17, 18), and Linux's per-process permission for the tile data, asked for here
// once (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA); without it the first tile load faults).
bool detect_amx() {
  if (!detect_bf16()) return false;
  unsigned a, b, c, d;
  __cpuid_count(7, 0, a, b, c, d);
  if (!(d & (1u << 22)) || !(d & (1u << 24))) return false;
  if ((xgetbv0() & (3ull << 17)) != (3ull << 17)) return false;
#if defined(__linux__)
  constexpr long kReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}
#else
int detect() { return kBaseline; }
bool detect_bf16() { return false; }
bool detect_amx() { return false; }
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
void panel(float* acc, int64_t rows, int nv, const Bf16PanelOperand* ops, int nops);
void pairs(uint32_t* dst, int64_t ldp, const float* a, int64_t lda, int64_t rows, int64_t K);
void dot(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t N, const float* bias, float* y);
}
#endif
#if NNE_BF16_TIER && NNE_AMX_TIER
namespace amxbf16 {
void sgemm(const GemmArgs& g);
void panel(float* acc, int64_t rows, int nv, const Bf16PanelOperand* ops, int nops);
double probe(int64_t iters, int64_t* flops);
}
#endif

namespace {

[[maybe_unused]] bool has_bf16() {
  static const bool has = detect_bf16();
  return has;
}
[[maybe_unused]] bool has_amx() {
  static const bool has = detect_amx();
  return has;
}

// The bf16 GEMM kernel asked for: kBf16Auto (the best available), or one by name (set_bf16_gemm_kernel,
// NNENGINE_BF16_GEMM read once).
std::atomic<int>& bf16_choice() {
  static std::atomic<int> choice{[] {
    const char* s = std::getenv("NNENGINE_BF16_GEMM");
    const int k = s && *s ? bf16_kernel_from_name(s) : kBf16Auto;
    return k >= 0 && bf16_kernel_available(k) ? k : kBf16Auto;
  }()};
  return choice;
}

}  // namespace

int bf16_kernel_from_name(const char* name) {
  if (!std::strcmp(name, "auto")) return kBf16Auto;
  if (!std::strcmp(name, "avx512bf16")) return kBf16Avx512;
  if (!std::strcmp(name, "amx")) return kBf16Amx;
  return -1;
}

const char* bf16_kernel_name(int kernel) {
  switch (kernel) {
    case kBf16Avx512: return "avx512bf16";
    case kBf16Amx: return "amx";
    case kBf16Auto: return "auto";
    default: return "none";
  }
}

bool bf16_kernel_available(int kernel) {
#if NNE_BF16_TIER
  if (active_isa() < kAvx512) return false;
  switch (kernel) {
    case kBf16Auto:
    case kBf16Avx512: return has_bf16();
    case kBf16Amx: return NNE_AMX_TIER && has_amx();
    default: return false;
  }
#else
  (void)kernel;
  return false;
#endif
}

bool set_bf16_gemm_kernel(int kernel) {
  if (kernel != kBf16Auto && !bf16_kernel_available(kernel)) return false;
  bf16_choice().store(kernel);
  return true;
}

int bf16_gemm_kernel_id() {
  const int choice = bf16_choice().load(std::memory_order_relaxed);
  if (choice != kBf16Auto) return bf16_kernel_available(choice) ? choice : -1;
  if (bf16_kernel_available(kBf16Amx)) return kBf16Amx;
  return bf16_kernel_available(kBf16Avx512) ? kBf16Avx512 : -1;
}

SgemmFn bf16_gemm_kernel() {
#if NNE_BF16_TIER
  switch (bf16_gemm_kernel_id()) {
#if NNE_AMX_TIER
    case kBf16Amx: return &amxbf16::sgemm;
#endif
    case kBf16Avx512: return &avx512bf16::sgemm;
    default: break;
  }
#endif
  return nullptr;
}

Bf16ProbeFn amx_probe_kernel() {
#if NNE_BF16_TIER && NNE_AMX_TIER
  if (bf16_kernel_available(kBf16Amx)) return &amxbf16::probe;
#endif
  return nullptr;
}

Bf16PanelFn bf16_panel_kernel() {
#if NNE_BF16_TIER
  switch (bf16_gemm_kernel_id()) {
#if NNE_AMX_TIER
    case kBf16Amx: return &amxbf16::panel;
#endif
    case kBf16Avx512: return &avx512bf16::panel;
    default: break;
  }
#endif
  return nullptr;
}

Bf16PairsFn bf16_pairs_kernel() {  // whenever the CPU converts (a panel kernel implies it, whatever the ISA cap)
#if NNE_BF16_TIER
  if (has_bf16()) return &avx512bf16::pairs;
#endif
  return nullptr;
}

Bf16DotFn bf16_dot_kernel() {
#if NNE_BF16_TIER
  if (bf16_kernel_available(kBf16Avx512)) return &avx512bf16::dot;
#endif
  return nullptr;
}

const char* bf16_unavailable_reason() {
  if (bf16_gemm_kernel()) return "";
#if NNE_BF16_TIER
  if (has_bf16())
    return "bf16 kernels need the avx512 ISA level, and NNENGINE_MAX_ISA or set_isa() capped it lower";
  return "this CPU has neither AVX512-BF16 nor AMX-BF16: bf16 compute is unavailable";
#else
  return "this build has no bf16 kernels (they exist for x86-64 with AVX512-BF16 or AMX-BF16)";
#endif
}

}  // namespace nne
