#include "cli/secret_source.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace herald::cli {

Result<std::string> ResolveSecret(const policies::SecretRef& ref) {
  if (ref.kind == policies::SecretRef::Kind::kEnv) {
    const char* value = std::getenv(ref.target.c_str());
    if (value == nullptr) return Error(Code::kFailedPrecondition, "environment variable " + ref.target + " is not set");
    return std::string(value);
  }
  std::ifstream in(ref.target, std::ios::binary);
  if (!in) return Error(Code::kFailedPrecondition, "cannot read " + ref.target + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<secrets::KeyRing> LoadKeyRing(const policies::TokenKeysConfig& config) {
  std::vector<secrets::TokenKey> keys;
  for (const auto& [id, ref] : config.keys) {
    auto material = ResolveSecret(ref);
    if (!material) {
      return Error(material.error().code(), "token key " + id + ": " + material.error().message());
    }
    keys.push_back({id, std::move(*material)});
  }
  return secrets::KeyRing::Make(config.current, keys);
}

}  // namespace herald::cli
