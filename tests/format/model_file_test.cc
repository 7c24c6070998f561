// Format v1: round trip and every rejection path of the reader, each with its own message.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <numeric>

#include "../support/tiny_model.h"
#include "nestrt/format/model_file.h"
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace nestrt::format {
namespace {

using nestrt::testing::read_file;
using nestrt::testing::TempPath;
using nestrt::testing::write_file;
using nestrt::testing::write_tiny_model;

constexpr size_t kHeaderChecksumOffset = 32;

// Rewrites the header checksum after a test edits header fields, so the reader gets past it
// and reports the edited field itself.
void reseal_header(std::vector<uint8_t>& bytes) {
  uint32_t header_size;
  std::memcpy(&header_size, bytes.data() + 16, 4);
  std::memset(bytes.data() + kHeaderChecksumOffset, 0, 8);
  const uint64_t sum = XXH64(bytes.data(), header_size, 0);
  std::memcpy(bytes.data() + kHeaderChecksumOffset, &sum, 8);
}

// Opens the file expecting a FormatError; returns it for code and message checks.
FormatError open_error(const std::string& path) {
  try {
    ModelFile::open(path);
  } catch (const FormatError& e) {
    return e;
  }
  ADD_FAILURE() << "opening " << path << " succeeded";
  return FormatError(ErrorCode::kIo, "");
}

TEST(ModelFileTest, RoundTripKeepsMetadataAndPayloadsAligned) {
  TempPath path("roundtrip.nest");
  flatbuffers::FlatBufferBuilder b;
  const std::vector<int32_t> shape = {1, 2, 2, 1};
  auto t = fb::CreateTensorDirect(b, "x", &shape, fb::DataType::Int8, fb::CreateActivationQuant(b, 0.5f, 3));
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors = {t};
  std::vector<flatbuffers::Offset<fb::Operator>> ops;
  std::vector<int32_t> io = {0};
  fb::FinishModelBuffer(b,
                        fb::CreateModel(b, fb::CreateNesting(b), fb::CreateGraphDirect(b, &tensors, &ops, &io, &io)));
  std::vector<uint8_t> high(100000), low(70001);
  std::iota(high.begin(), high.end(), uint8_t{7});
  std::iota(low.begin(), low.end(), uint8_t{200});
  write_model_file(path.str(), {b.GetBufferPointer(), b.GetSize()},
                   {{SectionKind::kHighPlanes, 0, high}, {SectionKind::kLowPlanes, 1, low}});

  const auto file = ModelFile::open(path.str());
  ASSERT_EQ(file->sections().size(), 3u);
  EXPECT_TRUE(file->checksums_verified());
  EXPECT_EQ(file->version(), kFormatVersion);
  for (const auto& s : file->sections()) EXPECT_EQ(s.offset % kSectionAlignment, 0u);
  EXPECT_EQ(file->sections()[1].kind, SectionKind::kHighPlanes);
  EXPECT_EQ(file->sections()[2].kind, SectionKind::kLowPlanes);
  EXPECT_EQ(file->sections()[2].level, 1u);
  const auto h = file->section_bytes(1), l = file->section_bytes(2), m = file->section_bytes(0);
  EXPECT_TRUE(std::equal(h.begin(), h.end(), high.begin(), high.end()));
  EXPECT_TRUE(std::equal(l.begin(), l.end(), low.begin(), low.end()));
  EXPECT_TRUE(std::equal(m.begin(), m.end(), b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()));
  EXPECT_EQ(file->model().graph()->tensors()->Get(0)->quant()->zero_point(), 3);
  EXPECT_EQ(file->file_size(), file->sections()[2].offset + low.size());
}

TEST(ModelFileTest, TinyModelOpensAndResolvesWeights) {
  TempPath path("tiny.nest");
  write_tiny_model(path.str());
  const auto file = ModelFile::open(path.str());
  const auto* conv = file->model().graph()->operators()->Get(0);
  ASSERT_NE(conv->weights(), nullptr);
  EXPECT_EQ(file->resolve(*conv->weights()->high()).size(), 4u * 3 * 3 * 3);
  EXPECT_EQ(file->resolve(*conv->weights()->high()).data(), file->section_bytes(1).data());  // in place, no copy
}

TEST(ModelFileTest, WriterLeavesNoFileWhenItFails) {
  const std::string path = "/nonexistent-dir/model.nest";
  EXPECT_THROW(write_model_file(path, {}, {}), FormatError);
}

TEST(ModelFileTest, RejectsMissingFile) {
  const auto e = open_error("/nonexistent/model.nest");
  EXPECT_EQ(e.code(), ErrorCode::kIo);
  EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos) << e.what();
}

TEST(ModelFileTest, RejectsBadMagic) {
  TempPath path("magic.nest");
  write_tiny_model(path.str());
  auto bytes = read_file(path.str());
  bytes[1] = 'X';
  write_file(path.str(), bytes);
  const auto e = open_error(path.str());
  EXPECT_EQ(e.code(), ErrorCode::kBadMagic);
  EXPECT_NE(std::string(e.what()).find("not a nestrt model file"), std::string::npos) << e.what();
}

TEST(ModelFileTest, RejectsWrongVersion) {
  TempPath path("version.nest");
  write_tiny_model(path.str());
  auto bytes = read_file(path.str());
  const uint32_t version = 7;
  std::memcpy(bytes.data() + 8, &version, 4);
  write_file(path.str(), bytes);
  const auto e = open_error(path.str());
  EXPECT_EQ(e.code(), ErrorCode::kBadVersion);
  EXPECT_NE(std::string(e.what()).find("unsupported format version 7"), std::string::npos) << e.what();
}

TEST(ModelFileTest, RejectsTruncatedFileAtEveryCut) {
  TempPath path("truncated.nest");
  write_tiny_model(path.str());
  const auto bytes = read_file(path.str());
  for (size_t cut : {size_t{0}, size_t{10}, size_t{63}, size_t{64}, size_t{200}, bytes.size() / 2, bytes.size() - 1}) {
    write_file(path.str(), {bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut)});
    const auto e = open_error(path.str());
    EXPECT_EQ(e.code(), ErrorCode::kTruncated) << "cut at " << cut << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

TEST(ModelFileTest, RejectsSectionOutsideFile) {
  TempPath path("offset.nest");
  write_tiny_model(path.str());
  auto bytes = read_file(path.str());
  const uint64_t huge = uint64_t{1} << 40;  // section 2's size field
  std::memcpy(bytes.data() + kHeaderFixedSize + 2 * kSectionEntrySize + 16, &huge, 8);
  reseal_header(bytes);
  write_file(path.str(), bytes);
  const auto e = open_error(path.str());
  EXPECT_EQ(e.code(), ErrorCode::kBadSectionTable);
  EXPECT_NE(std::string(e.what()).find("section 2 (low planes)"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("past the end of the file"), std::string::npos) << e.what();
}

TEST(ModelFileTest, RejectsHeaderChecksumMismatch) {
  TempPath path("header.nest");
  write_tiny_model(path.str());
  auto bytes = read_file(path.str());
  bytes[kHeaderFixedSize + kSectionEntrySize + 4] ^= 1;  // section 1's level field
  write_file(path.str(), bytes);
  const auto e = open_error(path.str());
  EXPECT_EQ(e.code(), ErrorCode::kChecksumMismatch);
  EXPECT_NE(std::string(e.what()).find("header checksum"), std::string::npos) << e.what();
}

TEST(ModelFileTest, RejectsSectionChecksumMismatch) {
  TempPath path("checksum.nest");
  write_tiny_model(path.str());
  auto bytes = read_file(path.str());
  bytes[2 * kSectionAlignment + 5] ^= 0x40;  // a byte of the high planes (section 1)
  write_file(path.str(), bytes);
  const auto e = open_error(path.str());
  EXPECT_EQ(e.code(), ErrorCode::kChecksumMismatch);
  EXPECT_NE(std::string(e.what()).find("checksum mismatch in section 1 (high planes)"), std::string::npos) << e.what();
  // Without verification the file still opens (the metadata is intact), and the section reports bad.
  OpenOptions lazy;
  lazy.verify_checksums = false;
  const auto file = ModelFile::open(path.str(), lazy);
  EXPECT_FALSE(file->verify_section(1));
  EXPECT_TRUE(file->verify_section(2));
}

TEST(ModelFileTest, RejectsWeightReferenceOutsideItsSection) {
  TempPath path("ref.nest");
  nestrt::testing::TinyModelSpec spec;
  spec.fc_high_offset_shift = 1 << 20;
  write_tiny_model(path.str(), spec);
  const auto e = open_error(path.str());
  EXPECT_EQ(e.code(), ErrorCode::kBadReference);
  EXPECT_NE(std::string(e.what()).find("operator 3 'fc' high plane"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("lies outside section 1"), std::string::npos) << e.what();
}

TEST(ModelFileTest, RejectsCorruptMetadataEvenWithAValidChecksum) {
  TempPath path("meta.nest");
  write_tiny_model(path.str());
  auto bytes = read_file(path.str());
  // Point the FlatBuffer root offset far outside the buffer, then reseal section 0's checksum.
  const uint64_t meta_offset = kSectionAlignment;
  uint64_t meta_size;
  std::memcpy(&meta_size, bytes.data() + kHeaderFixedSize + 16, 8);
  const uint32_t bad_root = 0x7ffffff0;
  std::memcpy(bytes.data() + meta_offset, &bad_root, 4);
  const uint64_t sum = XXH64(bytes.data() + meta_offset, meta_size, 0);
  std::memcpy(bytes.data() + kHeaderFixedSize + 24, &sum, 8);
  reseal_header(bytes);
  write_file(path.str(), bytes);
  const auto e = open_error(path.str());
  EXPECT_EQ(e.code(), ErrorCode::kBadMetadata);
  EXPECT_NE(std::string(e.what()).find("not a valid nestrt FlatBuffer"), std::string::npos) << e.what();
}

// A bit-plane file's part mode decodes 2 * high + 1: a nested layer's high-plane coding must keep
// that inside int8. Packed (6-bit high planes at 8:6) it loads; one int8 per element (width 8,
// values up to +-128 as far as the coding says) it is refused, naming the layer.
TEST(ModelFileTest, BitplaneHighPlanesMustLeaveTheMidpointInsideInt8) {
  TempPath path("bitplane.nest");
  nestrt::testing::TinyModelSpec spec;
  spec.bitplane = true;
  spec.packed = true;
  write_tiny_model(path.str(), spec);
  EXPECT_EQ(ModelFile::open(path.str())->model().nesting()->method(), fb::NestMethod::Bitplane);
  spec.packed = false;
  write_tiny_model(path.str(), spec);
  const auto e = open_error(path.str());
  EXPECT_EQ(e.code(), ErrorCode::kBadMetadata);
  EXPECT_NE(
      std::string(e.what()).find("operator 0 'conv' high plane (width 8, offset 0) holds values outside [-64, 63]"),
      std::string::npos)
      << e.what();
  spec.bitplane = false;  // any other method: width 8 is fine
  write_tiny_model(path.str(), spec);
  EXPECT_NO_THROW(ModelFile::open(path.str()));
}

// The image geometry fields appended to Preprocess. A file without them (as every writer before
// them wrote it) reads zeros, "resize straight to the input size"; set, they must be whole sizes
// of one kind of resize able to give the input's H x W (the tiny model's is 6x5).
TEST(ModelFileTest, PreprocessGeometryFieldsDefaultToZeroAndAreValidated) {
  TempPath path("geometry.nest");
  nestrt::testing::TinyModelSpec spec;
  write_tiny_model(path.str(), spec);
  {
    const auto file = ModelFile::open(path.str());
    const fb::Preprocess* p = file->model().preprocess();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->resize_shorter(), 0);
    EXPECT_EQ(p->resize_height(), 0);
    EXPECT_EQ(p->resize_width(), 0);
    EXPECT_EQ(p->crop_height(), 0);
    EXPECT_EQ(p->crop_width(), 0);
    // Not even present in the table: the metadata is what an older writer produced.
    const auto* table = reinterpret_cast<const flatbuffers::Table*>(p);
    EXPECT_FALSE(table->CheckField(fb::Preprocess::VT_RESIZE_SHORTER));
    EXPECT_FALSE(table->CheckField(fb::Preprocess::VT_CROP_WIDTH));
  }
  const auto loads = [&](std::array<int32_t, 5> geometry) {
    spec.geometry = geometry;
    write_tiny_model(path.str(), spec);
    const auto file = ModelFile::open(path.str());
    EXPECT_EQ(file->model().preprocess()->crop_height(), geometry[3]);
  };
  loads({8, 0, 0, 6, 5});  // --resize 8 --crop 6,5
  loads({5, 0, 0, 0, 0});  // --resize 5: the input's shorter side
  loads({0, 9, 7, 6, 5});  // --resize 9,7 --crop 6,5
  loads({0, 6, 5, 0, 0});  // --resize 6,5
  const auto refused = [&](std::array<int32_t, 5> geometry) {
    spec.geometry = geometry;
    write_tiny_model(path.str(), spec);
    const auto e = open_error(path.str());
    EXPECT_EQ(e.code(), ErrorCode::kBadMetadata);
    return std::string(e.what());
  };
  EXPECT_NE(refused({-1, 0, 0, 0, 0})
                .find("invalid metadata: preprocess resize_shorter is -1 (valid: 0 = unused, "
                      "1..65536)"),
            std::string::npos);
  EXPECT_NE(refused({0, 0, 0, 6, 70000}).find("preprocess crop_width is 70000"), std::string::npos);
  EXPECT_NE(refused({0, 7, 0, 0, 0}).find("preprocess resize 7x0 needs both resize_height and resize_width"),
            std::string::npos);
  EXPECT_NE(refused({0, 0, 0, 6, 0}).find("preprocess crop 6x0 needs both crop_height and crop_width"),
            std::string::npos);
  EXPECT_NE(refused({8, 9, 7, 6, 5}).find("preprocess sets both resize_shorter (8) and resize 9x7"), std::string::npos);
  EXPECT_NE(refused({8, 0, 0, 4, 4}).find("preprocess crop 4x4 differs from the input 6x5"), std::string::npos);
  EXPECT_NE(refused({0, 5, 7, 6, 5}).find("preprocess resize 5x7 is smaller than the crop 6x5"), std::string::npos);
  EXPECT_NE(refused({4, 0, 0, 6, 5}).find("preprocess resize_shorter 4 is smaller than both sides of the crop 6x5"),
            std::string::npos);
  EXPECT_NE(refused({0, 8, 8, 0, 0}).find("preprocess resize 8x8 without a crop differs from the input 6x5"),
            std::string::npos);
  EXPECT_NE(refused({6, 0, 0, 0, 0}).find("preprocess resize_shorter 6 without a crop cannot give the input 6x5"),
            std::string::npos);
}

}  // namespace
}  // namespace nestrt::format
