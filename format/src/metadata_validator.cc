// Structural validation of the FlatBuffers metadata: after this, every tensor index, buffer
// reference and per-channel vector the runtime reads is known to be in range. Graph semantics
// (shapes agreeing with operator attributes) are checked by the runtime's graph builder.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "nestrt/format/model_file.h"
#include "nestrt/format/plane_coding.h"

namespace nestrt::format {
namespace {

constexpr float kMinScale = 1e-30f, kMaxScale = 1e30f;  // activation scales
constexpr float kMaxMultiplier = 16777216.f;            // requantisation: real ones are about 2^-20..2^4
constexpr int32_t kMaxImageSide = 1 << 16;              // preprocess resize/crop sizes (io::kMaxImageSide)

class MetadataValidator {
 public:
  MetadataValidator(const ModelFile& file, const std::vector<SectionInfo>& sections)
      : file_(file), sections_(sections) {}

  void validate(const fb::Model& model) {
    const fb::Graph* graph = model.graph();
    if (graph == nullptr || graph->tensors() == nullptr || graph->operators() == nullptr ||
        graph->inputs() == nullptr || graph->outputs() == nullptr) {
      fail("metadata has no graph (tensors, operators, inputs and outputs are required)");
    }
    if (model.nesting() == nullptr) fail("metadata has no nesting configuration");
    const auto& nesting = *model.nesting();
    if (nesting.total_bits() < 2 || nesting.total_bits() > 8 || nesting.high_bits() < 1 ||
        nesting.high_bits() >= nesting.total_bits()) {
      fail("invalid nesting " + std::to_string(nesting.total_bits()) + ":" + std::to_string(nesting.high_bits()));
    }
    if (nesting.method() > fb::NestMethod::MAX) {
      fail("unknown nesting method " + std::to_string(static_cast<int>(nesting.method())));
    }
    bitplane_ = nesting.method() == fb::NestMethod::Bitplane;
    model_low_bits_ = nesting.total_bits() - nesting.high_bits();
    tensor_count_ = graph->tensors()->size();
    for (uint32_t i = 0; i < tensor_count_; ++i) validate_tensor(i, graph->tensors()->Get(i));
    for (uint32_t i = 0; i < graph->operators()->size(); ++i) validate_operator(i, graph->operators()->Get(i));
    if (graph->inputs()->size() == 0 || graph->outputs()->size() == 0) fail("graph has no inputs or no outputs");
    validate_indices("graph inputs", graph->inputs());
    validate_indices("graph outputs", graph->outputs());
    if (model.preprocess() != nullptr) validate_preprocess(model, *model.preprocess());
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(ErrorCode::kBadMetadata, file_.path() + ": invalid metadata: " + what);
  }
  [[noreturn]] void fail_ref(const std::string& what) const {
    throw FormatError(ErrorCode::kBadReference, file_.path() + ": invalid reference: " + what);
  }

