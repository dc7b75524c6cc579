#include "core/kernel_status.h"

#include <cstdio>
#include <stdexcept>

namespace nne {

ScratchAllocError::ScratchAllocError(size_t bytes) : bytes_(bytes) {
  std::snprintf(msg_, sizeof msg_, "nnengine: could not allocate %zu bytes of kernel scratch memory", bytes);
}

namespace detail {
KernelThreadState& kernel_thread_state() {
  static thread_local KernelThreadState s;  // constant-initialized, trivially destructible
  return s;
}
}  // namespace detail

void throw_kernel_failure(KernelThreadState& st) {
  const int f = st.failure;
  const size_t bytes = st.bytes;
  st.failure = kNoFailure;
  if (f == kScratchAlloc) throw ScratchAllocError(bytes);
  if (f == kBadAlloc) throw std::bad_alloc();
  throw std::runtime_error("nnengine: a kernel failed with an unexpected C++ exception");
}

}  // namespace nne
