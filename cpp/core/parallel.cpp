#include "core/parallel.h"

#include <atomic>
#include <cstdlib>
#include <thread>

namespace nne {
namespace {

int default_threads() {
  if (const char* s = std::getenv("OMP_NUM_THREADS")) {
    const int v = std::atoi(s);
    if (v > 0) return v;
  }
  const unsigned hc = std::thread::hardware_concurrency();
  return hc > 0 ? static_cast<int>(hc) : 1;
}

std::atomic<int>& thread_count() {
  static std::atomic<int> n{default_threads()};
  return n;
}

}  // namespace

int get_num_threads() {
#ifdef _OPENMP
  return thread_count().load(std::memory_order_relaxed);
#else
  return 1;
#endif
}

void set_num_threads(int n) { thread_count().store(n < 1 ? 1 : n); }

bool in_parallel() {
#ifdef _OPENMP
  return omp_in_parallel();
#else
  return false;
#endif
}

}  // namespace nne
