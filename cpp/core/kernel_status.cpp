#include "core/kernel_status.h"

#include <cstdio>

namespace nne {

ScratchAllocError::ScratchAllocError(size_t bytes) {
  std::snprintf(msg_, sizeof msg_, "nnengine: could not allocate %zu bytes of kernel scratch memory", bytes);
}

namespace detail {
std::exception_ptr& pending_kernel_failure() {
  static thread_local std::exception_ptr e;
  return e;
}
int& kernel_depth() {
  static thread_local int d = 0;
  return d;
}
}  // namespace detail

}  // namespace nne
