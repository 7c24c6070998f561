# Raspberry Pi 4 (BCM2711): cortex-a72. See aarch64-linux-gnu.cmake.
set(NESTRT_CPU_FLAGS -mcpu=cortex-a72)
set(NESTRT_QEMU_CPU_DEFAULT cortex-a72) # QEMU_CPU in the environment wins
include(${CMAKE_CURRENT_LIST_DIR}/aarch64-linux-gnu.cmake)
