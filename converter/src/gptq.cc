#include "gptq.h"

#include <cmath>
#include <vector>

namespace nestrt::converter {
namespace {

// In-place lower Cholesky factor of the symmetric n x n matrix a (row-major; upper part left as
// garbage). False if a pivot is not positive.
bool cholesky_lower(std::vector<double>& a, size_t n) {
  for (size_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (size_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0.0)) return false;
    d = std::sqrt(d);
    a[j * n + j] = d;
    for (size_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (size_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / d;
    }
  }
  return true;
}

// Upper triangular U with (H + damping * I)^-1 = U^T U: row j of U, divided by U_jj, is the
// inverse-Hessian row GPTQ (OBS) needs once columns 0..j-1 are fixed.
bool inverse_cholesky_upper(const double* h, size_t n, double damping, std::vector<double>& u) {
  std::vector<double> l(h, h + n * n);
  for (size_t i = 0; i < n; ++i) l[i * n + i] += damping;
  if (!cholesky_lower(l, n)) return false;
  // M = L^-1 (lower) by forward substitution, then H^-1 = M^T M.
  std::vector<double> m(n * n, 0.0);
  for (size_t c = 0; c < n; ++c) {
    m[c * n + c] = 1.0 / l[c * n + c];
    for (size_t i = c + 1; i < n; ++i) {
      double s = 0.0;
      for (size_t k = c; k < i; ++k) s += l[i * n + k] * m[k * n + c];
      m[i * n + c] = -s / l[i * n + i];
    }
  }
  std::vector<double> inv(n * n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j <= i; ++j) {
      double s = 0.0;
      for (size_t k = i; k < n; ++k) s += m[k * n + i] * m[k * n + j];  // M lower: rows k >= i
      inv[i * n + j] = inv[j * n + i] = s;
    }
  }
  if (!cholesky_lower(inv, n)) return false;
  u.assign(n * n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j <= i; ++j) u[j * n + i] = inv[i * n + j];
  }
  return true;
}

}  // namespace

bool gptq_round(std::span<const int8_t> q, std::span<const int32_t> ohwi_shape, const NestConfig& config,
                const LayerHessian& hessian, std::span<int8_t> high) {
  const size_t channels = static_cast<size_t>(ohwi_shape[0]), k = hessian.columns, groups = hessian.groups;
  if (hessian.rows == 0 || k == 0 || groups == 0 || channels % groups != 0 || q.size() != channels * k ||
      hessian.xx.size() != groups * k * k) {
    return false;
  }
  // Factor every group first, so a failure leaves `high` untouched.
  std::vector<std::vector<double>> factors(groups);
  for (size_t g = 0; g < groups; ++g) {
    const double* h = hessian.xx.data() + g * k * k;
    double trace = 0.0;
    for (size_t i = 0; i < k; ++i) trace += h[i * k + i];
    if (!(trace > 0.0)) return false;  // the group's input was always zero
    // 1% of the mean diagonal (GPTQ's default) keeps H invertible for dead or collinear columns;
    // rounding in H^-1 may still need more.
    bool ok = false;
    for (double damping = 0.01 * trace / static_cast<double>(k); !ok && damping <= trace; damping *= 10.0) {
      ok = inverse_cholesky_upper(h, k, damping, factors[g]);
    }
    if (!ok) return false;
  }
  const int l = config.low_bits(), step = 1 << l;
  const int high_min = -(1 << (config.high_bits - 1)), high_max = (1 << (config.high_bits - 1)) - 1;
  const size_t per_group = channels / groups;
  std::vector<double> target(k);
  for (size_t c = 0; c < channels; ++c) {
    const std::vector<double>& u = factors[c / per_group];
    const std::span<const int8_t> qc = q.subspan(c * k, k);
    for (size_t j = 0; j < k; ++j) target[j] = static_cast<double>(qc[j]) / step;
    for (size_t j = 0; j < k; ++j) {
      int lo = qc[j] >> l;  // arithmetic shift: floor
      int hi = lo * step == qc[j] ? lo : lo + 1;
      if (hi > high_max) hi = lo;
      if (lo < high_min) lo = hi;
      const double below = target[j] - lo, above = hi - target[j];
      const int h = below < above ? lo : above < below ? hi : (lo % 2 == 0 ? lo : hi);
      high[c * k + j] = static_cast<int8_t>(h);
      // OBS update: move the unrounded weights to compensate this weight's output error.
      const double err = (target[j] - h) / u[j * k + j];
      for (size_t i = j + 1; i < k; ++i) target[i] -= err * u[j * k + i];
    }
  }
  return true;
}

}  // namespace nestrt::converter
