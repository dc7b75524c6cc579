// A 64-byte aligned float buffer that grows on demand and is reused: kernels keep these
// thread_local so the steady state allocates nothing.
#pragma once

#include <cstddef>
#include <cstdlib>

namespace nne {

struct ScratchBuf {
  float* p = nullptr;
  size_t n = 0;
  ScratchBuf() = default;
  ScratchBuf(const ScratchBuf&) = delete;
  ScratchBuf& operator=(const ScratchBuf&) = delete;
  ~ScratchBuf() { std::free(p); }
  // At least `need` floats (contents unspecified); aborts only if a small allocation fails.
  float* get(size_t need) {
    if (need > n || p == nullptr) {
      std::free(p);
      const size_t bytes = ((need * sizeof(float) + 63) / 64) * 64;
      p = static_cast<float*>(std::aligned_alloc(64, bytes > 0 ? bytes : 64));
      if (!p) std::abort();
      n = need;
    }
    return p;
  }
};

}  // namespace nne
