# Cross toolchain: Debian x86_64 host -> aarch64 Linux (generic ARMv8-A, the compiler default).
# Board files set NESTRT_CPU_FLAGS / NESTRT_QEMU_CPU_DEFAULT and include() this file.
#   cmake -G Ninja -B build-arm64 --toolchain toolchains/aarch64-linux-gnu.cmake
# Needs `scripts/setup.sh` (cross compilers, qemu-user, arm64 multiarch -dev packages and the
# private prefix with XNNPACK/pthreadpool/cpuinfo, which are not co-installable with amd64).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Makes find_library/find_package look in lib/aarch64-linux-gnu (Debian multiarch).
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

if(DEFINED ENV{NESTRT_ARM64_PREFIX})
  set(_nestrt_prefix "$ENV{NESTRT_ARM64_PREFIX}")
else()
  set(_nestrt_prefix /opt/nestrt-arm64)
endif()
set(NESTRT_ARM64_PREFIX "${_nestrt_prefix}" CACHE PATH
    "Private prefix holding the unpacked arm64 XNNPACK, pthreadpool and cpuinfo packages")
# try_compile/try_run projects re-read this file without our cache: forward it.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES NESTRT_ARM64_PREFIX)

# Libraries, headers and CMake packages are searched only below these roots: the private
# prefix first (its cpuinfo/XNNPACK/pthreadpool match the arm64 .so files), then "/" where the
# arm64 multiarch packages live. With CMAKE_LIBRARY_ARCHITECTURE set, "/" yields
# /usr/lib/aarch64-linux-gnu and never the amd64 libraries. Programs (flatc, protoc) are
# searched on the host only.
set(CMAKE_FIND_ROOT_PATH "${NESTRT_ARM64_PREFIX}" /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config (configure time only) must not return the host's .pc files.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)

# Board files choose the CPU; -mcpu sets both the ISA and the tuning.
if(NESTRT_CPU_FLAGS)
  set(CMAKE_C_FLAGS_INIT "${NESTRT_CPU_FLAGS}")
  set(CMAKE_CXX_FLAGS_INIT "${NESTRT_CPU_FLAGS}")
endif()

# Every arm64 binary (tests, gtest_discover_tests at build time, try_run) runs under
# qemu-user: binfmt_misc is not registered. The wrapper:
#  - gives the guest LD_LIBRARY_PATH=<prefix>/usr/lib/aarch64-linux-gnu (qemu -E, so the host
#    qemu process is unaffected). RUNPATH alone is not enough: it is not transitive, so
#    libXNNPACK.so.0 cannot find libpthreadpool.so.0 through the executable's RUNPATH.
#    On a board these libraries come from the distribution, so no rpath/--disable-new-dtags
#    pointing at the prefix is linked in (CMake's build-tree RUNPATH is dropped on install).
#  - defaults QEMU_CPU to the board's model but lets the caller's QEMU_CPU win
#    (`QEMU_CPU=cortex-a53 ctest`); qemu's -cpu flag would override the variable, so it is not used.
#  - never passes `-L /usr/aarch64-linux-gnu`: that mixes ld.so/libc and hangs at pthread_create.
# Hangs are left to ctest's timeout. The generic build defaults to max (qemu's own default, all
# features) rather than an empty element: CMake drops empty list elements.
if(NOT NESTRT_QEMU_CPU_DEFAULT)
  set(NESTRT_QEMU_CPU_DEFAULT max)
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR
    /bin/sh "${CMAKE_CURRENT_LIST_DIR}/qemu-aarch64.sh"
    ${NESTRT_QEMU_CPU_DEFAULT} "${NESTRT_ARM64_PREFIX}/usr/lib/aarch64-linux-gnu")
