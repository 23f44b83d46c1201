// libFuzzer target: the tokens file (JSON of hashed API tokens). Any content
// gives a token set or an error naming the file, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/tokens.h"
#include "scheduler/runtime/service.h"

// The role names live in scheduler/runtime/service.cpp, which the fuzz build
// does not compile (it needs a store); these two follow service.h's contract.
namespace herald::runtime {
std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kViewer: return "viewer";
    case Role::kEditor: return "editor";
    case Role::kManager: return "manager";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}
std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kViewer, Role::kEditor, Role::kManager, Role::kAdmin})
    if (RoleName(r) == name) return r;
  return std::nullopt;
}
}  // namespace herald::runtime

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto tokens = herald::api::TokenSet::Parse(std::string_view(reinterpret_cast<const char*>(data), size), "tokens.json");
  if (!tokens && tokens.error().message().empty()) std::abort();
  return 0;
}
