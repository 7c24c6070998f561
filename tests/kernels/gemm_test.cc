// Every GEMM variant this build has, against the reference kernels, with equality. Each test
// prints the variant and microkernel it exercised; a variant the CPU lacks is reported as not run.
#include <gtest/gtest.h>

#include <utility>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "gemm_microkernel_tester.h"
#include "nestrt/kernels/dispatch.h"
#include "nestrt/kernels/gemm.h"

namespace nestrt::kernels {
namespace {

using testing::GemmMicrokernelTester;

std::vector<Variant> gemm_variants() {
  std::vector<Variant> out;
  for (Variant v : kAllVariants) {
    if (gemm_ukernel(v).fn) out.push_back(v);
  }
  return out;
}

TEST(KernelDispatch, ReportsEveryVariant) {
  for (Variant v : kAllVariants) {
    const bool ok = variant_available(v);
    std::printf("[ VARIANT  ] %-10s %s%s\n", variant_name(v),
                ok ? "available" : "not available: ", ok ? "" : variant_unavailable_reason(v).c_str());
  }
  std::printf("[ VARIANT  ] best: %s\n", variant_name(best_variant()));
  EXPECT_TRUE(variant_available(Variant::kRef));
  EXPECT_TRUE(variant_available(best_variant()));
}

TEST(KernelDispatch, ParsesNamesAndRejectsUnknown) {
  for (Variant v : kAllVariants) EXPECT_EQ(parse_variant(variant_name(v)), v);
  EXPECT_THROW(parse_variant("sse2"), KernelError);
}

TEST(KernelDispatch, ForcingAnUnavailableVariantIsAClearError) {
  for (Variant v : kAllVariants) {
    if (variant_available(v)) {
      EXPECT_NO_THROW(set_variant(v));
      EXPECT_EQ(active_variant(), v);
    } else {
      try {
        set_variant(v);
        ADD_FAILURE() << "set_variant(" << variant_name(v) << ") should have thrown";
      } catch (const KernelError& e) {
        EXPECT_NE(std::string(e.what()).find(variant_name(v)), std::string::npos) << e.what();
        std::printf("[ REFUSED  ] %s\n", e.what());
      }
    }
  }
  reset_variant();
}

// NESTRT_KERNELS is read on the first active_variant() after reset_variant(): an available variant
// is used, an unknown or unavailable one is a KernelError naming it (never a SIGILL later).
TEST(KernelDispatch, EnvironmentOverride) {
  for (Variant v : kAllVariants) {
    ASSERT_EQ(setenv("NESTRT_KERNELS", variant_name(v), 1), 0);
    reset_variant();
    if (variant_available(v)) {
      EXPECT_EQ(active_variant(), v);
    } else {
      try {
        active_variant();
        ADD_FAILURE() << "NESTRT_KERNELS=" << variant_name(v) << " should have thrown";
      } catch (const KernelError& e) {
        EXPECT_NE(std::string(e.what()).find("NESTRT_KERNELS"), std::string::npos) << e.what();
        std::printf("[ REFUSED  ] %s\n", e.what());
      }
    }
  }
  ASSERT_EQ(setenv("NESTRT_KERNELS", "sse9", 1), 0);
  reset_variant();
  EXPECT_THROW(active_variant(), KernelError);
  ASSERT_EQ(unsetenv("NESTRT_KERNELS"), 0);
  reset_variant();
  EXPECT_EQ(active_variant(), best_variant());
}

class GemmVariantTest : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    NESTRT_REQUIRE_VARIANT(GetParam());
    std::printf("[ EXERCISE ] %s\n", testing::variant_label(GetParam()).c_str());
  }
  GemmMicrokernelTester tester() const { return GemmMicrokernelTester(); }
};

TEST_P(GemmVariantTest, KBelowEqualAboveTheBlock) {
  const GemmUkernel uk = gemm_ukernel(GetParam());
  for (size_t k : {1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 17, 31, 32, 33, 64, 100, 255, 576}) {
    tester()
        .m(size_t(uk.mr))
        .n(size_t(uk.nr))
        .k(k)
        .input_zero_point(3)
        .output_zero_point(-5)
        .seed(uint32_t(k))
        .Test(GetParam());
  }
}

TEST_P(GemmVariantTest, MAndNNotMultiplesOfTheTile) {
  const GemmUkernel uk = gemm_ukernel(GetParam());
  for (size_t m = 1; m <= size_t(2 * uk.mr + 1); ++m) {
    for (size_t n : {1, 3, 7, 8, 9, 15, 16, 17, 24, 31, 33, 40}) {
      tester().m(m).n(n).k(19).input_zero_point(-7).output_zero_point(11).seed(uint32_t(m * 100 + n)).Test(GetParam());
    }
  }
}

