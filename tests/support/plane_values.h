// Test-side decoding of bit-packed weight planes, written from the definition in docs/format.md
// bit by bit, independently of the kernels' unpacker (which the tests check against it).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "nestrt/format/model_file.h"

namespace nestrt::testing {

// Element i of a plane in the given coding (docs/format.md "Weight planes").
int8_t plane_element(std::span<const uint8_t> bytes, size_t i, int width, int offset);

// Every element of one operator's high or low plane in a loaded file.
std::vector<int8_t> high_plane_values(const format::ModelFile& file, const fb::NestedWeights& w);
std::vector<int8_t> low_plane_values(const format::ModelFile& file, const fb::NestedWeights& w);

}  // namespace nestrt::testing
