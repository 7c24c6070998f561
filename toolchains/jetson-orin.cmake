# NVIDIA Jetson Orin: cortex-a78ae. See aarch64-linux-gnu.cmake.
# qemu has no A78 model; cortex-a76 has the same ISA features (v8.2, dotprod, no i8mm).
set(NESTRT_CPU_FLAGS -mcpu=cortex-a78ae)
set(NESTRT_QEMU_CPU_DEFAULT cortex-a76) # QEMU_CPU in the environment wins
include(${CMAKE_CURRENT_LIST_DIR}/aarch64-linux-gnu.cmake)
