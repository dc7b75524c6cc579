#include "core/parallel.h"

#include <pthread.h>

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

std::atomic<bool> pool_started{false};
std::atomic<bool> single_after_fork{false};

// fork() child: if the parent had started OpenMP threads, this process stays on one thread.
void on_fork_child() {
  if (pool_started.load(std::memory_order_relaxed)) single_after_fork.store(true, std::memory_order_relaxed);
}

const int atfork_registered = pthread_atfork(nullptr, nullptr, &on_fork_child);

}  // namespace

void note_pool_started() {
  if (!pool_started.load(std::memory_order_relaxed)) pool_started.store(true, std::memory_order_relaxed);
}

int get_num_threads() {
#ifdef _OPENMP
  if (single_after_fork.load(std::memory_order_relaxed)) return 1;
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