TEST_P(GemmVariantTest, StridedInputAndOutput) {
  for (size_t a_pad : {1, 4, 13}) {
    for (size_t c_pad : {1, 5, 16}) {
      tester()
          .m(7)
          .n(21)
          .k(37)
          .a_pad(a_pad)
          .c_pad(c_pad)
          .input_zero_point(1)
          .seed(uint32_t(a_pad * 31 + c_pad))
          .Test(GetParam());
    }
  }
}

TEST_P(GemmVariantTest, ZeroPoints) {
  for (int32_t zi : {-128, -1, 0, 5, 127}) {
    for (int32_t zo : {-128, -3, 0, 9, 127}) {
      tester()
          .m(5)
          .n(18)
          .k(43)
          .input_zero_point(zi)
          .output_zero_point(zo)
          .seed(uint32_t(zi * 7 + zo + 2000))
          .Test(GetParam());
    }
  }
}

TEST_P(GemmVariantTest, Clamping) {
  tester().m(6).n(20).k(50).qmin(-20).Test(GetParam());
  tester().m(6).n(20).k(50).qmax(30).Test(GetParam());
  tester().m(6).n(20).k(50).qmin(-128).qmax(-128).Test(GetParam());
  tester().m(6).n(20).k(50).output_zero_point(-128).qmin(-128).Test(GetParam());  // fused ReLU
}

// Multipliers up to the loader's bound 2^24 push acc * m past 2^24 (the float clamp), past int32
// (FCVTNS / CVTPS2DQ saturation) and past int16 (the NEON kernels' narrowing): every output must
// still be the reference's clamped value, with zero points at both ends.
TEST_P(GemmVariantTest, SaturatingMultipliers) {
  for (int32_t zo : {-128, -60, 0, 77, 127}) {
    for (auto [lo, hi] : {std::pair{0.05f, 300.f}, std::pair{1e3f, 16777216.f}, std::pair{1e-6f, 16777216.f}}) {
      tester()
          .m(7)
          .n(33)
          .k(29)
          .input_zero_point(-17)
          .output_zero_point(zo)
          .multipliers(lo, hi)
          .iterations(2)
          .seed(uint32_t(zo + 500 + int(hi)))
          .Test(GetParam());
    }
  }
}

// The decode's -128 flag, which picks a variant's no-min kernel: symmetric full-mode weights never
// hold -128; 8:6 part mode does once a weight rounds to high = -32 (q <= -126).
TEST(GemmPanelTest, DecodeFlagsExactlyThePanelsHoldingMinus128) {
  std::mt19937 rng(5);
  const size_t n = 40, k = 70, ocp = round_up(n, kPanelNR);
  testing::RandomNested nested(n * k, 8, 6, rng);
  for (NestMode mode : {NestMode::kFull, NestMode::kPart}) {
    for (int group : {4, 16}) {
      const size_t kc = round_up(k, size_t(group));
      std::vector<int8_t> panels(ocp * kc), tmp(kPanelNR * kc), w(n * k);
      std::vector<int32_t> ksum(ocp);
      bool has_min[3] = {true, true, true};
      nest_qs8_decode_panels(nested.planes(), mode, int(n), int(k), panels.data(), ksum.data(), tmp.data(), group,
                             has_min);
      nest_qs8_decode__ref(nested.planes(), mode, w.data());
      for (size_t p = 0; p < ocp / kPanelNR; ++p) {
        bool want = false;
        for (size_t c = p * kPanelNR; c < std::min(n, (p + 1) * kPanelNR); ++c) {
          for (size_t i = 0; i < k; ++i) want |= w[c * k + i] == -128;
        }
        EXPECT_EQ(has_min[p], want) << "panel " << p << " group " << group;
        if (mode == NestMode::kFull) {
          EXPECT_FALSE(has_min[p]);
        }
      }
    }
  }
}

TEST_P(GemmVariantTest, BothModesAndNestings) {
  for (NestMode mode : {NestMode::kFull, NestMode::kPart}) {
    for (testing::Split split : {testing::Split::kNearest, testing::Split::kBitplane}) {
      for (int high : {6, 5, 4, 7}) {
        if (high == 7 && split == testing::Split::kNearest) continue;  // 8:7 bitplane: part weights reach +-127
        tester()
            .m(9)
            .n(35)
            .k(70)
            .nesting(8, high)
            .split(split)
            .mode(mode)
            .input_zero_point(-9)
            .output_zero_point(4)
            .iterations(3)
            .seed(uint32_t(high + (mode == NestMode::kPart ? 10 : 0) + (split == testing::Split::kBitplane ? 20 : 0)))
            .Test(GetParam());
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, GemmVariantTest, ::testing::ValuesIn(gemm_variants()),
                         [](const ::testing::TestParamInfo<Variant>& param_info) {
                           return variant_name(param_info.param);
                         });

}  // namespace
}  // namespace nestrt::kernels
