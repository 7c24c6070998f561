// Data-driven rounding of the high part (method gptq, after Frantar et al., "GPTQ: Accurate
// post-training quantization for generative pre-trained transformers", ICLR 2023).
#pragma once

#include <cstdint>
#include <span>

#include "nestrt/converter/nest.h"

namespace nestrt::converter {

// Chooses every high in {floor(q / 2^l), ceil(q / 2^l)} (within the h-bit range), so full mode
// stays exact and low fits l + 1 bits, to minimise each output channel's part-mode output error
// ||X (q - high * 2^l)||^2 on the calibration rows summarised by `hessian` (one matrix per conv
// group, damped by 1% of its mean diagonal). Walks the K columns in order, picks the candidate
// nearest the error-compensated target (the even one on an exact tie, as nearest does) and spreads
// the rounding error onto the columns not yet rounded through the Cholesky factor of H^-1.
// Deterministic. Returns false, leaving `high` untouched, when the statistics are unusable (no
// rows, all-zero input, shape mismatch, or not positive definite even with more damping).
bool gptq_round(std::span<const int8_t> q, std::span<const int32_t> ohwi_shape, const NestConfig& config,
                const LayerHessian& hessian, std::span<int8_t> high);

}  // namespace nestrt::converter