  // The image geometry fields (appended to Preprocess; absent = 0 = resize straight to H x W):
  // in range, whole sizes, one kind of resize, and able to give the input's H x W.
  void validate_preprocess(const fb::Model& model, const fb::Preprocess& p) const {
    if (p.color() > fb::ColorOrder::MAX) fail("preprocess has unknown colour order " + std::to_string(int(p.color())));
    const auto size = [](int64_t h, int64_t w) { return std::to_string(h) + "x" + std::to_string(w); };
    const std::pair<int32_t, const char*> fields[] = {{p.resize_shorter(), "resize_shorter"},
                                                      {p.resize_height(), "resize_height"},
                                                      {p.resize_width(), "resize_width"},
                                                      {p.crop_height(), "crop_height"},
                                                      {p.crop_width(), "crop_width"}};
    bool any = false;
    for (const auto& [value, name] : fields) {
      if (value < 0 || value > kMaxImageSide) {
        fail(std::string("preprocess ") + name + " is " + std::to_string(value) + " (valid: 0 = unused, 1.." +
             std::to_string(kMaxImageSide) + ")");
      }
      any = any || value != 0;
    }
    if (!any) return;
    if ((p.resize_height() > 0) != (p.resize_width() > 0)) {
      fail("preprocess resize " + size(p.resize_height(), p.resize_width()) +
           " needs both resize_height and resize_width");
    }
    if ((p.crop_height() > 0) != (p.crop_width() > 0)) {
      fail("preprocess crop " + size(p.crop_height(), p.crop_width()) + " needs both crop_height and crop_width");
    }
    if (p.resize_shorter() > 0 && p.resize_height() > 0) {
      fail("preprocess sets both resize_shorter (" + std::to_string(p.resize_shorter()) + ") and resize " +
           size(p.resize_height(), p.resize_width()));
    }
    // The input's H x W: as declared (NCHW), else the graph input tensor (NHWC).
    int64_t h = 0, w = 0;
    if (const auto* d = model.input_shape_nchw(); d != nullptr && d->size() == 4) {
      h = d->Get(2), w = d->Get(3);
    } else if (const auto* t = model.graph()->tensors()->Get(static_cast<uint32_t>(model.graph()->inputs()->Get(0)));
               t->shape()->size() == 4) {
      h = t->shape()->Get(1), w = t->shape()->Get(2);
    } else {
      fail("preprocess resize/crop needs a [N,C,H,W] input");
    }
    const std::string input = "the input " + size(h, w);
    if (p.crop_height() > 0) {
      if (p.crop_height() != h || p.crop_width() != w) {
        fail("preprocess crop " + size(p.crop_height(), p.crop_width()) + " differs from " + input);
      }
      if (p.resize_height() > 0 && (p.resize_height() < h || p.resize_width() < w)) {
        fail("preprocess resize " + size(p.resize_height(), p.resize_width()) + " is smaller than the crop " +
             size(h, w));
      }
      if (p.resize_shorter() > 0 && p.resize_shorter() < std::min(h, w)) {
        fail("preprocess resize_shorter " + std::to_string(p.resize_shorter()) +
             " is smaller than both sides of the crop " + size(h, w));
      }
    } else if (p.resize_height() > 0 && (p.resize_height() != h || p.resize_width() != w)) {
      fail("preprocess resize " + size(p.resize_height(), p.resize_width()) + " without a crop differs from " + input);
    } else if (p.resize_shorter() > 0 && p.resize_shorter() != std::min(h, w)) {
      fail("preprocess resize_shorter " + std::to_string(p.resize_shorter()) + " without a crop cannot give " + input);
    }
  }

  void validate_tensor(uint32_t index, const fb::Tensor* t) const {
    std::string where = "tensor " + std::to_string(index);
    if (t != nullptr && t->name() != nullptr) where += " '" + t->name()->str() + "'";
    if (t == nullptr || t->shape() == nullptr || t->shape()->size() == 0 || t->shape()->size() > 4) {
      fail(where + " needs a shape of rank 1 to 4");
    }
    int64_t elements = 1;
    for (int32_t d : *t->shape()) {
      if (d <= 0) fail(where + " has a non-positive dimension");
      elements *= d;
      if (elements > (int64_t{1} << 31)) fail(where + " is larger than 2^31 elements");
    }
    if (t->type() != fb::DataType::Int8) fail(where + " has an unsupported data type");
    const fb::ActivationQuant* q = t->quant();
    // The scale bounds keep 255 * scale (dequantising) and x / scale (quantising) finite.
    if (q == nullptr || !(q->scale() >= kMinScale && q->scale() <= kMaxScale) || q->zero_point() < -128 ||
        q->zero_point() > 127) {
      fail(where + " needs quantisation with a scale in [1e-30, 1e30] and a zero point in [-128, 127]");
    }
  }

  void validate_indices(const std::string& where, const flatbuffers::Vector<int32_t>* v) const {
    if (v == nullptr) fail(where + " missing");
    for (int32_t i : *v) {
      if (i < 0 || static_cast<uint32_t>(i) >= tensor_count_) {
        fail(where + " names tensor " + std::to_string(i) + " but the graph has " + std::to_string(tensor_count_));
      }
    }
  }

