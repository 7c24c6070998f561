# Finds every third-party package. Debian ships CMake configs for FlatBuffers, GoogleTest,
# Benchmark and ONNX; XNNPACK, pthreadpool and cpuinfo have none (cpuinfo's is broken), and the
# header-only libraries are found by their headers so cross builds need no extra packages.
find_package(Threads REQUIRED)
find_program(NESTRT_FLATC flatc REQUIRED NO_CMAKE_FIND_ROOT_PATH)

function(nestrt_find_header var header)
  find_path(${var} ${header} REQUIRED)
endfunction()
function(nestrt_imported_library target lib header)
  find_library(${target}_LIBRARY ${lib} REQUIRED)
  find_path(${target}_INCLUDE_DIR ${header} REQUIRED)
  add_library(${target} UNKNOWN IMPORTED)
  set_target_properties(${target} PROPERTIES IMPORTED_LOCATION "${${target}_LIBRARY}"
                                             INTERFACE_INCLUDE_DIRECTORIES "${${target}_INCLUDE_DIR}")
endfunction()

nestrt_imported_library(nestrt_dep_cpuinfo cpuinfo cpuinfo.h)
nestrt_imported_library(nestrt_dep_pthreadpool pthreadpool pthreadpool.h)
nestrt_imported_library(nestrt_dep_xnnpack XNNPACK xnnpack.h)
set_property(TARGET nestrt_dep_xnnpack PROPERTY INTERFACE_LINK_LIBRARIES nestrt_dep_pthreadpool nestrt_dep_cpuinfo)

# FlatBuffers, xxHash, stb and CLI11 are used header-only.
nestrt_find_header(NESTRT_FLATBUFFERS_INCLUDE_DIR flatbuffers/flatbuffers.h)
nestrt_find_header(NESTRT_XXHASH_INCLUDE_DIR xxhash.h)
nestrt_find_header(NESTRT_STB_INCLUDE_DIR stb/stb_image.h)
nestrt_find_header(NESTRT_CLI11_INCLUDE_DIR CLI/CLI.hpp)
find_package(ZLIB REQUIRED)

if(NESTRT_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(NESTRT_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
if(NESTRT_BUILD_CONVERTER)
  find_package(ONNX REQUIRED)
  find_package(Protobuf REQUIRED)
endif()
