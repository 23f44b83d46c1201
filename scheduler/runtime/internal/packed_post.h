// PackedPost: a post as the plan book keeps it, in a fraction of a Post's
// memory. The fields the Service scans every post for (state, organisation,
// account) stay unpacked; everything else is one byte string (varints and
// length-prefixed text), so a post with empty fields and ~100 bytes of text
// costs about 200 bytes instead of a 550-byte Post plus its heap blocks.
// Packing is lossless: Unpack(Pack(p)) == p for every post.
//
// A value type; not thread-safe. `organization` and `account` point into the
// book's interned names, which outlive every PackedPost.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/post.h"

namespace herald::runtime::internal {

class PackedPost {
 public:
  // `organization` and `account` are p's, interned by the caller.
  PackedPost(const Post& p, const std::string* organization, const std::string* account);

  Post Unpack(int64_t id) const;

  PostState state() const { return state_; }
  const std::string& organization() const { return *organization_; }
  const std::string& account() const { return *account_; }
  std::optional<Instant> planned_at() const;
  // Bytes this post holds beyond its own size (for tests and figures).
  size_t packed_bytes() const { return size_; }

 private:
  const std::string* organization_;
  const std::string* account_;
  std::unique_ptr<char[]> bytes_;  // exactly size_ bytes: no capacity slack
  Instant planned_at_;  // Instant::min(): none
  uint32_t size_ = 0;
  PostState state_;
};

}  // namespace herald::runtime::internal
