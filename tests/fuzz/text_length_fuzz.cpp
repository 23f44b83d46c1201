// libFuzzer target: the text length counter in every unit, with and without
// URL weighting. For ASCII text the fast path must agree with the general one.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "policies/content.h"
#include "policies/internal/text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace herald::policies;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool ascii = internal::IsAscii(text);
  for (LengthUnit unit : {LengthUnit::kGraphemes, LengthUnit::kUtf8Bytes, LengthUnit::kUtf16Units,
                          LengthUnit::kXWeighted, LengthUnit::kCodePoints, LengthUnit::kThreadsChars}) {
    for (int url_weight : {0, 23}) {
      size_t n = CountLength(text, unit, url_weight);
      if (url_weight == 0 && unit == LengthUnit::kUtf8Bytes && ascii && n != size) std::abort();
      if (ascii && internal::CountLengthGeneral(text, unit, url_weight) != n) std::abort();
    }
  }
  return 0;
}
