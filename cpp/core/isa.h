// Runtime ISA selection shared by every kernel family.
//
// Each file in cpp/kernels is compiled once per ISA into namespace nne::<isa> (baseline, avx2,
// avx512; see CMakeLists.txt). A family header declares a POD table of function pointers and
// invokes NNE_DISPATCH(Table, name); every ISA copy of the family's kernel file defines
// `const Table name = {...}` in its namespace, and callers use `name_kernels()`, which returns the
// copy for the active ISA. The active ISA is the best one the CPU *and* the OS support (cpuid +
// XGETBV), capped by NNENGINE_MAX_ISA or nne::set_isa().
#pragma once

namespace nne {

enum IsaLevel : int { kBaseline = 0, kAvx2 = 1, kAvx512 = 2 };

const char* isa_name(int level);
// Highest level usable on this CPU and OS (and compiled in).
int best_supported_isa();
// Level the dispatch tables currently select.
int active_isa();
// Select a level; returns false (and changes nothing) if the level is not supported.
bool set_isa(int level);

}  // namespace nne

#if defined(NNE_MULTI_ISA) && defined(NNE_NO_AVX512_TIER)
// A build without the avx512 copies (CMake NNENGINE_AVX512_TIERS=OFF): the level stops at avx2 (isa.cpp).
#define NNE_DISPATCH(Table, name)                                       \
  namespace nne {                                                       \
  namespace baseline { extern const Table name; }                       \
  namespace avx2 { extern const Table name; }                           \
  inline const Table& name##_kernels() {                                \
    return active_isa() == kAvx2 ? avx2::name : baseline::name;         \
  }                                                                     \
  }
#elif defined(NNE_MULTI_ISA)
#define NNE_DISPATCH(Table, name)                                       \
  namespace nne {                                                       \
  namespace baseline { extern const Table name; }                       \
  namespace avx2 { extern const Table name; }                           \
  namespace avx512 { extern const Table name; }                         \
  inline const Table& name##_kernels() {                                \
    switch (active_isa()) {                                             \
      case kAvx512: return avx512::name;                                \
      case kAvx2: return avx2::name;                                    \
      default: return baseline::name;                                   \
    }                                                                   \
  }                                                                     \
  }
#else
#define NNE_DISPATCH(Table, name)                                       \
  namespace nne {                                                       \
  namespace baseline { extern const Table name; }                       \
  inline const Table& name##_kernels() { return baseline::name; }       \
  }
#endif
