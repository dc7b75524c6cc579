#include "core/parallel.h"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
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

// fork() child: if the parent had started pool threads, this process stays on one thread.
void on_fork_child() {
  if (pool_started.load(std::memory_order_relaxed)) single_after_fork.store(true, std::memory_order_relaxed);
}

const int atfork_registered = pthread_atfork(nullptr, nullptr, &on_fork_child);

thread_local bool tl_in_parallel = false;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

std::chrono::nanoseconds spin_time() {
  int64_t us = 20;
  if (const char* s = std::getenv("NNENGINE_SPIN_US")) {
    const long v = std::atol(s);
    if (v >= 0 && v <= 100000) us = v;
  }
  return std::chrono::microseconds(us);
}

// Spins (pausing) until pred() holds or the spin time is up; true if pred() held.
template <class P>
bool spin_until(const P& pred) {
  static const std::chrono::nanoseconds limit = spin_time();
  if (pred()) return true;
  if (limit.count() == 0) return false;
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      cpu_relax();
      if (pred()) return true;
    }
    if (std::chrono::steady_clock::now() - t0 > limit) return false;
  }
}

// One job at a time (callers from other threads meanwhile run their loop inline). The job's fields are
// valid while `ticket`'s generation (high 32 bits) is the job's; its low 32 bits count claimed chunks.
// A chunk is claimed by a compare-and-swap that also checks the generation, so a late worker can never
// run a chunk of a job that has already returned. A new job first closes the ticket (a generation of its
// own whose count no job reaches) and only then rewrites the fields: a worker that read the previous
// job's ticket and then the new job's chunk count fails its swap instead of claiming a chunk with a mix
// of both jobs' fields (it used to: a stale callback and context, the new job's done count bumped, and a
// crash or abort). All the job's atomics are sequentially consistent for that argument to hold.
class Pool {
 public:
  void run(int64_t begin, int64_t n, int64_t chunks, int nt, detail::ChunkFn fn, const void* ctx) {
    std::unique_lock<std::mutex> busy(submit_, std::try_to_lock);
    if (!busy.owns_lock()) return fn(ctx, begin, begin + n);
    note_pool_started();
    const int helpers = ensure_workers(nt - 1);
    if (chunks > kMaxChunks) chunks = kMaxChunks;  // results never depend on how the range is cut
    const uint64_t gen = (ticket_.load() >> 32) + 2;
    ticket_.store(((gen - 1) << 32) | kClosed);  // no claim of the previous job succeeds from here on
    begin_.store(begin);
    n_.store(n);
    chunks_.store(chunks);
    fn_.store(fn);
    ctx_.store(ctx);
    helpers_.store(helpers);
    done_.store(0);
    ticket_.store(gen << 32);  // publishes the fields above
    if (sleepers_.load() > 0) {
      std::lock_guard<std::mutex> lk(m_);
      work_cv_.notify_all();
    }
    tl_in_parallel = true;
    while (claim_and_run(gen)) {
    }
    tl_in_parallel = false;
    const auto all_done = [&] { return done_.load(std::memory_order_acquire) >= chunks; };
    if (!spin_until(all_done)) {
      std::unique_lock<std::mutex> lk(m_);
      done_cv_.wait(lk, all_done);
    }
  }

 private:
  // Starts workers up to `want` (at most kMaxWorkers); returns how many may help.
  int ensure_workers(int want) {
    constexpr int kMaxWorkers = 255;
    if (want > kMaxWorkers) want = kMaxWorkers;
    while (nworkers_ < want) {
      try {
        std::thread(&Pool::worker, this, nworkers_).detach();
      } catch (...) {  // no more threads: run with the ones there are
        break;
      }
      ++nworkers_;
    }
    return nworkers_ < want ? nworkers_ : want;
  }

  static constexpr uint64_t kClosed = 0xffffffffu;  // a closed ticket's count: above every job's chunks
  static constexpr int64_t kMaxChunks = int64_t{1} << 30;

  bool claim_and_run(uint64_t gen) {
    uint64_t t = ticket_.load();
    for (;;) {
      if ((t >> 32) != gen) return false;
      const int64_t idx = static_cast<int64_t>(t & 0xffffffffu);
      const int64_t chunks = chunks_.load();
      if (idx >= chunks) return false;
      // Succeeds only if the ticket is still t: then no new job has closed it, so `chunks` was this job's.
      if (ticket_.compare_exchange_weak(t, t + 1)) {
        const int64_t b = begin_.load(), n = n_.load();
        fn_.load()(ctx_.load(), b + n * idx / chunks, b + n * (idx + 1) / chunks);
        if (done_.fetch_add(1) + 1 == chunks) {
          std::lock_guard<std::mutex> lk(m_);
          done_cv_.notify_all();
        }
        return true;
      }
    }
  }

  void worker(int id) {
    tl_in_parallel = true;
    uint64_t seen = ticket_.load() >> 32;
    for (;;) {
      uint64_t t = 0;
      const auto fresh = [&] {
        t = ticket_.load();  // seq_cst: pairs with run()'s store of the ticket and load of sleepers_
        return (t >> 32) != seen;
      };
      if (!spin_until(fresh)) {
        std::unique_lock<std::mutex> lk(m_);
        sleepers_.fetch_add(1);
        work_cv_.wait(lk, fresh);
        sleepers_.fetch_sub(1);
      }
      seen = t >> 32;
      if (id >= helpers_.load(std::memory_order_relaxed)) continue;
      while (claim_and_run(seen)) {
      }
    }
  }

  std::mutex submit_;  // held by the caller of the running job
  int nworkers_ = 0;   // guarded by submit_
  std::mutex m_;
  std::condition_variable work_cv_, done_cv_;
  std::atomic<uint64_t> ticket_{0};
  std::atomic<int64_t> begin_{0}, n_{0}, chunks_{0}, done_{0};
  std::atomic<detail::ChunkFn> fn_{nullptr};
  std::atomic<const void*> ctx_{nullptr};
  std::atomic<int> helpers_{0}, sleepers_{0};
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: detached workers outlive static destruction
  return *p;
}

}  // namespace

namespace detail {
void run_chunks(int64_t begin, int64_t n, int64_t chunks, int nt, ChunkFn fn, const void* ctx) {
  pool().run(begin, n, chunks, nt, fn, ctx);
}
}  // namespace detail

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

bool in_parallel() { return tl_in_parallel; }

void parallel_copy(void* dst, const void* src, int64_t bytes) {
  constexpr int64_t kLine = 64, kGrainLines = (256 << 10) / kLine;
  parallel_for(0, (bytes + kLine - 1) / kLine, kGrainLines, [&](int64_t b, int64_t e) {
    const int64_t lo = b * kLine, hi = e * kLine < bytes ? e * kLine : bytes;
    std::memcpy(static_cast<char*>(dst) + lo, static_cast<const char*>(src) + lo, static_cast<size_t>(hi - lo));
  });
}

}  // namespace nne
