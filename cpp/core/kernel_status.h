// How a failure inside a kernel (an allocation that cannot be satisfied) reaches Python as MemoryError without
// aborting the process and without an exception crossing the kernel boundary.
//
// Inside a kernel a failed allocation is a C++ exception: ScratchBuf::get throws ScratchAllocError (a
// std::bad_alloc naming the size), a growing std::vector throws std::bad_alloc. parallel_for catches what a chunk
// throws (on the pool's workers too, where an escaping exception would terminate the process), skips the chunks
// not yet started and rethrows the first failure on the calling thread once every chunk has finished. Every entry
// of a dispatch table is kernel_entry<&f>::call (NNE_KERNEL_ENTRY(f)): at the thread's outermost kernel level it
// catches whatever the kernel threw and parks what it was (KernelThreadState: plain thread-local data, one access
// per call); nested entries (a kernel
// calling another family's table, or a call inside a chunk) let it propagate to the outermost one. A binding
// calls kernels inside nne_bind::KernelCall (bind_util.h), which releases the GIL and, when it ends, raises the
// parked failure in the binding, where pybind11 turns std::bad_alloc into MemoryError. The outputs of a failed
// call are unspecified; the binding never returns them.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>

#include "core/parallel.h"

namespace nne {

// An allocation of kernel scratch memory that failed; what() gives the size.
class ScratchAllocError : public std::bad_alloc {
 public:
  explicit ScratchAllocError(size_t bytes);
  const char* what() const noexcept override { return msg_; }
  size_t bytes() const { return bytes_; }

 private:
  size_t bytes_;
  char msg_[96];
};

// What a kernel entry parked (plain data: one thread-local access per call, no guard, no destructor).
enum KernelFailure : int { kNoFailure = 0, kScratchAlloc = 1, kBadAlloc = 2, kOtherFailure = 3 };
struct KernelThreadState {
  int depth = 0;            // kernel entries active on this thread
  int failure = kNoFailure;  // parked by the outermost entry
  size_t bytes = 0;         // kScratchAlloc: the size asked for
};

namespace detail {
KernelThreadState& kernel_thread_state();
}  // namespace detail

// Raises the parked failure `st` describes (and clears it): ScratchAllocError, std::bad_alloc, or
// std::runtime_error for anything else a kernel threw.
[[noreturn]] void throw_kernel_failure(KernelThreadState& st);

template <class Sig, Sig F>
struct kernel_entry;

template <class R, class... A, R (*F)(A...)>
struct kernel_entry<R (*)(A...), F> {
  static R call(A... a) {
    KernelThreadState& st = detail::kernel_thread_state();
    if (st.depth > 0 || in_parallel()) return F(a...);  // nested: the outermost entry catches
    struct Depth {
      KernelThreadState& s;
      explicit Depth(KernelThreadState& t) : s(t) { ++s.depth; }
      ~Depth() { --s.depth; }
    } depth(st);
    try {
      return F(a...);
    } catch (const ScratchAllocError& e) {
      st.failure = kScratchAlloc, st.bytes = e.bytes();
    } catch (const std::bad_alloc&) {
      st.failure = kBadAlloc;
    } catch (...) {
      st.failure = kOtherFailure;
    }
    if constexpr (!std::is_void_v<R>) return R();
  }
};

}  // namespace nne

// The dispatch-table entry of kernel function f (see above).
#define NNE_KERNEL_ENTRY(f) (&::nne::kernel_entry<decltype(&f), &f>::call)
