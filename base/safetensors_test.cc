#include "base/safetensors.h"

#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "base/file.h"

namespace lrb {
namespace {

// ---------------------------------------------------------------------------------------------
// Helpers.

std::string FreshDir() {
  std::string tmpl = ::testing::TempDir();
  if (tmpl.empty() || tmpl.back() != '/') tmpl += '/';
  tmpl += "lrb_safetensors_test_XXXXXX";
  std::vector<char> buffer(tmpl.begin(), tmpl.end());
  buffer.push_back('\0');
  const char* dir = mkdtemp(buffer.data());
  EXPECT_NE(dir, nullptr) << "mkdtemp failed for " << tmpl;
  return dir == nullptr ? std::string() : std::string(dir);
}

float Bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}
uint32_t BitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

// 8-byte little-endian length, the header text as given, then the data bytes.
std::string RawFile(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

// One header entry from JSON fragments (which may be deliberately wrong).
std::string Entry(const std::string& dtype, const std::string& shape, const std::string& offsets) {
  return absl::StrCat("{\"dtype\":", dtype, ",\"shape\":", shape, ",\"data_offsets\":", offsets, "}");
}

HostTensor Floats(DType dtype, std::vector<int64_t> shape, std::vector<float> values) {
  absl::StatusOr<HostTensor> t = HostTensorFromFloats(dtype, std::move(shape), values);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *std::move(t) : HostTensor();
}

HostTensor Ints(std::vector<int64_t> shape, std::vector<int64_t> values) {
  absl::StatusOr<HostTensor> t = HostTensorFromInt64(std::move(shape), values);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *std::move(t) : HostTensor();
}

std::vector<float> ToFloats(const HostTensor& t) {
  absl::StatusOr<std::vector<float>> v = HostTensorToFloats(t);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : std::vector<float>();
}

// Bitwise equality, so -0 vs 0 and NaN payloads count.
void ExpectSameBits(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(BitsOf(a[i]), BitsOf(b[i])) << "element " << i << ": " << a[i] << " vs " << b[i];
}

void ExpectSameFile(const SafetensorsFile& a, const SafetensorsFile& b) {
  ASSERT_EQ(a.Names(), b.Names());
  EXPECT_EQ(a.metadata(), b.metadata());
  for (size_t i = 0; i < a.size(); ++i) {
    const HostTensor& x = a.tensors()[i].second;
    const HostTensor& y = b.tensors()[i].second;
    EXPECT_EQ(x.dtype, y.dtype) << a.tensors()[i].first;
    EXPECT_EQ(x.shape, y.shape) << a.tensors()[i].first;
    EXPECT_EQ(x.data, y.data) << a.tensors()[i].first;
  }
}

// ---------------------------------------------------------------------------------------------
// Element conversions.

TEST(DTypeTest, NamesSizesAndParsing) {
  for (DType d : {DType::kF32, DType::kF16, DType::kBF16, DType::kI64}) {
    absl::StatusOr<DType> parsed = ParseDType(DTypeName(d));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, d);
  }
  EXPECT_EQ(DTypeName(DType::kBF16), "BF16");
  EXPECT_EQ(DTypeSize(DType::kF32), 4);
  EXPECT_EQ(DTypeSize(DType::kF16), 2);
  EXPECT_EQ(DTypeSize(DType::kBF16), 2);
  EXPECT_EQ(DTypeSize(DType::kI64), 8);

  absl::StatusOr<DType> unknown = ParseDType("F33");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("\"F33\""), std::string::npos) << unknown.status();
  absl::StatusOr<DType> unsupported = ParseDType("F64");
  EXPECT_EQ(unsupported.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(unsupported.status().message().find("\"F64\""), std::string::npos) << unsupported.status();
}

// Exact value of a binary16 pattern, computed independently of the code under test.
double HalfValue(uint16_t h) {
  const int sign = (h & 0x8000) ? -1 : 1;
  const int e = (h >> 10) & 0x1f;
  const int m = h & 0x3ff;
  if (e == 0) return sign * std::ldexp(static_cast<double>(m), -24);
  return sign * std::ldexp(static_cast<double>(1024 + m), e - 25);
}

TEST(HalfTest, KnownBitPatterns) {
  EXPECT_EQ(FloatToHalfBits(0.0f), 0x0000);
  EXPECT_EQ(FloatToHalfBits(-0.0f), 0x8000);
  EXPECT_EQ(FloatToHalfBits(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalfBits(-2.0f), 0xc000);
  EXPECT_EQ(FloatToHalfBits(65504.0f), 0x7bff);                  // largest finite
  EXPECT_EQ(FloatToHalfBits(std::ldexp(1.0f, -14)), 0x0400);     // smallest normal
  EXPECT_EQ(FloatToHalfBits(std::ldexp(1.0f, -24)), 0x0001);     // smallest subnormal
  EXPECT_EQ(FloatToHalfBits(std::ldexp(1023.0f, -24)), 0x03ff);  // largest subnormal
  EXPECT_EQ(FloatToHalfBits(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(FloatToHalfBits(-std::numeric_limits<float>::infinity()), 0xfc00);
  EXPECT_EQ(HalfBitsToFloat(0x3555), static_cast<float>(HalfValue(0x3555)));
  EXPECT_TRUE(std::isinf(HalfBitsToFloat(0x7c00)));
  EXPECT_TRUE(std::signbit(HalfBitsToFloat(0x8000)));
}

TEST(HalfTest, EveryPatternWidensExactlyAndNarrowsBack) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const float f = HalfBitsToFloat(static_cast<uint16_t>(h));
    const bool nan = ((h >> 10) & 0x1f) == 0x1f && (h & 0x3ff) != 0;
    if (nan) {
      EXPECT_TRUE(std::isnan(f)) << std::hex << h;
      EXPECT_EQ(std::signbit(f), (h & 0x8000) != 0) << std::hex << h;
      EXPECT_TRUE(std::isnan(HalfBitsToFloat(FloatToHalfBits(f)))) << std::hex << h;
      continue;
    }
    if (!std::isinf(f)) {
      ASSERT_EQ(static_cast<double>(f), HalfValue(static_cast<uint16_t>(h))) << std::hex << h;
    }
    ASSERT_EQ(FloatToHalfBits(f), h) << std::hex << h;
  }
}

TEST(HalfTest, RoundsToNearestEven) {
  const float one = 1.0f;
  // Halfway between 1 and the next half (ulp 2^-10): ties go to the even mantissa.
  EXPECT_EQ(FloatToHalfBits(one + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(FloatToHalfBits(one + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(FloatToHalfBits(one + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3c01);  // just above the tie
  EXPECT_EQ(FloatToHalfBits(one + std::ldexp(1.0f, -11) - std::ldexp(1.0f, -20)), 0x3c00);  // just below
  // Overflow: 65519 rounds down to 65504; 65520 (the tie with 65536) goes to infinity.
  EXPECT_EQ(FloatToHalfBits(65519.0f), 0x7bff);
  EXPECT_EQ(FloatToHalfBits(65520.0f), 0x7c00);
  EXPECT_EQ(FloatToHalfBits(1e10f), 0x7c00);
  EXPECT_EQ(FloatToHalfBits(-1e10f), 0xfc00);
  // Subnormal range (unit 2^-24).
  EXPECT_EQ(FloatToHalfBits(std::ldexp(1.0f, -25)), 0x0000);  // tie between 0 and 1: even is 0
  EXPECT_EQ(FloatToHalfBits(std::ldexp(1.0f, -25) + std::ldexp(1.0f, -40)), 0x0001);
  EXPECT_EQ(FloatToHalfBits(std::ldexp(3.0f, -25)), 0x0002);     // 1.5 units: tie, even is 2
  EXPECT_EQ(FloatToHalfBits(std::ldexp(5.0f, -25)), 0x0002);     // 2.5 units: tie, even is 2
  EXPECT_EQ(FloatToHalfBits(std::ldexp(2047.0f, -25)), 0x0400);  // 1023.5 units: carries into the smallest normal
  EXPECT_EQ(FloatToHalfBits(-std::ldexp(1.0f, -30)), 0x8000);    // underflow keeps the sign
  EXPECT_EQ(FloatToHalfBits(std::numeric_limits<float>::denorm_min()), 0x0000);
}

// Nearest-even against an oracle that knows nothing of bit tricks: the sorted list of finite
// half values and a plain nearest-neighbour search in double precision.
TEST(HalfTest, MatchesNearestEvenOracleOnRandomFloats) {
  std::vector<std::pair<double, uint16_t>> values;  // non-negative finite halves, ascending
  for (uint32_t h = 0; h < 0x7c00; ++h) values.emplace_back(HalfValue(static_cast<uint16_t>(h)), h);
  auto oracle = [&values](float f) -> uint16_t {
    const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
    const double a = std::fabs(static_cast<double>(f));
    if (a >= 65520.0) return sign | 0x7c00;
    auto hi = std::lower_bound(values.begin(), values.end(), std::make_pair(a, uint16_t{0}));
    if (hi == values.end()) return sign | 0x7bff;
    if (hi->first == a || hi == values.begin()) return sign | hi->second;
    auto lo = hi - 1;
    const double dl = a - lo->first, dh = hi->first - a;
    if (dl < dh) return sign | lo->second;
    if (dh < dl) return sign | hi->second;
    return sign | ((lo->second & 1) == 0 ? lo->second : hi->second);
  };
  std::mt19937 gen(7);
  for (int i = 0; i < 200000; ++i) {
    // Exponents spread over the half range and a bit beyond, random mantissas.
    const uint32_t exponent = 95 + gen() % 50;
    const uint32_t bits = (gen() & 0x80000000u) | (exponent << 23) | (gen() & 0x7fffffu);
    const float f = Bits(bits);
    ASSERT_EQ(FloatToHalfBits(f), oracle(f)) << std::hexfloat << f;
  }
  // Exact ties: a half value plus half its ulp.
  for (uint32_t h = 0; h < 0x7bff; h += 37) {
    const double mid = (HalfValue(static_cast<uint16_t>(h)) + HalfValue(static_cast<uint16_t>(h + 1))) / 2;
    const float f = static_cast<float>(mid);
    ASSERT_EQ(static_cast<double>(f), mid);  // representable in float
    ASSERT_EQ(FloatToHalfBits(f), oracle(f)) << std::hex << h;
    ASSERT_EQ(FloatToHalfBits(f) & 1, 0) << std::hex << h;
  }
}

TEST(HalfTest, NaNStaysNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(HalfBitsToFloat(FloatToHalfBits(nan))));
  EXPECT_TRUE(std::isnan(HalfBitsToFloat(FloatToHalfBits(-nan))));
  EXPECT_TRUE(std::signbit(HalfBitsToFloat(FloatToHalfBits(-nan))));
  // A NaN whose payload lives only in the low bits must not become infinity.
  const float low_payload_nan = Bits(0x7f800001u);
  ASSERT_TRUE(std::isnan(low_payload_nan));
  EXPECT_TRUE(std::isnan(HalfBitsToFloat(FloatToHalfBits(low_payload_nan))));
}

TEST(BFloat16Test, EveryPatternWidensExactlyAndNarrowsBack) {
  for (uint32_t b = 0; b <= 0xffff; ++b) {
    const float f = BFloat16BitsToFloat(static_cast<uint16_t>(b));
    ASSERT_EQ(BitsOf(f), b << 16);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(BFloat16BitsToFloat(FloatToBFloat16Bits(f)))) << std::hex << b;
      continue;
    }
    ASSERT_EQ(FloatToBFloat16Bits(f), b) << std::hex << b;
  }
}

TEST(BFloat16Test, RoundsToNearestEven) {
  EXPECT_EQ(FloatToBFloat16Bits(1.0f), 0x3f80);
  EXPECT_EQ(FloatToBFloat16Bits(1.0f + std::ldexp(1.0f, -8)), 0x3f80);      // tie, even below
  EXPECT_EQ(FloatToBFloat16Bits(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);  // tie, even above
  EXPECT_EQ(FloatToBFloat16Bits(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)), 0x3f81);
  EXPECT_EQ(FloatToBFloat16Bits(std::numeric_limits<float>::max()), 0x7f80);  // rounds to infinity
  EXPECT_EQ(FloatToBFloat16Bits(-std::numeric_limits<float>::infinity()), 0xff80);
  EXPECT_EQ(FloatToBFloat16Bits(-0.0f), 0x8000);
  // Subnormals: bfloat16 shares float32's exponent, so they round like everything else.
  EXPECT_EQ(FloatToBFloat16Bits(Bits(0x00018000u)), 0x0002);  // tie 1.5 -> 2
  EXPECT_EQ(FloatToBFloat16Bits(Bits(0x00008000u)), 0x0000);  // tie 0.5 -> 0
  EXPECT_EQ(FloatToBFloat16Bits(Bits(0x00008001u)), 0x0001);
  EXPECT_EQ(FloatToBFloat16Bits(Bits(0x007fffffu)), 0x0080);  // carries into the smallest normal
  // Random floats against a direct statement of nearest-even on the top 16 bits.
  std::mt19937 gen(11);
  for (int i = 0; i < 200000; ++i) {
    const uint32_t u = gen();
    if ((u & 0x7fffffffu) > 0x7f800000u) continue;  // NaN
    const uint32_t lo = u & 0xffffu;
    uint32_t expected = u >> 16;
    if (lo > 0x8000u || (lo == 0x8000u && (expected & 1u))) ++expected;
    ASSERT_EQ(FloatToBFloat16Bits(Bits(u)), expected) << std::hex << u;
  }
}

TEST(BFloat16Test, NaNStaysNaN) {
  // Truncating 0x7f800001 would give 0x7f80, infinity.
  EXPECT_TRUE(std::isnan(BFloat16BitsToFloat(FloatToBFloat16Bits(Bits(0x7f800001u)))));
  EXPECT_TRUE(std::isnan(BFloat16BitsToFloat(FloatToBFloat16Bits(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_TRUE(std::signbit(BFloat16BitsToFloat(FloatToBFloat16Bits(Bits(0xffc00000u)))));
}

// ---------------------------------------------------------------------------------------------
// HostTensor and SafetensorsFile.

TEST(HostTensorTest, LayoutIsLittleEndianRowMajor) {
  HostTensor f32 = Floats(DType::kF32, {2}, {1.0f, -2.0f});
  EXPECT_EQ(f32.data, (std::vector<uint8_t>{0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0}));
  HostTensor f16 = Floats(DType::kF16, {2}, {1.0f, -2.0f});
  EXPECT_EQ(f16.data, (std::vector<uint8_t>{0x00, 0x3c, 0x00, 0xc0}));
  HostTensor bf16 = Floats(DType::kBF16, {1}, {1.0f});
  EXPECT_EQ(bf16.data, (std::vector<uint8_t>{0x80, 0x3f}));
  HostTensor i64 = Ints({2}, {1, -2});
  EXPECT_EQ(i64.data, (std::vector<uint8_t>{1, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
}

TEST(HostTensorTest, ConversionErrors) {
  EXPECT_EQ(HostTensorFromFloats(DType::kF32, {2, 3}, std::vector<float>(5)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HostTensorFromFloats(DType::kI64, {1}, std::vector<float>(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<HostTensor> negative = HostTensorFromFloats(DType::kF32, {2, -1}, {});
  EXPECT_NE(negative.status().message().find("negative"), std::string::npos) << negative.status();
  EXPECT_EQ(HostTensorFromInt64({3}, std::vector<int64_t>(2)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HostTensorToFloats(Ints({1}, {5})).status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::vector<int64_t>> not_int = HostTensorToInt64(Floats(DType::kBF16, {1}, {1.0f}));
  EXPECT_NE(not_int.status().message().find("BF16"), std::string::npos) << not_int.status();
  HostTensor broken = Floats(DType::kF32, {2}, {1.0f, 2.0f});
  broken.data.pop_back();
  EXPECT_EQ(HostTensorToFloats(broken).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HostTensorTest, ScalarsAndEmptyTensors) {
  HostTensor scalar = Floats(DType::kF32, {}, {3.5f});
  EXPECT_EQ(NumElements(scalar), 1);
  EXPECT_EQ(scalar.data.size(), 4u);
  HostTensor empty = Floats(DType::kF16, {4, 0, 3}, {});
  EXPECT_EQ(NumElements(empty), 0);
  EXPECT_TRUE(empty.data.empty());
  EXPECT_TRUE(ToFloats(empty).empty());
}

TEST(SafetensorsFileTest, AddFindTakeAndOrder) {
  SafetensorsFile file;
  ASSERT_TRUE(file.Add("z", Floats(DType::kF32, {1}, {1})).ok());
  ASSERT_TRUE(file.Add("a", Floats(DType::kF32, {1}, {2})).ok());
  ASSERT_TRUE(file.Add("m", Floats(DType::kF32, {1}, {3})).ok());
  EXPECT_EQ(file.Names(), (std::vector<std::string>{"z", "a", "m"}));

  absl::Status dup = file.Add("a", Floats(DType::kF32, {1}, {9}));
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(dup.message().find("\"a\""), std::string::npos) << dup;
  EXPECT_EQ(file.Add("__metadata__", Floats(DType::kF32, {1}, {1})).code(), absl::StatusCode::kInvalidArgument);
  HostTensor bad = Floats(DType::kF32, {2}, {1, 2});
  bad.shape = {3};
  absl::Status bad_status = file.Add("bad", bad);
  EXPECT_NE(bad_status.message().find("\"bad\""), std::string::npos) << bad_status;

  EXPECT_TRUE(file.Contains("m"));
  EXPECT_EQ(file.Find("nope"), nullptr);
  absl::StatusOr<const HostTensor*> missing = file.Get("nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("\"nope\""), std::string::npos);

  absl::StatusOr<HostTensor> taken = file.Take("a");
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(ToFloats(*taken), std::vector<float>{2});
  EXPECT_EQ(file.Names(), (std::vector<std::string>{"z", "m"}));
  ASSERT_NE(file.Find("m"), nullptr);
  EXPECT_EQ(ToFloats(*file.Find("m")), std::vector<float>{3});
  ASSERT_TRUE(file.Add("a", Floats(DType::kF32, {1}, {4})).ok());  // the name is free again
  EXPECT_EQ(file.Names(), (std::vector<std::string>{"z", "m", "a"}));

  SafetensorsFile copy = file.Clone();
  ExpectSameFile(file, copy);
}

// ---------------------------------------------------------------------------------------------
// Round trips.

SafetensorsFile EveryDTypeFile() {
  SafetensorsFile file;
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(file.Add("f32", Floats(DType::kF32, {2, 3}, {1.5f, -0.0f, 3.4e38f, 1e-45f, -inf, 0.1f})).ok());
  // Values exactly representable in F16 / BF16, including subnormals and infinities.
  EXPECT_TRUE(
      file.Add("f16", Floats(DType::kF16, {6},
                             {1.0f, -65504.0f, std::ldexp(1.0f, -24), std::ldexp(1023.0f, -24), inf, 0.333251953125f}))
          .ok());
  EXPECT_TRUE(
      file.Add("bf16", Floats(DType::kBF16, {2, 2}, {1.0f, -3.3895313892515355e38f, Bits(0x00010000u), -inf})).ok());
  EXPECT_TRUE(
      file.Add("i64", Ints({3}, {std::numeric_limits<int64_t>::min(), -1, std::numeric_limits<int64_t>::max()})).ok());
  EXPECT_TRUE(file.Add("scalar", Floats(DType::kF32, {}, {42.0f})).ok());
  EXPECT_TRUE(file.Add("scalar_i64", Ints({}, {7})).ok());
  EXPECT_TRUE(file.Add("empty_f16", Floats(DType::kF16, {0, 5}, {})).ok());
  EXPECT_TRUE(file.Add("empty_i64", Ints({3, 0}, {})).ok());
  EXPECT_TRUE(file.Add("empty_bf16", Floats(DType::kBF16, {0}, {})).ok());
  return file;
}

TEST(SafetensorsRoundTripTest, EveryDTypeThroughAFile) {
  const std::string path = FreshDir() + "/every.safetensors";
  SafetensorsFile file = EveryDTypeFile();
  file.mutable_metadata()["format"] = "pt";
  ASSERT_TRUE(WriteSafetensors(file, path, /*overwrite=*/false).ok());
  absl::StatusOr<SafetensorsFile> read = ReadSafetensors(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ExpectSameFile(file, *read);

  const float inf = std::numeric_limits<float>::infinity();
  ExpectSameBits(ToFloats(*read->Find("f32")), {1.5f, -0.0f, 3.4e38f, 1e-45f, -inf, 0.1f});
  ExpectSameBits(ToFloats(*read->Find("f16")),
                 {1.0f, -65504.0f, std::ldexp(1.0f, -24), std::ldexp(1023.0f, -24), inf, 0.333251953125f});
  ExpectSameBits(ToFloats(*read->Find("bf16")), {1.0f, -3.3895313892515355e38f, Bits(0x00010000u), -inf});
  absl::StatusOr<std::vector<int64_t>> ints = HostTensorToInt64(*read->Find("i64"));
  ASSERT_TRUE(ints.ok());
  EXPECT_EQ(*ints,
            (std::vector<int64_t>{std::numeric_limits<int64_t>::min(), -1, std::numeric_limits<int64_t>::max()}));
  EXPECT_EQ(read->Find("scalar")->shape, std::vector<int64_t>{});
  EXPECT_EQ(ToFloats(*read->Find("scalar")), std::vector<float>{42.0f});
  EXPECT_EQ(read->Find("empty_f16")->shape, (std::vector<int64_t>{0, 5}));
  EXPECT_EQ(read->Find("empty_i64")->shape, (std::vector<int64_t>{3, 0}));
  EXPECT_TRUE(read->Find("empty_i64")->data.empty());

  // The same bytes through the in-memory path.
  absl::StatusOr<std::string> bytes = SerializeSafetensors(file);
  ASSERT_TRUE(bytes.ok());
  absl::StatusOr<std::string> on_disk = ReadFile(path);
  ASSERT_TRUE(on_disk.ok());
  EXPECT_EQ(*bytes, *on_disk);
  absl::StatusOr<SafetensorsFile> parsed = ParseSafetensors(*bytes, "memory");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ExpectSameFile(file, *parsed);
}

TEST(SafetensorsRoundTripTest, NonRepresentableValuesRoundToNearestEven) {
  const float tie16 = 1.0f + std::ldexp(1.0f, -11);        // F16: tie -> 1.0
  const float above16 = 1.0f + 3 * std::ldexp(1.0f, -11);  // F16: tie -> 1 + 2^-9
  const float tie_bf = 1.0f + 3 * std::ldexp(1.0f, -8);    // BF16: tie -> 1 + 2^-6
  SafetensorsFile file;
  ASSERT_TRUE(file.Add("h", Floats(DType::kF16, {4}, {tie16, above16, 0.1f, 70000.0f})).ok());
  ASSERT_TRUE(file.Add("b", Floats(DType::kBF16, {2}, {tie_bf, 0.1f})).ok());
  absl::StatusOr<std::string> bytes = SerializeSafetensors(file);
  ASSERT_TRUE(bytes.ok());
  absl::StatusOr<SafetensorsFile> read = ParseSafetensors(*bytes, "memory");
  ASSERT_TRUE(read.ok()) << read.status();
  // 0.1 -> F16 0x2e66 = 0.0999755859375; BF16 0x3dcd = 0.10009765625.
  ExpectSameBits(ToFloats(*read->Find("h")),
                 {1.0f, 1.0f + std::ldexp(1.0f, -9), 0.0999755859375f, std::numeric_limits<float>::infinity()});
  ExpectSameBits(ToFloats(*read->Find("b")), {1.0f + std::ldexp(1.0f, -6), 0.10009765625f});
}

TEST(SafetensorsRoundTripTest, MetadataRoundTrips) {
  SafetensorsFile file;
  file.mutable_metadata()["format"] = "pt";
  file.mutable_metadata()["note"] = "quotes \" backslash \\ newline \n unicode \xc3\xa9";
  file.mutable_metadata()["empty"] = "";
  ASSERT_TRUE(file.Add("w", Floats(DType::kF32, {1}, {1})).ok());
  absl::StatusOr<std::string> bytes = SerializeSafetensors(file);
  ASSERT_TRUE(bytes.ok());
  absl::StatusOr<SafetensorsFile> read = ParseSafetensors(*bytes, "memory");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->metadata(), file.metadata());

  // A file with only metadata and no tensors is valid too.
  SafetensorsFile only_metadata;
  only_metadata.mutable_metadata()["k"] = "v";
  bytes = SerializeSafetensors(only_metadata);
  ASSERT_TRUE(bytes.ok());
  read = ParseSafetensors(*bytes, "memory");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->empty());
  EXPECT_EQ(read->metadata(), only_metadata.metadata());
}

TEST(SafetensorsRoundTripTest, EmptyFile) {
  absl::StatusOr<std::string> bytes = SerializeSafetensors(SafetensorsFile());
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, RawFile("{}      ", ""));
  absl::StatusOr<SafetensorsFile> read = ParseSafetensors(*bytes, "memory");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->empty());
}

TEST(SafetensorsFormatTest, HeaderIsPaddedWithSpacesToEightBytes) {
  for (int length = 1; length <= 17; ++length) {
    SafetensorsFile file;
    ASSERT_TRUE(file.Add(std::string(length, 'x'), Floats(DType::kF16, {3}, {1, 2, 3})).ok());
    absl::StatusOr<std::string> bytes = SerializeSafetensors(file);
    ASSERT_TRUE(bytes.ok());
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<uint8_t>((*bytes)[i])) << (8 * i);
    EXPECT_EQ(n % 8, 0u) << length;
    ASSERT_EQ(bytes->size(), 8 + n + 6);
    const std::string header = bytes->substr(8, n);
    const size_t close = header.rfind('}');
    ASSERT_NE(close, std::string::npos);
    EXPECT_LT(header.size() - close - 1, 8u);
    EXPECT_EQ(header.substr(close + 1), std::string(header.size() - close - 1, ' ')) << length;
  }
}

TEST(SafetensorsFormatTest, ExactBytesOfATinyFile) {
  SafetensorsFile file;
  ASSERT_TRUE(file.Add("a", Floats(DType::kF32, {2}, {1.0f, -2.0f})).ok());
  ASSERT_TRUE(file.Add("b", Ints({}, {258})).ok());
  absl::StatusOr<std::string> bytes = SerializeSafetensors(file);
  ASSERT_TRUE(bytes.ok());

  // The JSON the spec implies: no whitespace, tensors in order with offsets relative to the
  // buffer, then spaces up to a multiple of 8 (107 -> 112 bytes).
  const std::string json =
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
      "\"b\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}";
  ASSERT_EQ(json.size(), 107u);
  std::string expected;
  expected += std::string("\x70\0\0\0\0\0\0\0", 8);  // 112 = 107 + 5 spaces
  expected += json + "     ";
  expected += std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);  // 1.0f, -2.0f
  expected += std::string("\x02\x01\0\0\0\0\0\0", 8);              // 258
  EXPECT_EQ(*bytes, expected);

  // With metadata, "__metadata__" comes first.
  file.mutable_metadata()["format"] = "pt";
  bytes = SerializeSafetensors(file);
  ASSERT_TRUE(bytes.ok());
  const std::string with_metadata = "{\"__metadata__\":{\"format\":\"pt\"}," + json.substr(1);
  ASSERT_EQ(with_metadata.size(), 138u);  // -> 144 with 6 spaces
  EXPECT_EQ(bytes->substr(0, 8), std::string("\x90\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(bytes->substr(8, 144), with_metadata + "      ");
  EXPECT_EQ(bytes->substr(152), expected.substr(8 + 112));
}

TEST(SafetensorsFormatTest, ReadsHeaderOrderNotOffsetOrder) {
  // Tensors listed in the header in a different order from their data; the reader keeps the
  // header's order and finds each at its offsets.
  const std::string header =
      "{\"second\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
      "\"first\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
  const std::string data("\x00\x00\x80\x3f\x00\x00\x00\x40", 8);  // 1.0f, 2.0f
  absl::StatusOr<SafetensorsFile> read = ParseSafetensors(RawFile(header, data), "memory");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->Names(), (std::vector<std::string>{"second", "first"}));
  EXPECT_EQ(ToFloats(*read->Find("first")), std::vector<float>{1.0f});
  EXPECT_EQ(ToFloats(*read->Find("second")), std::vector<float>{2.0f});
}

TEST(SafetensorsFormatTest, IgnoresUnknownEntryKeys) {
  const std::string header = "{\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2],\"extra\":[1]}}";
  absl::StatusOr<SafetensorsFile> read = ParseSafetensors(RawFile(header, std::string("\x00\x3c", 2)), "memory");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(ToFloats(*read->Find("a")), std::vector<float>{1.0f});
}

TEST(SafetensorsFormatTest, AcceptsMinusZeroAndLeadingWhitespace) {
  // "-0" is a valid JSON integer equal to 0; the padding may precede the JSON as well.
  const std::string header = "  {\"a\":" + Entry("\"BF16\"", "[-0, 2]", "[0, 0]") + "}  ";
  absl::StatusOr<SafetensorsFile> read = ParseSafetensors(RawFile(header, ""), "memory");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->Find("a")->shape, (std::vector<int64_t>{0, 2}));
}

TEST(SafetensorsWriteTest, RefusesToOverwriteUnlessAsked) {
  const std::string path = FreshDir() + "/model.safetensors";
  SafetensorsFile file = EveryDTypeFile();
  ASSERT_TRUE(WriteSafetensors(file, path, false).ok());
  SafetensorsFile other;
  ASSERT_TRUE(other.Add("x", Floats(DType::kF32, {1}, {1})).ok());
  absl::Status s = WriteSafetensors(other, path, false);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find(path), std::string::npos) << s;
  absl::StatusOr<SafetensorsFile> read = ReadSafetensors(path);
  ASSERT_TRUE(read.ok());
  ExpectSameFile(file, *read);

  ASSERT_TRUE(WriteSafetensors(other, path, true).ok());
  read = ReadSafetensors(path);
  ASSERT_TRUE(read.ok());
  ExpectSameFile(other, *read);
}

TEST(SafetensorsWriteTest, RefusesTensorsChangedIntoInconsistency) {
  SafetensorsFile file;
  ASSERT_TRUE(file.Add("w", Floats(DType::kF32, {2}, {1, 2})).ok());
  file.FindMutable("w")->shape = {3};
  absl::StatusOr<std::string> bytes = SerializeSafetensors(file);
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bytes.status().message().find("\"w\""), std::string::npos) << bytes.status();
}

TEST(SafetensorsWriteTest, RefusesNamesThatAreNotUtf8) {
  SafetensorsFile file;
  ASSERT_TRUE(file.Add("bad\xff", Floats(DType::kF32, {1}, {1})).ok());
  EXPECT_EQ(SerializeSafetensors(file).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Sharded checkpoints.

class ShardedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDir();
    SafetensorsFile shard1;
    ASSERT_TRUE(shard1.Add("a", Floats(DType::kBF16, {2}, {1, 2})).ok());
    ASSERT_TRUE(shard1.Add("b", Ints({1}, {5})).ok());
    shard1.mutable_metadata()["format"] = "pt";
    SafetensorsFile shard2;
    ASSERT_TRUE(shard2.Add("c", Floats(DType::kF32, {2, 1}, {3, 4})).ok());
    shard2.mutable_metadata()["format"] = "other";
    shard2.mutable_metadata()["only2"] = "x";
    ASSERT_TRUE(WriteSafetensors(shard1, dir_ + "/" + kShard1, false).ok());
    ASSERT_TRUE(WriteSafetensors(shard2, dir_ + "/" + kShard2, false).ok());
  }

  void WriteIndex(const std::string& weight_map) {
    const std::string json = "{\"metadata\": {\"total_size\": 20},\n \"weight_map\": " + weight_map + "}\n";
    ASSERT_TRUE(WriteFileAtomically(dir_ + "/model.safetensors.index.json", json, true).ok());
  }

  std::string GoodWeightMap() const {
    return absl::StrCat("{\"a\": \"", kShard1, "\", \"c\": \"", kShard2, "\", \"b\": \"", kShard1, "\"}");
  }

  static constexpr char kShard1[] = "model-00001-of-00002.safetensors";
  static constexpr char kShard2[] = "model-00002-of-00002.safetensors";
  std::string dir_;
};

TEST_F(ShardedTest, ReadsFromDirectoryAndIndexPath) {
  WriteIndex(GoodWeightMap());
  for (const std::string& path : {dir_, dir_ + "/model.safetensors.index.json"}) {
    absl::StatusOr<SafetensorsFile> read = ReadShardedSafetensors(path);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->Names(), (std::vector<std::string>{"a", "c", "b"}));  // weight_map order
    EXPECT_EQ(ToFloats(*read->Find("a")), (std::vector<float>{1, 2}));
    EXPECT_EQ(read->Find("c")->shape, (std::vector<int64_t>{2, 1}));
    EXPECT_EQ(ToFloats(*read->Find("c")), (std::vector<float>{3, 4}));
    EXPECT_EQ(*HostTensorToInt64(*read->Find("b")), std::vector<int64_t>{5});
    // Shard metadata merged, the first shard winning on conflicts.
    EXPECT_EQ(read->metadata(), (std::map<std::string, std::string>{{"format", "pt"}, {"only2", "x"}}));
  }
}

TEST_F(ShardedTest, LoadCheckpointUsesIndexWithoutSingleFile) {
  WriteIndex(GoodWeightMap());
  absl::StatusOr<SafetensorsFile> read = LoadCheckpoint(dir_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->Names(), (std::vector<std::string>{"a", "c", "b"}));
}

TEST_F(ShardedTest, LoadCheckpointPrefersSingleFile) {
  WriteIndex(GoodWeightMap());
  SafetensorsFile single;
  ASSERT_TRUE(single.Add("only", Floats(DType::kF32, {1}, {9})).ok());
  ASSERT_TRUE(WriteSafetensors(single, dir_ + "/model.safetensors", false).ok());
  absl::StatusOr<SafetensorsFile> read = LoadCheckpoint(dir_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->Names(), std::vector<std::string>{"only"});
}

TEST(LoadCheckpointTest, EmptyDirectoryIsNotFound) {
  const std::string dir = FreshDir();
  absl::StatusOr<SafetensorsFile> read = LoadCheckpoint(dir);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find("model.safetensors.index.json"), std::string::npos) << read.status();
  EXPECT_NE(read.status().message().find(dir), std::string::npos) << read.status();
}

TEST_F(ShardedTest, MissingShardIsNamed) {
  WriteIndex(absl::StrCat("{\"a\": \"", kShard1, "\", \"b\": \"", kShard1, "\", \"c\": \"", kShard2,
                          "\", \"d\": \"model-00003-of-00003.safetensors\"}"));
  absl::StatusOr<SafetensorsFile> read = ReadShardedSafetensors(dir_);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound) << read.status();
  EXPECT_NE(read.status().message().find("model-00003-of-00003.safetensors"), std::string::npos) << read.status();
  EXPECT_NE(read.status().message().find("\"d\""), std::string::npos) << read.status();
}

TEST_F(ShardedTest, TensorMissingFromItsShardIsNamed) {
  WriteIndex(absl::StrCat("{\"a\": \"", kShard1, "\", \"b\": \"", kShard1, "\", \"c\": \"", kShard2,
                          "\", \"ghost\": \"", kShard2, "\"}"));
  absl::StatusOr<SafetensorsFile> read = ReadShardedSafetensors(dir_);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound) << read.status();
  EXPECT_NE(read.status().message().find("\"ghost\""), std::string::npos) << read.status();
  EXPECT_NE(read.status().message().find(kShard2), std::string::npos) << read.status();
}

TEST_F(ShardedTest, TensorTheIndexDoesNotAssignIsNamed) {
  WriteIndex(absl::StrCat("{\"a\": \"", kShard1, "\", \"c\": \"", kShard2, "\"}"));  // "b" unlisted
  absl::StatusOr<SafetensorsFile> read = ReadShardedSafetensors(dir_);
  EXPECT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("\"b\""), std::string::npos) << read.status();
}

TEST_F(ShardedTest, TensorAssignedToTheWrongShardIsNamed) {
  WriteIndex(absl::StrCat("{\"a\": \"", kShard1, "\", \"b\": \"", kShard2, "\", \"c\": \"", kShard2, "\"}"));
  absl::StatusOr<SafetensorsFile> read = ReadShardedSafetensors(dir_);
  EXPECT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("\"b\""), std::string::npos) << read.status();
}

TEST_F(ShardedTest, MalformedIndexes) {
  struct Case {
    std::string json;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"{\"weight_map\": ", "not valid JSON"},          {"[1, 2]", "must be a JSON object"},
      {"{\"metadata\": {}}", "missing \"weight_map\""}, {"{\"weight_map\": [1]}", "\"weight_map\" must be an object"},
      {"{\"weight_map\": {\"a\": 3}}", "tensor \"a\""}, {"{\"weight_map\": {}}", "\"weight_map\" is empty"},
  };
  for (const Case& c : cases) {
    const std::string index = dir_ + "/model.safetensors.index.json";
    ASSERT_TRUE(WriteFileAtomically(index, c.json, true).ok());
    absl::StatusOr<SafetensorsFile> read = ReadShardedSafetensors(dir_);
    EXPECT_FALSE(read.ok()) << c.json;
    EXPECT_NE(read.status().message().find(c.expected), std::string::npos) << c.json << " -> " << read.status();
    EXPECT_NE(read.status().message().find(index), std::string::npos) << read.status();
  }
}

TEST(ShardedIndexTest, MissingIndexIsNotFound) {
  const std::string dir = FreshDir();
  absl::StatusOr<SafetensorsFile> read = ReadShardedSafetensors(dir);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find("model.safetensors.index.json"), std::string::npos) << read.status();
}

// ---------------------------------------------------------------------------------------------
// Corruption: every malformed file is refused, through both the in-memory and the file reader,
// with a message that carries the detail needed to find the problem.

struct CorruptCase {
  std::string name;
  std::string bytes;
  std::vector<std::string> expected;  // substrings of the message
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
};

std::vector<CorruptCase> CorruptCases() {
  const std::string eight(8, '\x01');
  const std::string good = "{\"a\":" + Entry("\"F32\"", "[2]", "[0,8]") + "}";
  std::vector<CorruptCase> cases = {
      {"Empty", "", {"0 bytes", "too short"}},
      {"FiveBytes", "12345", {"5 bytes", "too short"}},
      {"HeaderLongerThanFile",
       RawFile(good, eight).substr(0, 8) + good.substr(0, 10),
       {"header length 54", "exceeds the 10 bytes"}},
      {"HugeHeaderLength",
       std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + good,
       {"header length 9223372036854775807"}},
      {"TruncatedData",
       RawFile(good, eight).substr(0, 8 + good.size() + 5),
       {"tensor \"a\"", "[0, 8]", "5-byte data buffer"}},
      {"NotJson", RawFile("{\"a\": {", ""), {"not valid JSON"}},
      {"EmptyHeader", RawFile("", ""), {"not valid JSON"}},
      {"InvalidUtf8", RawFile("{\"a\xff\":{}}", ""), {"not valid JSON"}},
      {"HeaderIsArray", RawFile("[1,2]   ", ""), {"header must be a JSON object", "array"}},
      {"EntryNotObject", RawFile("{\"a\":5}", ""), {"tensor \"a\"", "must be a JSON object", "number"}},
      {"MissingDtype",
       RawFile("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", eight),
       {"tensor \"a\"", "missing \"dtype\""}},
      {"MissingShape",
       RawFile("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", eight),
       {"tensor \"a\"", "missing \"shape\""}},
      {"MissingOffsets",
       RawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", eight),
       {"tensor \"a\"", "missing \"data_offsets\""}},
      {"DtypeNotString",
       RawFile("{\"a\":" + Entry("4", "[2]", "[0,8]") + "}", eight),
       {"tensor \"a\"", "\"dtype\" must be a string"}},
      {"ShapeNotArray",
       RawFile("{\"a\":" + Entry("\"F32\"", "\"2\"", "[0,8]") + "}", eight),
       {"tensor \"a\"", "\"shape\" must be an array", "string"}},
      {"ShapeFloat",
       RawFile("{\"a\":" + Entry("\"F32\"", "[2.5]", "[0,8]") + "}", eight),
       {"tensor \"a\"", "shape[0]", "2.5"}},
      {"ShapeString",
       RawFile("{\"a\":" + Entry("\"F32\"", "[2,\"x\"]", "[0,8]") + "}", eight),
       {"tensor \"a\"", "shape[1]", "string"}},
      {"NegativeDim",
       RawFile("{\"a\":" + Entry("\"F32\"", "[-2]", "[0,8]") + "}", eight),
       {"tensor \"a\"", "shape[0] is negative (-2)"}},
      {"DimTooLarge",
       RawFile("{\"a\":" + Entry("\"F32\"", "[18446744073709551615]", "[0,8]") + "}", eight),
       {"tensor \"a\"", "shape[0]", "larger than"}},
      {"ShapeOverflow",
       RawFile("{\"a\":" + Entry("\"F32\"", "[4611686018427387904,4]", "[0,8]") + "}", eight),
       {"tensor \"a\"", "exceeds 2^63 - 1 bytes"}},
      {"UnknownDtype",
       RawFile("{\"a\":" + Entry("\"F33\"", "[2]", "[0,8]") + "}", eight),
       {"tensor \"a\"", "unknown dtype \"F33\""}},
      {"UnsupportedDtype",
       RawFile("{\"a\":" + Entry("\"F64\"", "[1]", "[0,8]") + "}", eight),
       {"tensor \"a\"", "\"F64\"", "not supported"},
       absl::StatusCode::kUnimplemented},
      {"OffsetsNotArray",
       RawFile("{\"a\":" + Entry("\"F32\"", "[2]", "8") + "}", eight),
       {"tensor \"a\"", "\"data_offsets\" must be an array"}},
      {"OffsetsWrongLength",
       RawFile("{\"a\":" + Entry("\"F32\"", "[2]", "[0,8,16]") + "}", eight),
       {"tensor \"a\"", "[0,8,16]"}},
      {"OffsetNegative",
       RawFile("{\"a\":" + Entry("\"F32\"", "[2]", "[-8,0]") + "}", eight),
       {"tensor \"a\"", "data_offsets begin is negative"}},
      {"OffsetNotInteger",
       RawFile("{\"a\":" + Entry("\"F32\"", "[2]", "[0,\"8\"]") + "}", eight),
       {"tensor \"a\"", "data_offsets end", "string"}},
      {"BeginAfterEnd",
       RawFile("{\"a\":" + Entry("\"F32\"", "[0]", "[8,0]") + "}", eight),
       {"tensor \"a\"", "[8, 0]", "begin > end"}},
      {"OffsetsOutOfRange",
       RawFile("{\"a\":" + Entry("\"F32\"", "[4]", "[0,16]") + "}", eight),
       {"tensor \"a\"", "[0, 16]", "8-byte data buffer"}},
      {"SizeMismatch",
       RawFile("{\"a\":" + Entry("\"F32\"", "[3]", "[0,8]") + "}", eight),
       {"tensor \"a\"", "span 8 bytes", "shape [3] of F32 needs 12"}},
      {"SizeMismatchF16",
       RawFile("{\"a\":" + Entry("\"F16\"", "[2,3]", "[0,8]") + "}", eight),
       {"tensor \"a\"", "shape [2, 3] of F16 needs 12"}},
      {"Overlap",
       RawFile("{\"a\":" + Entry("\"F32\"", "[2]", "[0,8]") + ",\"b\":" + Entry("\"F32\"", "[2]", "[4,12]") + "}",
               std::string(12, 'x')),
       {"tensor \"b\"", "[4, 12]", "overlap tensor \"a\" [0, 8]"}},
      {"Gap",
       RawFile("{\"a\":" + Entry("\"F32\"", "[1]", "[0,4]") + ",\"b\":" + Entry("\"F32\"", "[1]", "[8,12]") + "}",
               std::string(12, 'x')),
       {"tensor \"b\"", "bytes [4, 8)", "unused"}},
      {"TrailingBytes", RawFile(good, eight + "xyz"), {"cover 8 bytes of the 11-byte data buffer"}},
      {"DuplicateName",
       RawFile("{\"a\":" + Entry("\"F32\"", "[1]", "[0,4]") + ",\"a\":" + Entry("\"F32\"", "[1]", "[4,8]") + "}",
               eight),
       {"duplicate tensor name \"a\""}},
      {"DuplicateEntryKey",
       RawFile("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight),
       {"tensor \"a\"", "duplicate key \"dtype\""}},
      {"EscapedNameInMessage",
       RawFile("{\"a\\n\\\"b\":" + Entry("\"F32\"", "[3]", "[0,8]") + "}", eight),
       {"tensor \"a\\x0a\\\"b\"", "needs 12"}},
      {"DuplicateMetadataKey",
       RawFile("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", ""),
       {"\"__metadata__\": duplicate key \"k\""}},
      {"MetadataNotObject", RawFile("{\"__metadata__\":[\"x\"]}", ""), {"\"__metadata__\" must be an object", "array"}},
      {"MetadataValueNotString",
       RawFile("{\"__metadata__\":{\"format\":\"pt\",\"total\":5}}", ""),
       {"\"__metadata__\"", "\"total\"", "must be a string", "number"}},
  };
  return cases;
}

TEST(SafetensorsCorruptionTest, InMemoryReaderRefusesWithDetail) {
  for (const CorruptCase& c : CorruptCases()) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<SafetensorsFile> read = ParseSafetensors(c.bytes, "corrupt.safetensors");
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.status().code(), c.code) << read.status();
    const std::string message(read.status().message());
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;  // one line
    EXPECT_NE(message.find("corrupt.safetensors"), std::string::npos) << message;
    for (const std::string& expected : c.expected) {
      EXPECT_NE(message.find(expected), std::string::npos) << "missing \"" << expected << "\" in: " << message;
    }
  }
}

TEST(SafetensorsCorruptionTest, FileReaderRefusesWithDetail) {
  const std::string dir = FreshDir();
  for (const CorruptCase& c : CorruptCases()) {
    SCOPED_TRACE(c.name);
    const std::string path = dir + "/" + c.name + ".safetensors";
    ASSERT_TRUE(WriteFileAtomically(path, c.bytes, false).ok());
    absl::StatusOr<SafetensorsFile> read = ReadSafetensors(path);
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.status().code(), c.code) << read.status();
    const std::string message(read.status().message());
    EXPECT_NE(message.find(path), std::string::npos) << message;
    for (const std::string& expected : c.expected) {
      EXPECT_NE(message.find(expected), std::string::npos) << "missing \"" << expected << "\" in: " << message;
    }
  }
}