  void validate_ref(const std::string& where, const fb::BufferRef* ref, uint64_t expected_size,
                    SectionKind expected_kind) const {
    if (ref == nullptr) fail_ref(where + " is missing");
    if (ref->section() >= sections_.size()) {
      fail_ref(where + " names section " + std::to_string(ref->section()) + " but the file has " +
               std::to_string(sections_.size()));
    }
    const SectionInfo& s = sections_[ref->section()];
    if (s.kind != expected_kind) {
      fail_ref(where + " points into a " + section_kind_name(s.kind) + " section, expected " +
               section_kind_name(expected_kind));
    }
    uint64_t end = 0;
    if (__builtin_add_overflow(ref->offset(), ref->size(), &end) || end > s.size) {
      fail_ref(where + " (offset " + std::to_string(ref->offset()) + ", size " + std::to_string(ref->size()) +
               ") lies outside section " + std::to_string(ref->section()) + " of " + std::to_string(s.size) + " bytes");
    }
    if (ref->size() != expected_size) {
      fail_ref(where + " holds " + std::to_string(ref->size()) + " bytes, the weight shape and coding need " +
               std::to_string(expected_size));
    }
  }

  void validate_plane(const std::string& where, const fb::BufferRef* ref, uint64_t elements, PlaneCoding coding,
                      SectionKind kind) const {
    if (!plane_coding_valid(coding)) {
      fail(where + " has coding width " + std::to_string(coding.width) + ", offset " + std::to_string(coding.offset) +
           " (valid: width 0..8 with every value inside int8)");
    }
    validate_ref(where, ref, packed_plane_bytes(elements, coding.width), kind);
  }

  void validate_mode(const std::string& where, const fb::ModeParams* m, uint32_t channels) const {
    if (m == nullptr || m->weight_scale() == nullptr || m->weight_zero_point() == nullptr || m->bias() == nullptr ||
        m->multiplier() == nullptr) {
      fail(where + " parameters are missing");
    }
    if (m->weight_scale()->size() != channels || m->weight_zero_point()->size() != channels ||
        m->bias()->size() != channels || m->multiplier()->size() != channels) {
      fail(where + " parameters need one entry per output channel (" + std::to_string(channels) + ")");
    }
    for (float x : *m->multiplier()) {
      if (!(x > 0.f && x <= kMaxMultiplier)) fail(where + " has a multiplier outside (0, 2^24]");
    }
  }

  void validate_weights(const std::string& where, const fb::NestedWeights* w) const {
    if (w->shape() == nullptr || w->shape()->size() != 4) fail(where + " weights need shape [O, KH, KW, I]");
    uint64_t elements = 1;
    for (int32_t d : *w->shape()) {
      if (d <= 0 || d > (1 << 24)) fail(where + " weights have an invalid dimension");
      elements *= static_cast<uint64_t>(d);
    }
    if (elements > (uint64_t{1} << 31)) fail(where + " weights are larger than 2^31 elements");
    validate_plane(where + " high plane", w->high(), elements, {w->high_width(), w->high_offset()},
                   SectionKind::kHighPlanes);
    validate_plane(where + " low plane", w->low(), elements, {w->low_width(), w->low_offset()},
                   SectionKind::kLowPlanes);
    if (w->low_bits() < -1 || w->low_bits() > 7) {
      fail(where + " weights have low_bits " + std::to_string(w->low_bits()) + " (valid: -1 for the model's, 0..7)");
    }
    // Bit-plane part mode decodes 2 * high + 1 on every nested layer: the high plane's coding must
    // keep it inside int8, i.e. every value it can hold in [-64, 63].
    if (bitplane_ && (w->low_bits() >= 0 ? w->low_bits() : model_low_bits_) > 0) {
      const int lowest = w->high_width() == 0 ? w->high_offset() : w->high_offset() - (1 << (w->high_width() - 1));
      const int highest = w->high_width() == 0 ? w->high_offset() : w->high_offset() + (1 << (w->high_width() - 1)) - 1;
      if (lowest < -64 || highest > 63) {
        fail(where + " high plane (width " + std::to_string(w->high_width()) + ", offset " +
             std::to_string(w->high_offset()) + ") holds values outside [-64, 63]: bit-plane part mode's " +
             "2 * high + 1 would leave int8");
      }
    }
    const auto channels = static_cast<uint32_t>(w->shape()->Get(0));
    validate_mode(where + " full-mode", w->full(), channels);
    validate_mode(where + " part-mode", w->part(), channels);
  }

