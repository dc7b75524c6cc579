// How a failure inside a kernel (an allocation that cannot be satisfied) reaches Python as MemoryError without
// aborting the process and without an exception crossing the kernel boundary.
//
// Inside a kernel a failed allocation is a C++ exception: ScratchBuf::get throws ScratchAllocError (a
// std::bad_alloc naming the size), a growing std::vector throws std::bad_alloc. parallel_for catches what a chunk
// throws (on the pool's workers too, where an escaping exception would terminate the process), skips the chunks
// not yet started and rethrows the first failure on the calling thread once every chunk has finished. Every entry
// of a dispatch table is kernel_entry<&f>::call (NNE_KERNEL_ENTRY(f)): at the thread's outermost kernel level it
// catches whatever the kernel threw and parks it as this thread's pending failure; nested entries (a kernel
// calling another family's table, or a call inside a chunk) let it propagate to the outermost one. A binding
// calls kernels inside nne_bind::KernelCall (bind_util.h), which releases the GIL and, when it ends, raises the
// parked failure in the binding, where pybind11 turns std::bad_alloc into MemoryError. The outputs of a failed
// call are unspecified; the binding never returns them.
#pragma once

#include <cstddef>
#include <exception>
#include <new>
#include <type_traits>

#include "core/parallel.h"

namespace nne {

// An allocation of kernel scratch memory that failed; what() gives the size.
class ScratchAllocError : public std::bad_alloc {
 public:
  explicit ScratchAllocError(size_t bytes);
  const char* what() const noexcept override { return msg_; }

 private:
  char msg_[96];
};

namespace detail {
// This thread's failure parked by the outermost kernel entry (null when none).
std::exception_ptr& pending_kernel_failure();
// Kernel entries active on this thread.
int& kernel_depth();
}  // namespace detail

// Moves out (and clears) this thread's parked kernel failure.
inline std::exception_ptr take_kernel_failure() {
  std::exception_ptr e = nullptr;
  std::swap(e, detail::pending_kernel_failure());
  return e;
}

template <class Sig, Sig F>
struct kernel_entry;

template <class R, class... A, R (*F)(A...)>
struct kernel_entry<R (*)(A...), F> {
  static R call(A... a) {
    if (detail::kernel_depth() > 0 || in_parallel()) return F(a...);  // nested: the outermost entry catches
    struct Depth {
      Depth() { ++detail::kernel_depth(); }
      ~Depth() { --detail::kernel_depth(); }
    } depth;
    try {
      return F(a...);
    } catch (...) {
      detail::pending_kernel_failure() = std::current_exception();
    }
    if constexpr (!std::is_void_v<R>) return R();
  }
};

}  // namespace nne

// The dispatch-table entry of kernel function f (see above).
#define NNE_KERNEL_ENTRY(f) (&::nne::kernel_entry<decltype(&f), &f>::call)
