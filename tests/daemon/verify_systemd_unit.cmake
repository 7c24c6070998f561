# Checks the shipped systemd unit with `systemd-analyze verify`: unknown keys, bad values and a
# missing ExecStart binary are reported there (as warnings, with exit code 0), so any output fails.
# The unit is configured for the build tree: ExecStart is this build's nestrtd.
#   cmake -DUNIT=<template> -DNESTRTD=<binary> -DCONFIG=<toml> -DWORK=<dir> -P verify_systemd_unit.cmake
find_program(SYSTEMD_ANALYZE systemd-analyze)
if(NOT SYSTEMD_ANALYZE)
  message("SKIP: systemd-analyze is not installed: cannot verify nestrtd.service")
  return()
endif()
set(NESTRTD_PATH ${NESTRTD})
set(NESTRTD_CONFIG ${CONFIG})
set(NESTRTD_DOC ${UNIT})
file(MAKE_DIRECTORY ${WORK})
configure_file(${UNIT} ${WORK}/nestrtd.service @ONLY)
execute_process(COMMAND ${SYSTEMD_ANALYZE} verify ${WORK}/nestrtd.service RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out STREQUAL "")
  message(FATAL_ERROR "systemd-analyze verify nestrtd.service (exit ${rc}):\n${out}")
endif()
message("nestrtd.service: systemd-analyze verify reports nothing")
