# Raspberry Pi 5 (BCM2712): cortex-a76. See aarch64-linux-gnu.cmake.
set(NESTRT_CPU_FLAGS -mcpu=cortex-a76)
set(NESTRT_QEMU_CPU_DEFAULT cortex-a76) # QEMU_CPU in the environment wins
include(${CMAKE_CURRENT_LIST_DIR}/aarch64-linux-gnu.cmake)
