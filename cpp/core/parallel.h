// Threading for every kernel: one flat loop, static partitioning, nothing threaded below a grain.
//
// parallel_for(begin, end, grain, fn) calls fn(b, e) on disjoint contiguous chunks covering
// [begin, end). Chunks are at least `grain` long; with one thread (or a range under 2*grain) fn is
// called once, inline. Kernels must produce results that do not depend on how the range is cut
// (elementwise work, or per-chunk partials reduced in a fixed order via fixed_chunks()).
#pragma once

#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace nne {

int get_num_threads();
void set_num_threads(int n);
// True while inside a parallel region (nested parallel_for then runs inline).
bool in_parallel();
// Records that this process has started OpenMP's thread pool. A child forked after that (multiprocessing's
// "fork", DataLoader workers) runs every kernel on one thread: libgomp's pool does not survive fork(),
// and its first parallel region in the child would wait forever for threads that no longer exist.
// Results are the same at any thread count, so only speed changes.
void note_pool_started();

template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& fn) {
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
#ifdef _OPENMP
  note_pool_started();
#pragma omp parallel num_threads(static_cast<int>(nt))
  {
    const int64_t t = omp_get_thread_num();
    const int64_t team = omp_get_num_threads();
    const int64_t b = begin + n * t / team;
    const int64_t e = begin + n * (t + 1) / team;
    if (b < e) fn(b, e);
  }
#else
  fn(begin, end);
#endif
}

// Number of fixed-size chunks for a deterministic reduction over n items: depends on n only,
// never on the thread count, so partial sums are combined identically at any thread count.
inline int64_t fixed_chunks(int64_t n, int64_t chunk) { return chunk <= 0 ? 1 : (n + chunk - 1) / chunk; }

}  // namespace nne
