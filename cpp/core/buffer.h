// A 64-byte aligned float buffer that grows on demand and is reused: kernels keep these
// thread_local so the steady state allocates nothing. A failed allocation throws ScratchAllocError, which
// reaches Python as MemoryError (core/kernel_status.h); the buffer is then empty, ready for the next call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/kernel_status.h"

namespace nne {

struct ScratchBuf {
  float* p = nullptr;
  size_t n = 0;
  ScratchBuf() = default;
  ScratchBuf(const ScratchBuf&) = delete;
  ScratchBuf& operator=(const ScratchBuf&) = delete;
  ~ScratchBuf() { std::free(p); }
  // At least `need` floats (contents unspecified); throws ScratchAllocError when they cannot be allocated.
  float* get(size_t need) {
    if (need > n || p == nullptr) {
      std::free(p);
      p = nullptr;
      n = 0;
      if (need > (SIZE_MAX - 63) / sizeof(float)) throw ScratchAllocError(SIZE_MAX);
      const size_t bytes = ((need * sizeof(float) + 63) / 64) * 64;
      p = static_cast<float*>(std::aligned_alloc(64, bytes > 0 ? bytes : 64));
      if (!p) throw ScratchAllocError(bytes);
      n = need;
    }
    return p;
  }
};

}  // namespace nne
