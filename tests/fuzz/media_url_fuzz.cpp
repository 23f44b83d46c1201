// libFuzzer target: media URLs, addresses and allow-list entries. A URL that
// parses has an http(s) scheme, a non-empty host without spaces, a port in
// range and a target that starts with '/'.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/media_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace herald;
  std::string text(reinterpret_cast<const char*>(data), size);
  if (auto url = ParseMediaUrl(text)) {
    if (url->scheme != "http" && url->scheme != "https") std::abort();
    if (url->host.empty() || url->host.find_first_of(" \r\n/@") != std::string::npos) std::abort();
    if (url->port < 1 || url->port > 65535 || url->target.empty() || url->target.front() != '/') std::abort();
  }
  if (auto address = ParseIpAddress(text)) {
    auto again = ParseIpAddress(address->ToString());
    if (!again || *again != *address) std::abort();
    (void)NonPublicReason(*address);
  }
  MediaAllowList allow;
  (void)AddToAllowList(text, allow);
  (void)CheckMediaUrls({{text, ""}}, allow);
  return 0;
}
