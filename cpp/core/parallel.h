// Threading for every kernel: one flat loop cut into chunks that threads take dynamically, nothing
// threaded below a grain.
//
// parallel_for(begin, end, grain, fn[, chunks_per_thread]) calls fn(b, e) on disjoint contiguous chunks
// covering [begin, end). Chunks are at least `grain` long; with one thread (or a range under 2*grain,
// or when called from inside a chunk) fn is called once, inline. The range is cut into up to
// chunks_per_thread chunks per thread; the calling thread and the pool's workers take the next chunk
// from an atomic counter until none is left, so a thread that shares its core with another process
// (a busy neighbour) does fewer chunks instead of holding everyone up, and a worker that wakes late
// finds the work done and is not waited for. Kernels must produce results that do not depend on how
// the range is cut (elementwise work, or per-chunk partials reduced in a fixed order via
// fixed_chunks()), so results are bit-identical at any thread count and any schedule. An exception thrown in a
// chunk (a failed allocation) is rethrown on the calling thread after every chunk has finished.
//
// Waiting is passive after a short spin (~20 us, NNENGINE_SPIN_US to change): idle workers sleep on a
// condition variable, the caller sleeps until the last chunk finishes. The pool is nnengine's own
// (std::thread), so OpenMP's wait policy (OMP_WAIT_POLICY, GOMP_SPINCOUNT) does not apply to it;
// the NNENGINE_OPENMP build option still switches threading on or off.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>

namespace nne {

int get_num_threads();
void set_num_threads(int n);
// True while running a chunk of a parallel_for (a nested parallel_for then runs inline).
bool in_parallel();
// Records that this process has started its thread pool. A child forked after that (multiprocessing's
// "fork", DataLoader workers) runs every kernel on one thread: the pool's threads do not survive fork(),
// and waiting for them in the child would hang. Results are the same at any thread count, so only
// speed changes.
void note_pool_started();

// memcpy of `bytes` bytes (non-overlapping) by the pool: chunks of at least 256 KiB starting on 64-byte offsets.
void parallel_copy(void* dst, const void* src, int64_t bytes);

namespace detail {
using ChunkFn = void (*)(const void* ctx, int64_t b, int64_t e);
// Runs chunks c = 0 .. chunks-1, chunk c being [begin + n*c/chunks, begin + n*(c+1)/chunks), on the
// calling thread and up to nt - 1 pool workers; returns when every chunk has finished.
void run_chunks(int64_t begin, int64_t n, int64_t chunks, int nt, ChunkFn fn, const void* ctx);
}  // namespace detail

template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& fn, int64_t chunks_per_thread = 4) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  int64_t nt = get_num_threads();
  const int64_t max_chunks = n / grain;
  if (nt > max_chunks) nt = max_chunks;
  if (nt <= 1 || in_parallel()) {
    fn(begin, end);
    return;
  }
  int64_t chunks = nt * (chunks_per_thread < 1 ? 1 : chunks_per_thread);
  if (chunks > max_chunks) chunks = max_chunks;
  // A chunk's exception (a failed allocation, core/kernel_status.h) must not escape a pool worker: the first is
  // kept, later chunks are skipped, and it is rethrown here once every chunk has finished.
  struct Job {
    const F* fn = nullptr;
    std::atomic<bool> failed{false};
    std::exception_ptr error;
  } job;
  job.fn = &fn;
  detail::run_chunks(
      begin, n, chunks, static_cast<int>(nt),
      [](const void* ctx, int64_t b, int64_t e) {
        Job& j = *const_cast<Job*>(static_cast<const Job*>(ctx));
        if (j.failed.load(std::memory_order_relaxed)) return;
        try {
          (*j.fn)(b, e);
        } catch (...) {
          if (!j.failed.exchange(true)) j.error = std::current_exception();
        }
      },
      &job);
  if (job.error) std::rethrow_exception(job.error);
}

// Number of fixed-size chunks for a deterministic reduction over n items: depends on n only,
// never on the thread count, so partial sums are combined identically at any thread count.
inline int64_t fixed_chunks(int64_t n, int64_t chunk) { return chunk <= 0 ? 1 : (n + chunk - 1) / chunk; }

// Grain of a loop over planes (pooling, resampling, padding: one (n, c) image per item) whose items each touch
// `plane_elems` elements (input + output plane): at least ~32k elements of work per chunk.
inline int64_t plane_grain(int64_t plane_elems) {
  const int64_t g = (int64_t{1} << 15) / (plane_elems > 1 ? plane_elems : 1);
  return g > 1 ? g : 1;
}

// fn(i) for every plane i in [0, n), threaded with plane_grain(plane_elems).
template <class F>
void parallel_planes(int64_t n, int64_t plane_elems, const F& fn) {
  parallel_for(0, n, plane_grain(plane_elems), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) fn(i);
  });
}

}  // namespace nne
