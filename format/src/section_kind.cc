#include "nestrt/format/model_file.h"

namespace nestrt::format {

const char* section_kind_name(SectionKind kind) {
  switch (kind) {
    case SectionKind::kMetadata: return "metadata";
    case SectionKind::kHighPlanes: return "high planes";
    case SectionKind::kLowPlanes: return "low planes";
  }
  return "unknown";
}

}  // namespace nestrt::format
