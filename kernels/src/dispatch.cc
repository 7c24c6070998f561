#include "nestrt/kernels/dispatch.h"

#include <cpuinfo.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

#include "ukernels.h"

#if defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1 << 13)
#endif
#endif

namespace nestrt::kernels {
namespace {

bool cpuinfo_ready() {
  static const bool ok = cpuinfo_initialize();
  return ok;
}

// What the CPU can execute, independent of what this build contains.
std::string cpu_lacks(Variant v) {
  if (v == Variant::kRef) return "";
  if (!cpuinfo_ready()) return "cpuinfo_initialize() failed, so no ISA feature can be trusted";
  switch (v) {
    case Variant::kRef: return "";
    case Variant::kNeon:
#if defined(__aarch64__) || defined(__arm__)
      return cpuinfo_has_arm_neon() ? "" : "the CPU lacks NEON (asimd)";
#else
      return "not an ARM CPU";
#endif
    case Variant::kNeonDot:
#if defined(__aarch64__) || defined(__arm__)
      return cpuinfo_has_arm_neon_dot() ? "" : "the CPU lacks SDOT (asimddp, ARMv8.2 dotprod)";
#else
      return "not an ARM CPU";
#endif
    case Variant::kI8mm:
#if defined(__aarch64__)
      return (getauxval(AT_HWCAP2) & HWCAP2_I8MM) ? "" : "the CPU lacks SMMLA (i8mm, HWCAP2_I8MM)";
#else
      return "not an aarch64 CPU";
#endif
    case Variant::kAvx2:
#if defined(__x86_64__) || defined(__i386__)
      return cpuinfo_has_x86_avx2() ? "" : "the CPU (or OS) lacks AVX2";
#else
      return "not an x86 CPU";
#endif
    case Variant::kAvx512Vnni:
#if defined(__x86_64__) || defined(__i386__)
      return cpuinfo_has_x86_avx512f() && cpuinfo_has_x86_avx512bw() && cpuinfo_has_x86_avx512vl() &&
                     cpuinfo_has_x86_avx512vnni()
                 ? ""
                 : "the CPU (or OS) lacks AVX512F/BW/VL/VNNI";
#else
      return "not an x86 CPU";
#endif
  }
  return "unknown variant";
}

bool built(Variant v) {
  switch (v) {
    case Variant::kRef: return true;
#if defined(NESTRT_KERNELS_ARM64)
    case Variant::kNeon:
    case Variant::kNeonDot:
    case Variant::kI8mm: return true;
#endif
#if defined(NESTRT_KERNELS_X86)
    case Variant::kAvx2:
    case Variant::kAvx512Vnni: return true;
#endif
    default: return false;
  }
}

constexpr int kUnset = -1;
std::atomic<int> g_active{kUnset};
std::mutex g_mutex;

}  // namespace

const char* variant_name(Variant v) {
  switch (v) {
    case Variant::kRef: return "ref";
    case Variant::kNeon: return "neon";
    case Variant::kNeonDot: return "neondot";
    case Variant::kI8mm: return "i8mm";
    case Variant::kAvx2: return "avx2";
    case Variant::kAvx512Vnni: return "avx512vnni";
  }
  return "unknown";
}

Variant parse_variant(std::string_view name) {
  for (Variant v : kAllVariants) {
    if (name == variant_name(v)) return v;
  }
  throw KernelError("unknown kernel variant '" + std::string(name) +
                    "' (valid: ref, neon, neondot, i8mm, avx2, avx512vnni)");
}

std::string variant_unavailable_reason(Variant v) {
  std::string lacks = cpu_lacks(v);
  if (!lacks.empty()) return lacks;
  if (!built(v)) {
    return "this build has no " + std::string(variant_name(v)) + " kernels";
  }
  return "";
}

bool variant_available(Variant v) {
  return built(v) && cpu_lacks(v).empty();
}

Variant best_variant() {
  for (Variant v : {Variant::kAvx512Vnni, Variant::kAvx2, Variant::kI8mm, Variant::kNeonDot, Variant::kNeon}) {
    if (variant_available(v)) return v;
  }
  return Variant::kRef;
}

namespace {
Variant checked(Variant v, const char* how) {
  if (!variant_available(v)) {
    throw KernelError(std::string("kernel variant '") + variant_name(v) + "' requested by " + how +
                      " is not available: " + variant_unavailable_reason(v));
  }
  return v;
}
}  // namespace

Variant active_variant() {
  const int cur = g_active.load(std::memory_order_acquire);
  if (cur != kUnset) return static_cast<Variant>(cur);
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_active.load() != kUnset) return static_cast<Variant>(g_active.load());
  Variant v = best_variant();
  if (const char* env = std::getenv("NESTRT_KERNELS"); env && *env) {
    v = checked(parse_variant(env), "NESTRT_KERNELS");
  }
  g_active.store(static_cast<int>(v), std::memory_order_release);
  return v;
}

const char* active_variant_name() {
  return variant_name(active_variant());
}

void set_variant(Variant v) {
  checked(v, "set_variant()");
  std::lock_guard<std::mutex> lock(g_mutex);
  g_active.store(static_cast<int>(v), std::memory_order_release);
}

void reset_variant() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_active.store(kUnset, std::memory_order_release);
}

}  // namespace nestrt::kernels
