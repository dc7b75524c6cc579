// Binding registry: each bind_<family>.cpp registers its functions with NNE_BIND_FAMILY(name) { ... },
// so families are added without touching a shared file. module.cpp runs every registered binder.
// (Registrars are static objects; they run when the shared object is loaded, before PyInit__core.)
#pragma once
#include <pybind11/pybind11.h>

#include <vector>

namespace nne_bind {

using Binder = void (*)(pybind11::module_&);
std::vector<Binder>& binders();

struct BindRegistrar {
  explicit BindRegistrar(Binder b) { binders().push_back(b); }
};

}  // namespace nne_bind

#define NNE_BIND_FAMILY(name)                                                     \
  static void nne_bind_family_##name(pybind11::module_& m);                      \
  static const ::nne_bind::BindRegistrar nne_bind_registrar_##name{&nne_bind_family_##name}; \
  static void nne_bind_family_##name(pybind11::module_& m)
