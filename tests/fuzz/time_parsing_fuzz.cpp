// libFuzzer target: RFC 3339 instants, durations ("1h30m"), dates, local
// date-times and clock times. An instant that parses must format back to text
// that parses to the same instant; a duration stays within 0..100 years.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/time.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace herald;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto t = ParseRfc3339(text)) {
    auto again = ParseRfc3339(FormatRfc3339(*t));
    if (!again || *again != *t) std::abort();
  }
  if (auto d = ParseDuration(text)) {
    // FormatDuration writes compound text ("20h12m") that ParseDuration, one
    // integer and one unit, does not read; the bound is the contract here.
    if (d->count() < 0 || d->count() > 100LL * 366 * 86400 || FormatDuration(*d).empty()) std::abort();
  }
  (void)ParseDate(text);
  (void)ParseLocalDateTime(text);
  (void)ParseClock(text, false);
  (void)ParseClock(text, true);
  return 0;
}
