// Reused memory for the bindings' large outputs (bind_util.h's empty<T>, the one allocator of every binding's
// output array). Without it each large output is a fresh block from the C allocator, which hands big blocks
// back to the OS when they are freed; the next step's outputs are then fresh pages, and the first touch of every
// 4 KiB costs a page fault (the LeNet-5 training step, batch 64, alone in its process: ~1,400 faults, 8.3 ms
// instead of 4.7 on Zen 4). Here a freed output's block goes to a free list of its size class and comes back,
// still mapped, for the next output of that class.
//
// Safety: an array owns its block through a capsule that is its numpy base; the block returns to the pool only
// when the capsule dies, i.e. when no array or view refers to the memory any more (views hold the array, the
// array holds the capsule). Size classes: 64 KiB and up, rounded up to an eighth of the power of two below
// (<= 12.5% slack); smaller arrays keep numpy's allocator (cheaper, and the heap serves them without faults).
// Bound: at most NNENGINE_BUFFER_CACHE_MB MiB (default 256; 0 turns the pool off) of free blocks are kept;
// a freed block that does not fit evicts free blocks of other classes first (the current workload's sizes
// win), and one larger than the whole bound goes back to the allocator. Off in sanitizer builds (ASan must see
// every free). All calls hold the GIL (outputs are allocated before a binding releases it; capsules die under
// it); a mutex guards the lists anyway.
#pragma once

#include <pybind11/pybind11.h>

#include <cstddef>

namespace nne_bind {

// A capsule owning a 64-byte aligned block of at least `bytes` bytes (data set to it), or a null object (data
// untouched) when the pool does not serve this size: the caller then allocates as usual.
pybind11::object pooled_block(size_t bytes, void*& data);

// The capsule name of pooled blocks (the tape recognises an array owning one: _tape.pyx sole_owner).
constexpr const char* kPooledBlockName = "nnengine.buffer";

}  // namespace nne_bind
