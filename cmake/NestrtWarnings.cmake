# Warnings for nestrt's own targets only (third-party headers are included as SYSTEM).
add_library(nestrt_warnings INTERFACE)
target_compile_options(nestrt_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wno-psabi)
# GCC 12 reports -Wrestrict false positives inside libstdc++'s string concatenation (PR105329).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(nestrt_warnings INTERFACE -Wno-restrict)
endif()
if(NESTRT_WERROR)
  target_compile_options(nestrt_warnings INTERFACE -Werror)
endif()
# Bit-exactness across ISAs (design §4) needs IEEE float ops exactly as written: no FMA contraction.
target_compile_options(nestrt_warnings INTERFACE -ffp-contract=off)
