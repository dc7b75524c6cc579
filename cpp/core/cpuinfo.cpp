#include "core/cpuinfo.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define NNE_HAVE_CPUID 1
#endif

namespace nne {
namespace {

constexpr int64_t kDefaultL1 = 32 << 10, kDefaultL2 = 256 << 10, kDefaultL3 = 2 << 20;

#if defined(NNE_HAVE_CPUID)
// Walks a deterministic cache-parameters leaf (4 on Intel, 0x8000001D on AMD): same register layout.
bool cpuid_caches(unsigned leaf, CacheInfo* out) {
  bool any = false;
  for (unsigned sub = 0; sub < 16; ++sub) {
    unsigned a, b, c, d;
    __cpuid_count(leaf, sub, a, b, c, d);
    const unsigned type = a & 0x1f, level = (a >> 5) & 7;
    if (type == 0) break;  // no more caches
    if (type == 2) continue;  // instruction cache
    const int64_t ways = ((b >> 22) & 0x3ff) + 1, parts = ((b >> 12) & 0x3ff) + 1, line = (b & 0xfff) + 1,
                  sets = static_cast<int64_t>(c) + 1;
    const int64_t size = ways * parts * line * sets;
    if (level == 1) out->l1d = size;
    else if (level == 2) out->l2 = size;
    else if (level == 3) out->l3 = size;
    any = true;
  }
  return any && out->l1d > 0 && out->l2 > 0;
}

bool cpuid_detect(CacheInfo* out) {
  unsigned max_leaf, b, c, d;
  if (!__get_cpuid(0, &max_leaf, &b, &c, &d)) return false;
  char vendor[13] = {};
  std::memcpy(vendor, &b, 4);
  std::memcpy(vendor + 4, &d, 4);
  std::memcpy(vendor + 8, &c, 4);
  if (!std::strcmp(vendor, "GenuineIntel") && max_leaf >= 4) {
    CacheInfo t;
    if (cpuid_caches(4, &t)) { t.source = "cpuid (intel)"; *out = t; return true; }
  }
  if (!std::strcmp(vendor, "AuthenticAMD") || !std::strcmp(vendor, "HygonGenuine")) {
    unsigned ext_max, a;
    if (__get_cpuid(0x80000000u, &ext_max, &b, &c, &d) && ext_max >= 0x8000001Du) {
      __get_cpuid(0x80000001u, &a, &b, &c, &d);
      CacheInfo t;
      if ((c & (1u << 22)) && cpuid_caches(0x8000001Du, &t)) { t.source = "cpuid (amd)"; *out = t; return true; }
    }
  }
  return false;
}
#endif

int64_t sysconf_size(int name) {
  const long v = sysconf(name);
  return v > 0 ? static_cast<int64_t>(v) : 0;
}

int64_t clamp16(int64_t v, int64_t lo, int64_t hi) { return std::min(hi, std::max(lo, v)) / 16 * 16; }

// "32K" / "512k" / "16M" / "1G" / "4096" -> bytes; -1 if malformed.
int64_t parse_size(const char* s, const char* end) {
  if (s == end || !std::isdigit(static_cast<unsigned char>(*s))) return -1;
  int64_t v = 0;
  for (; s != end && std::isdigit(static_cast<unsigned char>(*s)); ++s) {
    v = v * 10 + (*s - '0');
    if (v > (int64_t{1} << 40)) return -1;
  }
  int64_t mul = 1;
  if (s != end) {
    const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(*s++)));
    if (u == 'K') mul = 1 << 10;
    else if (u == 'M') mul = 1 << 20;
    else if (u == 'G') mul = 1 << 30;
    else return -1;
    if (s != end && (*s == 'B' || *s == 'b')) ++s;
    if (s != end) return -1;
  }
  return v * mul;
}

struct State {
  std::mutex mu;
  std::atomic<int64_t> l1d{0}, l2{0}, l3{0}, kc{0}, nc{0}, mc{0}, l2f{0};
  std::atomic<const char*> source{"default"};

