// Cache hierarchy of the CPU, read at run time, and the GEMM blocking derived from it.
//
// Detection order: cpuid (leaf 4 on Intel, leaf 0x8000001D on AMD with TOPOEXT), then
// sysconf(_SC_LEVEL1_DCACHE_SIZE / LEVEL2 / LEVEL3), then conservative defaults (32 KiB, 256 KiB,
// 2 MiB). NNENGINE_CACHE="l1=32K,l2=512K,l3=16M" (bytes, or K/M/G suffixes; any subset of keys)
// overrides what was detected, for experiments. Sizes are per core for L1d and L2, per package for L3.
//
// Blocking (see gemm.h for the loops): one k step of the widest register tiles moves at most 176 bytes
// (AVX-512 12x32), so KC = L1d / 128 keeps a tile's A micro-panel and its streaming B micro-panel in L1;
// a packed KC x NC block of B takes half of L2 (the rest holds the A micro-panels and C tiles passing through;
// measured on Zen 2, 512 KiB L2, same process, CPU time: half of L2 vs all of it 1.01-1.04x at 1024^3, 1.00-1.02x
// at 2048^3 and 1536^3 on one thread); a packed MC x KC block of A takes a
// quarter of L3 (at most 4 MiB); B counts as "in L2" for reading it in place up to half of L2. Every
// value is clamped to a safe range and rounded to a multiple of 16.
// The blocking changes only speed and, through KC, the grouping of the k sum (results differ between
// blockings in the last bits, never between thread counts or calls of one process).
// conv2d reads cache_info() too: an im2col block's column matrix is about L2, the direct weight-gradient
// kernel's block of dy rows about L1d (kernels/conv2d.cpp, conv2d_direct.cpp).
#pragma once

#include <cstdint>

namespace nne {

struct CacheInfo {
  int64_t l1d = 0, l2 = 0, l3 = 0;  // bytes
  const char* source = "default";   // "cpuid (intel)", "cpuid (amd)", "sysconf", "default", "NNENGINE_CACHE", "set"
};

struct GemmBlocking {
  int64_t kc = 0;         // depth of one rank-KC update
  int64_t nc = 0;         // columns of B packed at once (rounded to the tile width by the kernel)
  int64_t mc = 0;         // rows of A packed at once (rounded to the tile height by the kernel)
  int64_t l2_floats = 0;  // half of the per-core L2, in floats: "B fits in L2" for reading it in place
};

constexpr int64_t kGemmKcMin = 64, kGemmKcMax = 1024;

// What the hardware (or the OS) reports, ignoring NNENGINE_CACHE.
CacheInfo detect_cache_info();
// Parses "l1=32K,l2=512K,l3=16M" over `base`; false (out unchanged) on a malformed spec.
bool parse_cache_spec(const char* spec, CacheInfo* out);
// The caches in use: detected, then NNENGINE_CACHE, or what set_cache_info() chose.
CacheInfo cache_info();
// Replaces the caches in use (and so the blocking); sizes <= 0 keep the detected value. For
// experiments and tests; reset_cache_info() returns to detection + NNENGINE_CACHE.
void set_cache_info(int64_t l1d, int64_t l2, int64_t l3);
void reset_cache_info();

GemmBlocking gemm_blocking_for(const CacheInfo& c);
// The blocking for cache_info(), cached; read once per GEMM call.
GemmBlocking gemm_blocking();

}  // namespace nne
