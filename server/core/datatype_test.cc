#include "server/core/datatype.h"

#include <gtest/gtest.h>

namespace kiln::server {
namespace {

TEST(V2DataType, RoundTripsEveryProtocolType) {
  for (const char* name :
       {"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BF16",
        "BYTES"}) {
    const auto dtype = DataTypeFromV2Name(name);
    ASSERT_TRUE(dtype.has_value()) << name;
    EXPECT_EQ(V2DataTypeName(*dtype), name);
  }
}

TEST(V2DataType, RejectsUnknownNamesAndTypes) {
  EXPECT_FALSE(DataTypeFromV2Name("FP8").has_value());
  EXPECT_FALSE(DataTypeFromV2Name("fp32").has_value());
  EXPECT_TRUE(V2DataTypeName(DataType::kComplex64).empty());
}

}  // namespace
}  // namespace kiln::server