  void install(const CacheInfo& c) {
    std::lock_guard<std::mutex> lk(mu);
    const GemmBlocking b = gemm_blocking_for(c);
    l1d = c.l1d, l2 = c.l2, l3 = c.l3, source = c.source;
    kc = b.kc, nc = b.nc, mc = b.mc, l2f = b.l2_floats;
  }
};

CacheInfo initial_info() {
  CacheInfo c = detect_cache_info();
  if (const char* s = std::getenv("NNENGINE_CACHE")) {
    if (*s && parse_cache_spec(s, &c)) c.source = "NNENGINE_CACHE";
  }
  return c;
}

State& state() {
  static State* s = [] {
    auto* st = new State();  // never destroyed: kernels may run during static destruction
    st->install(initial_info());
    return st;
  }();
  return *s;
}

}  // namespace

CacheInfo detect_cache_info() {
  CacheInfo c;
#if defined(NNE_HAVE_CPUID)
  if (cpuid_detect(&c)) {
    if (c.l3 <= 0) c.l3 = c.l2;
    return c;
  }
#endif
  c.l1d = sysconf_size(_SC_LEVEL1_DCACHE_SIZE);
  c.l2 = sysconf_size(_SC_LEVEL2_CACHE_SIZE);
  c.l3 = sysconf_size(_SC_LEVEL3_CACHE_SIZE);
  c.source = "sysconf";
  if (c.l1d <= 0 || c.l2 <= 0) c = CacheInfo{kDefaultL1, kDefaultL2, kDefaultL3, "default"};
  if (c.l3 <= 0) c.l3 = c.l2;
  return c;
}

bool parse_cache_spec(const char* spec, CacheInfo* out) {
  CacheInfo t = *out;
  const char* p = spec;
  while (*p) {
    const char* comma = std::strchr(p, ',');
    const char* end = comma ? comma : p + std::strlen(p);
    const char* eq = static_cast<const char*>(std::memchr(p, '=', static_cast<size_t>(end - p)));
    if (!eq) return false;
    const std::string key(p, eq);
    const int64_t v = parse_size(eq + 1, end);
    if (v <= 0) return false;
    if (key == "l1" || key == "l1d") t.l1d = v;
    else if (key == "l2") t.l2 = v;
    else if (key == "l3") t.l3 = v;
    else return false;
    p = comma ? comma + 1 : end;
  }
  *out = t;
  return true;
}

GemmBlocking gemm_blocking_for(const CacheInfo& c) {
  const int64_t l1 = c.l1d > 0 ? c.l1d : kDefaultL1, l2 = c.l2 > 0 ? c.l2 : kDefaultL2,
                l3 = c.l3 > 0 ? c.l3 : l2;
  GemmBlocking b;
  b.kc = clamp16(l1 / 128, kGemmKcMin, kGemmKcMax);
  b.nc = clamp16(l2 / 2 / 4 / b.kc, 16, 8192);
  b.mc = clamp16(std::min<int64_t>(l3 / 4, 4 << 20) / 4 / b.kc, 64, 8192);
  b.l2_floats = std::max<int64_t>(1024, l2 / 2 / 4);
  return b;
}

CacheInfo cache_info() {
  State& s = state();
  std::lock_guard<std::mutex> lk(s.mu);
  return CacheInfo{s.l1d.load(), s.l2.load(), s.l3.load(), s.source.load()};
}

void set_cache_info(int64_t l1d, int64_t l2, int64_t l3) {
  CacheInfo c = detect_cache_info();
  if (l1d > 0) c.l1d = l1d;
  if (l2 > 0) c.l2 = l2;
  if (l3 > 0) c.l3 = l3;
  c.source = "set";
  state().install(c);
}

void reset_cache_info() { state().install(initial_info()); }

GemmBlocking gemm_blocking() {
  State& s = state();
  return GemmBlocking{s.kc.load(std::memory_order_relaxed), s.nc.load(std::memory_order_relaxed),
                      s.mc.load(std::memory_order_relaxed), s.l2f.load(std::memory_order_relaxed)};
}

}  // namespace nne
