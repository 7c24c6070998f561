// Activation range estimators for calibration (--calib-method): from a histogram of every value a
// tensor took on the calibration samples, the clipping range its int8 quantisation should cover.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "nestrt/converter/calibrate.h"

namespace nestrt::converter {

// Counts of values in `bins` equal-width bins over [min, max] (the tensor's observed range).
class ValueHistogram {
 public:
  ValueHistogram(float min, float max, size_t bins);
  void add(std::span<const float> values);
  size_t bins() const { return counts_.size(); }
  double total() const { return total_; }
  double count(size_t bin) const { return counts_[bin]; }
  double bin_center(size_t bin) const { return min_ + (static_cast<double>(bin) + 0.5) * width_; }
  float min() const { return min_; }
  float max() const { return max_; }

 private:
  float min_, max_;
  double width_;
  std::vector<double> counts_;
  double total_ = 0;
};

// Drops the (100 - percentile)% of values outside the range, split evenly between the two tails
// (a tail that holds no values, e.g. below 0 after a ReLU, keeps the observed bound).
Range percentile_range(const ValueHistogram& histogram, double percentile);

// The range minimising the expected squared error of int8 asymmetric quantisation over the
// histogram: clipping error of the values outside plus step^2 / 12 rounding error inside,
// searched over ranges that shrink each end of the observed range in 1/256 steps.
Range mse_range(const ValueHistogram& histogram);

}  // namespace nestrt::converter
