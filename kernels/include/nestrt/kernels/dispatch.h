// Run-time choice of the kernel variant (design §7). Detection uses cpuinfo, plus
// getauxval(AT_HWCAP2) & HWCAP2_I8MM on aarch64. The first use reads the environment variable
// NESTRT_KERNELS=<variant> (ref, neon, neondot, i8mm, avx2, avx512vnni); set_variant() overrides it.
// Forcing a variant this CPU (or this build) cannot run throws KernelError with the reason: an
// override can never end in SIGILL.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace nestrt::kernels {

enum class Variant { kRef, kNeon, kNeonDot, kI8mm, kAvx2, kAvx512Vnni };
inline constexpr Variant kAllVariants[] = {Variant::kRef,  Variant::kNeon, Variant::kNeonDot,
                                           Variant::kI8mm, Variant::kAvx2, Variant::kAvx512Vnni};

class KernelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

const char* variant_name(Variant v);
// Throws KernelError for an unknown name, listing the valid ones.
Variant parse_variant(std::string_view name);

// True when this build has the variant's kernels and this CPU can run them.
bool variant_available(Variant v);
// Why a variant is not available ("" when it is): e.g. "the CPU lacks SDOT (asimddp)".
std::string variant_unavailable_reason(Variant v);
// The fastest available variant.
Variant best_variant();

// The variant the executor uses: set_variant() if called, else NESTRT_KERNELS if set, else best.
// Throws KernelError when NESTRT_KERNELS names an unknown or unavailable variant.
Variant active_variant();
const char* active_variant_name();
// Throws KernelError (and changes nothing) when the variant is not available.
void set_variant(Variant v);
// Forgets set_variant() and re-reads NESTRT_KERNELS on the next active_variant().
void reset_variant();

}  // namespace nestrt::kernels