TEST(SafetensorsCorruptionTest, EveryTruncationOfAValidFileIsRefused) {
  SafetensorsFile file = EveryDTypeFile();
  absl::StatusOr<std::string> bytes = SerializeSafetensors(file);
  ASSERT_TRUE(bytes.ok());
  for (size_t length = 0; length < bytes->size(); ++length) {
    EXPECT_FALSE(ParseSafetensors(bytes->substr(0, length), "cut").ok()) << length;
  }
  EXPECT_TRUE(ParseSafetensors(*bytes, "whole").ok());
}

TEST(SafetensorsCorruptionTest, SingleByteChangesNeverYieldInvalidTensors) {
  // Every byte of a small file replaced by a few troublesome values: the reader may accept the
  // result (e.g. a changed data byte) but must never crash or return an inconsistent tensor.
  SafetensorsFile file;
  ASSERT_TRUE(file.Add("w", Floats(DType::kF16, {2, 2}, {1, 2, 3, 4})).ok());
  ASSERT_TRUE(file.Add("i", Ints({1}, {3})).ok());
  file.mutable_metadata()["format"] = "pt";
  absl::StatusOr<std::string> bytes = SerializeSafetensors(file);
  ASSERT_TRUE(bytes.ok());
  int accepted = 0;
  for (size_t pos = 0; pos < bytes->size(); ++pos) {
    for (char value : {'\0', '\xff', '"', '[', '9', '-', ' ', '}'}) {
      std::string mutated = *bytes;
      if (mutated[pos] == value) continue;
      mutated[pos] = value;
      absl::StatusOr<SafetensorsFile> read = ParseSafetensors(mutated, "mutated");
      if (!read.ok()) continue;
      ++accepted;
      for (const auto& [name, tensor] : read->tensors()) EXPECT_TRUE(ValidateHostTensor(tensor).ok()) << pos;
    }
  }
  EXPECT_GT(accepted, 0);  // data bytes and metadata values can change harmlessly
}

TEST(SafetensorsCorruptionTest, ZeroSizeTensorsMayShareAnOffset) {
  const std::string header = "{\"e\":" + Entry("\"F32\"", "[0]", "[0,0]") +
                             ",\"a\":" + Entry("\"F32\"", "[1]", "[0,4]") +
                             ",\"z\":" + Entry("\"I64\"", "[2,0]", "[4,4]") + "}";
  absl::StatusOr<SafetensorsFile> read = ParseSafetensors(RawFile(header, "abcd"), "memory");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->Names(), (std::vector<std::string>{"e", "a", "z"}));
}

TEST(SafetensorsReadTest, MissingFileIsNotFoundNamingThePath) {
  const std::string path = FreshDir() + "/absent.safetensors";
  absl::StatusOr<SafetensorsFile> read = ReadSafetensors(path);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find(path), std::string::npos) << read.status();
}

}  // namespace
}  // namespace lrb
