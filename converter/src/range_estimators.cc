#include "range_estimators.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nestrt::converter {

ValueHistogram::ValueHistogram(float min, float max, size_t bins)
    : min_(min), max_(max), width_((static_cast<double>(max) - min) / static_cast<double>(bins)), counts_(bins, 0.0) {}

void ValueHistogram::add(std::span<const float> values) {
  const size_t last = counts_.size() - 1;
  for (float x : values) {
    const double at = width_ > 0 ? (static_cast<double>(x) - min_) / width_ : 0.0;
    counts_[std::min(last, static_cast<size_t>(std::clamp(at, 0.0, static_cast<double>(last))))] += 1;
  }
  total_ += static_cast<double>(values.size());
}

Range percentile_range(const ValueHistogram& h, double percentile) {
  const double tail = h.total() * (100.0 - percentile) / 100.0 / 2.0;
  Range r{h.min(), h.max()};
  // Lower bound: the left edge of the first bin where the running count passes the tail.
  double below = 0;
  for (size_t b = 0; b < h.bins(); ++b) {
    below += h.count(b);
    if (below > tail) {
      r.min = static_cast<float>(h.bin_center(b) - 0.5 * (h.bin_center(1) - h.bin_center(0)));
      break;
    }
  }
  double above = 0;
  for (size_t b = h.bins(); b-- > 0;) {
    above += h.count(b);
    if (above > tail) {
      r.max = static_cast<float>(h.bin_center(b) + 0.5 * (h.bin_center(1) - h.bin_center(0)));
      break;
    }
  }
  r.min = std::max(r.min, h.min());
  r.max = std::min(r.max, h.max());
  return r;
}

namespace {

// Prefix sums of count, count*x and count*x^2 over the bins (x = bin centre), so the clipping
// error of any range is O(1): sum over clipped bins of count * (x - bound)^2.
class ErrorModel {
 public:
  explicit ErrorModel(const ValueHistogram& h) : h_(h), c_(h.bins() + 1, 0.0), s1_(c_), s2_(c_) {
    for (size_t b = 0; b < h.bins(); ++b) {
      const double x = h.bin_center(b), n = h.count(b);
      c_[b + 1] = c_[b] + n, s1_[b + 1] = s1_[b] + n * x, s2_[b + 1] = s2_[b] + n * x * x;
    }
  }
  // Expected squared error of 256-level quantisation over [lo, hi]: clipping plus step^2 / 12.
  double error(double lo, double hi) const {
    const size_t below = first_bin_above(lo), above = first_bin_above(hi);
    const double clip_lo = lo * lo * c_[below] - 2 * lo * s1_[below] + s2_[below];
    const size_t n = c_.size() - 1;
    const double c = c_[n] - c_[above], s1 = s1_[n] - s1_[above], s2 = s2_[n] - s2_[above];
    const double clip_hi = s2 - 2 * hi * s1 + hi * hi * c;
    const double step = (hi - lo) / 255.0;
    return clip_lo + clip_hi + h_.total() * step * step / 12.0;
  }

 private:
  // Number of bins whose centre lies below v.
  size_t first_bin_above(double v) const {
    size_t lo = 0, hi = h_.bins();
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (h_.bin_center(mid) < v)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  }
  const ValueHistogram& h_;
  std::vector<double> c_, s1_, s2_;
};

}  // namespace

Range mse_range(const ValueHistogram& h) {
  const double lo0 = h.min(), hi0 = h.max();
  if (!(hi0 > lo0)) return {h.min(), h.max()};
  const ErrorModel model(h);
  constexpr int kSteps = 256;
  // Each end shrinks toward 0 independently (an end on the other side of 0 stays where it is:
  // the quantised range always includes 0).
  const int lo_steps = lo0 < 0 ? kSteps : 1, hi_steps = hi0 > 0 ? kSteps : 1;
  double best = std::numeric_limits<double>::infinity();
  Range r{h.min(), h.max()};
  for (int i = 0; i < lo_steps; ++i) {
    const double lo = lo0 < 0 ? lo0 * (kSteps - i) / kSteps : lo0;
    for (int j = 0; j < hi_steps; ++j) {
      const double hi = hi0 > 0 ? hi0 * (kSteps - j) / kSteps : hi0;
      if (hi <= lo) continue;
      if (const double e = model.error(lo, hi); e < best)
        best = e, r = {static_cast<float>(lo), static_cast<float>(hi)};
    }
  }
  return r;
}

}  // namespace nestrt::converter
