#!/bin/sh
# Emulator for the aarch64 toolchain files (see aarch64-linux-gnu.cmake).
# Usage: qemu-aarch64.sh DEFAULT_CPU LIBDIR PROGRAM [ARGS...]
# DEFAULT_CPU is used only when QEMU_CPU is unset or empty, so `QEMU_CPU=cortex-a53 ctest` wins.
QEMU_CPU=${QEMU_CPU:-$1}
export QEMU_CPU
libdir=$2
shift 2
exec qemu-aarch64 -E "LD_LIBRARY_PATH=$libdir" "$@"