  void validate_operator(uint32_t index, const fb::Operator* op) const {
    std::string where = "operator " + std::to_string(index);
    if (op == nullptr) fail(where + " is missing");
    if (op->name() != nullptr) where += " '" + op->name()->str() + "'";
    if (op->code() > fb::OpCode::MAX) fail(where + " has unknown opcode " + std::to_string(int(op->code())));
    validate_indices(where + " inputs", op->inputs());
    validate_indices(where + " outputs", op->outputs());
    if (op->outputs()->size() != 1) fail(where + " must have exactly one output");
    const bool weighted = op->code() == fb::OpCode::Conv2D || op->code() == fb::OpCode::DepthwiseConv2D ||
                          op->code() == fb::OpCode::FullyConnected;
    if (op->code() == fb::OpCode::Concat) {
      if (op->inputs()->size() < 2) {
        fail(where + " needs at least 2 inputs, has " + std::to_string(op->inputs()->size()));
      }
    } else {
      const size_t inputs = op->code() == fb::OpCode::Add || op->code() == fb::OpCode::Mul ? 2 : 1;
      if (op->inputs()->size() != inputs) {
        fail(where + " needs " + std::to_string(inputs) + " input(s), has " + std::to_string(op->inputs()->size()));
      }
    }
    if (weighted != (op->weights() != nullptr)) {
      fail(where + (weighted ? " has no weights" : " has weights its opcode does not use"));
    }
    if (weighted) validate_weights(where, op->weights());
    switch (op->code()) {
      case fb::OpCode::Conv2D:
      case fb::OpCode::DepthwiseConv2D:
        if (op->options_as_Conv2DOptions() == nullptr) fail(where + " needs Conv2DOptions");
        break;
      case fb::OpCode::MaxPool2D:
      case fb::OpCode::AveragePool2D:
      case fb::OpCode::GlobalAveragePool:
        if (op->options_as_Pool2DOptions() == nullptr) fail(where + " needs Pool2DOptions");
        break;
      case fb::OpCode::Add:
        if (op->options_as_AddOptions() == nullptr) fail(where + " needs AddOptions");
        break;
      case fb::OpCode::Lookup:
        if (op->options_as_LookupOptions() == nullptr) fail(where + " needs LookupOptions");
        break;
      case fb::OpCode::Mul:
        if (op->options_as_MulOptions() == nullptr) fail(where + " needs MulOptions");
        break;
      case fb::OpCode::Softmax:
        if (op->options_as_SoftmaxOptions() == nullptr) fail(where + " needs SoftmaxOptions");
        break;
      case fb::OpCode::Concat:
        if (op->options_as_ConcatOptions() == nullptr) fail(where + " needs ConcatOptions");
        break;
      case fb::OpCode::Resize:
        if (op->options_as_ResizeOptions() == nullptr) fail(where + " needs ResizeOptions");
        break;
      case fb::OpCode::ZeroInsert:
        if (op->options_as_ZeroInsertOptions() == nullptr) fail(where + " needs ZeroInsertOptions");
        break;
      default: break;
    }
    if (op->output_min() > op->output_max()) fail(where + " has output_min above output_max");
  }

  const ModelFile& file_;
  const std::vector<SectionInfo>& sections_;
  uint32_t tensor_count_ = 0;
  bool bitplane_ = false;   // Nesting.method Bitplane: part mode decodes 2 * high + 1
  int model_low_bits_ = 0;  // n - h, for layers with low_bits -1
};

}  // namespace

void ModelFile::validate_metadata() {
  const auto meta = section_bytes(kMetadataSection);
  flatbuffers::Verifier verifier(meta.data(), meta.size());
  if (!fb::VerifyModelBuffer(verifier)) {
    throw FormatError(
        ErrorCode::kBadMetadata,
        path_ + ": invalid metadata: section 0 is not a valid nestrt FlatBuffer (corrupt or wrong schema)");
  }
  model_ = fb::GetModel(meta.data());
  MetadataValidator(*this, sections_).validate(*model_);
}

}  // namespace nestrt::format
