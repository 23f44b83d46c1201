#include "core/top_level_domains.h"

#include <algorithm>
#include <iterator>

namespace herald {
namespace {
#include "core/internal/top_level_domains.inc"
}  // namespace

bool IsTopLevelDomain(std::string_view label) {
  return std::binary_search(std::begin(kTopLevelDomains), std::end(kTopLevelDomains), label);
}

}  // namespace herald
