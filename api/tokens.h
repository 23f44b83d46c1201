// API tokens (docs/api.md): the tokens file and bearer-token verification.
//
// The file is JSON: {"tokens":[{"name","organization","role","sha256"}]}; it
// stores only the SHA-256 (hex) of each token, never the token itself. A
// token is "hrld_" + base64url of 32 random bytes. TokenSet is an immutable
// value: safe to share between threads once built.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "scheduler/runtime/service.h"

namespace herald::api {

struct TokenRecord {
  std::string name;
  std::string organization;
  runtime::Role role = runtime::Role::kViewer;
  std::string sha256;  // 64 lower-case hex digits

  friend bool operator==(const TokenRecord&, const TokenRecord&) = default;
};

class TokenSet {
 public:
  TokenSet() = default;

  // Parses the file's text. InvalidArgument naming `file` and the JSON pointer
  // of the first bad entry (malformed JSON, missing field, unknown role, a hash
  // that is not 64 hex digits, a name used twice in one organisation).
  static Result<TokenSet> Parse(std::string_view text, std::string_view file);
  // Reads and parses `path`. Unavailable when the file cannot be read.
  static Result<TokenSet> Load(const std::string& path);

  // The caller a presented bearer token belongs to, or nullopt. Hashes the
  // token and compares against every record in constant time.
  std::optional<runtime::Caller> Verify(std::string_view bearer) const;

  const std::vector<TokenRecord>& records() const { return records_; }

  // AlreadyExists when `record.name` is taken in its organisation.
  Result<void> Add(TokenRecord record);

  // The file's text, one record per line for readable diffs.
  std::string Serialize() const;

 private:
  std::vector<TokenRecord> records_;
};

// A fresh token: "hrld_" + base64url(32 bytes of RAND_bytes).
Result<std::string> GenerateToken();

// SHA-256 hex of a token, as stored in the file.
std::string HashToken(std::string_view token);

// Generates a token for (organization, role, name), appends its hash to the
// tokens file at `path` (created when missing) and returns the token. The file
// is replaced atomically (temporary file, fsync, rename, fsync of the folder).
// AlreadyExists when the name is taken in the organisation; InvalidArgument for
// an empty or malformed name or organisation, or a corrupt file; Unavailable
// when the file cannot be read or written.
Result<std::string> AddToken(const std::string& path, const std::string& organization, runtime::Role role,
                             const std::string& name);

}  // namespace herald::api
