// libFuzzer target: the JSON bodies of POST /v1/posts (create), PATCH
// /v1/posts/{id} (edit) and the approve/reject/cancel notes, as the API reads
// them: parse, then validate. A refusal must carry at least one JSON pointer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/internal/json_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace herald::api::internal;
  auto body = ParseJsonBody(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!body) {
    if (body.error().empty()) std::abort();
    return 0;
  }
  auto create = ParseCreatePost(*body);
  if (!create && create.error().empty()) std::abort();
  auto edit = ParseEditPost(*body);
  if (!edit && edit.error().empty()) std::abort();
  auto note = ParseNote(*body);
  if (!note && note.error().empty()) std::abort();
  return 0;
}
