// Run-time kernel options (see options.h).
#include "core/options.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace nne {
namespace {

WinogradMode from_env() {
  WinogradMode m = WinogradMode::f2;
  if (const char* s = std::getenv("NNENGINE_WINOGRAD")) parse_winograd_mode(s, &m);
  return m;
}

std::atomic<int>& mode_slot() {
  static std::atomic<int> slot{static_cast<int>(from_env())};
  return slot;
}

}  // namespace

bool parse_winograd_mode(const char* s, WinogradMode* out) {
  if (!s) return false;
  if (std::strcmp(s, "off") == 0) *out = WinogradMode::off;
  else if (std::strcmp(s, "f2") == 0) *out = WinogradMode::f2;
  else if (std::strcmp(s, "f4") == 0) *out = WinogradMode::f4;
  else return false;
  return true;
}

const char* winograd_mode_name(WinogradMode m) {
  switch (m) {
    case WinogradMode::off: return "off";
    case WinogradMode::f4: return "f4";
    default: return "f2";
  }
}

WinogradMode winograd_mode() { return static_cast<WinogradMode>(mode_slot().load(std::memory_order_relaxed)); }
void set_winograd_mode(WinogradMode m) { mode_slot().store(static_cast<int>(m), std::memory_order_relaxed); }
void reset_winograd_mode() { set_winograd_mode(from_env()); }

}  // namespace nne
