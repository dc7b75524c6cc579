// The output buffer pool: see buffer_pool.h.
#include "bindings/buffer_pool.h"

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace nne_bind {
namespace {

constexpr size_t kMinBytes = size_t{64} << 10;
constexpr size_t kDefaultLimitMiB = 256;

size_t limit_from_env() {
#if NNE_BUILD_SANITIZE
  return 0;
#else
  const char* s = std::getenv("NNENGINE_BUFFER_CACHE_MB");
  if (!s || !*s) return kDefaultLimitMiB << 20;
  char* end = nullptr;
  const long long v = std::strtoll(s, &end, 10);
  if (*end != '\0' || v < 0 || v > (int64_t{1} << 30)) return kDefaultLimitMiB << 20;  // not a MiB count
  return static_cast<size_t>(v) << 20;
#endif
}

struct Pool {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free;  // size class (bytes) -> free blocks
  size_t cached = 0;                                    // bytes in `free`
  const size_t limit = limit_from_env();
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: a capsule may die during interpreter teardown
  return *p;
}

// bytes rounded up to a multiple of an eighth of the power of two at or below it (a multiple of 8 KiB here).
size_t size_class(size_t bytes) {
  const int lg = 63 - __builtin_clzll(static_cast<unsigned long long>(bytes));
  const size_t step = size_t{1} << (lg - 3);
  return (bytes + step - 1) & ~(step - 1);
}

void release(PyObject* cap) {
  void* p = PyCapsule_GetPointer(cap, kPooledBlockName);
  const size_t cls = reinterpret_cast<size_t>(PyCapsule_GetContext(cap));
  Pool& P = pool();
  if (cls <= P.limit) {
    std::vector<void*> drop;
    {
      std::lock_guard<std::mutex> lock(P.mu);
      for (auto it = P.free.begin(); P.cached + cls > P.limit && it != P.free.end(); ++it)
        while (!it->second.empty() && P.cached + cls > P.limit) {
          drop.push_back(it->second.back());
          it->second.pop_back();
          P.cached -= it->first;
        }
      P.free[cls].push_back(p);
      P.cached += cls;
    }
    for (void* q : drop) std::free(q);
    return;
  }
  std::free(p);
}

}  // namespace

pybind11::object pooled_block(size_t bytes, void*& data) {
  Pool& P = pool();
  if (bytes < kMinBytes || P.limit == 0) return pybind11::object();
  const size_t cls = size_class(bytes);
  void* p = nullptr;
  {
    std::lock_guard<std::mutex> lock(P.mu);
    auto it = P.free.find(cls);
    if (it != P.free.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
      P.cached -= cls;
    }
  }
  if (!p) {
    p = std::aligned_alloc(64, cls);  // cls is a multiple of 8 KiB
    if (!p) throw std::bad_alloc();
  }
  PyObject* cap = PyCapsule_New(p, kPooledBlockName, nullptr);
  if (!cap || PyCapsule_SetContext(cap, reinterpret_cast<void*>(cls)) != 0 ||
      PyCapsule_SetDestructor(cap, &release) != 0) {
    Py_XDECREF(cap);
    std::free(p);
    throw pybind11::error_already_set();
  }
  data = p;
  return pybind11::reinterpret_steal<pybind11::object>(cap);
}

}  // namespace nne_bind
