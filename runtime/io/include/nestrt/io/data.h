// Data loading shared by nestrt-convert, the nestrt CLI and the tests: images, .npy arrays,
// IDX (MNIST-style) files, preprocessing to the model's float input and calibration samples.
#pragma once

#include "nestrt/io/data_error.h"
#include "nestrt/io/idx.h"
#include "nestrt/io/image.h"
#include "nestrt/io/npy.h"
#include "nestrt/io/preprocess.h"
#include "nestrt/io/sample_source.h"
