// libFuzzer target: a policy file and a server config file, as YAML text. Any
// input must give a policy or errors, never a crash; every error names a place.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "policies/loader.h"
#include "policies/server_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = herald::policies::LoadPolicy(text, "fuzz.yaml");
  if (!policy && policy.error().empty()) std::abort();  // a refusal must say why
  auto config = herald::policies::LoadServerConfig(text, "herald.yaml");
  if (!config && config.error().empty()) std::abort();
  return 0;
}
