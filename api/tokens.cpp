#include "api/tokens.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/internal/crypto.h"
#include "core/hex.h"

namespace herald::api {
namespace {

using nlohmann::json;

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.';
    if (!ok) return false;
  }
  return true;
}

Status Invalid(std::string_view file, std::string pointer, std::string message) {
  return Status(Code::kInvalidArgument, std::move(message), Where{.file = std::string(file), .path = std::move(pointer)});
}

std::string ErrnoText() { return std::strerror(errno); }

// Writes `text` to a temporary file next to `path`, fsyncs it, renames it over
// `path` and fsyncs the folder, so a crash leaves either the old or the new file.
// The new file keeps the old one's mode (and owner, as root); a first file is 0600.
Result<void> ReplaceFile(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp = (dir / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()))).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error(Code::kUnavailable, "cannot create " + tmp + ": " + ErrnoText());
  // The replacement keeps the mode and owner of the file it replaces: root
  // adding a token to a packaged /etc/herald/tokens.json (0644) must not leave a
  // 0600 root file the daemon's own user can no longer read.
  struct stat old {};
  if (::stat(path.c_str(), &old) == 0) {
    if (::geteuid() == 0 && ::fchown(fd, old.st_uid, old.st_gid) != 0) {
      std::string why = ErrnoText();
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error(Code::kUnavailable, "cannot give " + tmp + " the owner of " + path + ": " + why);
    }
    if (::fchmod(fd, old.st_mode & 07777) != 0) {
      std::string why = ErrnoText();
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error(Code::kUnavailable, "cannot give " + tmp + " the mode of " + path + ": " + why);
    }
  }
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string why = ErrnoText();
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error(Code::kUnavailable, "cannot write " + tmp + ": " + why);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string why = ErrnoText();
    ::unlink(tmp.c_str());
    return Error(Code::kUnavailable, "cannot sync " + tmp + ": " + why);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = ErrnoText();
    ::unlink(tmp.c_str());
    return Error(Code::kUnavailable, "cannot replace " + path + ": " + why);
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

}  // namespace

Result<TokenSet> TokenSet::Parse(std::string_view text, std::string_view file) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return std::unexpected(Invalid(file, "", "malformed JSON at byte " + std::to_string(e.byte) +
                                                 "; expected {\"tokens\": [{name, organization, role, sha256}]}"));
  } catch (const json::exception& e) {
    // A number too large for a double (1e999) is refused while parsing, as out_of_range.
    return std::unexpected(Invalid(file, "", std::string("malformed JSON: ") + e.what()));
  }
  if (!doc.is_object() || !doc.contains("tokens") || !doc["tokens"].is_array()) {
    return std::unexpected(Invalid(file, "/tokens", "expected an object with a \"tokens\" array"));
  }
  TokenSet set;
  const json& list = doc["tokens"];
  for (size_t i = 0; i < list.size(); ++i) {
    std::string at = "/tokens/" + std::to_string(i);
    const json& e = list[i];
    if (!e.is_object()) return std::unexpected(Invalid(file, at, "expected an object {name, organization, role, sha256}"));
    for (const auto& [key, value] : e.items()) {
      if (key != "name" && key != "organization" && key != "role" && key != "sha256") {
        return std::unexpected(Invalid(file, at + "/" + key, "unknown field \"" + key + "\""));
      }
      if (!value.is_string()) return std::unexpected(Invalid(file, at + "/" + key, "expected a string"));
    }
    for (const char* key : {"name", "organization", "role", "sha256"}) {
      if (!e.contains(key)) return std::unexpected(Invalid(file, at, std::string("missing \"") + key + "\""));
    }
    TokenRecord r;
    r.name = e["name"].get<std::string>();
    r.organization = e["organization"].get<std::string>();
    if (!IsIdentifier(r.name)) return std::unexpected(Invalid(file, at + "/name", "names are 1-64 of [A-Za-z0-9._-]"));
    if (!IsIdentifier(r.organization)) {
      return std::unexpected(Invalid(file, at + "/organization", "organisations are 1-64 of [A-Za-z0-9._-]"));
    }
    auto role = runtime::ParseRole(e["role"].get<std::string>());
    if (!role) {
      return std::unexpected(Invalid(file, at + "/role", "unknown role \"" + e["role"].get<std::string>() +
                                                             "\"; use viewer, editor, manager or admin"));
    }
    r.role = *role;
    r.sha256 = e["sha256"].get<std::string>();
    for (char& c : r.sha256) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (r.sha256.size() != 64 || !HexDecode(r.sha256)) {
      return std::unexpected(Invalid(file, at + "/sha256", "expected 64 hex digits (the SHA-256 of the token)"));
    }
    if (auto added = set.Add(std::move(r)); !added) {
      return std::unexpected(Invalid(file, at + "/name", added.error().message()));
    }
  }
  return set;
}

Result<TokenSet> TokenSet::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Code::kUnavailable, "cannot read tokens file " + path + ": " + ErrnoText());
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

std::optional<runtime::Caller> TokenSet::Verify(std::string_view bearer) const {
  auto presented = HexDecode(internal::Sha256Hex(bearer));
  std::optional<runtime::Caller> found;
  // Every record is compared, matched or not, so timing says nothing about which one matched.
  for (const auto& r : records_) {
    auto stored = HexDecode(r.sha256);
    if (stored && CRYPTO_memcmp(stored->data(), presented->data(), presented->size()) == 0 && !found) {
      found = runtime::Caller{r.organization, r.name, r.role};
    }
  }
  return found;
}

Result<void> TokenSet::Add(TokenRecord record) {
  for (const auto& r : records_) {
    if (r.organization == record.organization && r.name == record.name) {
      return Error(Code::kAlreadyExists, "a token named \"" + record.name + "\" exists already in organisation \"" +
                                             record.organization + "\"; choose another name");
    }
  }
  records_.push_back(std::move(record));
  return {};
}

std::string TokenSet::Serialize() const {
  std::string out = "{\"tokens\": [\n";
  for (size_t i = 0; i < records_.size(); ++i) {
    const auto& r = records_[i];
    json line = json::object();
    line["name"] = r.name;
    line["organization"] = r.organization;
    line["role"] = std::string(runtime::RoleName(r.role));
    line["sha256"] = r.sha256;
    out += "  " + line.dump() + (i + 1 < records_.size() ? ",\n" : "\n");
  }
  out += "]}\n";
  return out;
}

Result<std::string> GenerateToken() {
  auto bytes = internal::RandomBytes(32);
  if (!bytes) return std::unexpected(bytes.error());
  return "hrld_" + internal::Base64UrlEncode(*bytes);
}

std::string HashToken(std::string_view token) { return internal::Sha256Hex(token); }

Result<std::string> AddToken(const std::string& path, const std::string& organization, runtime::Role role,
                             const std::string& name) {
  if (!IsIdentifier(organization)) {
    return InvalidArgument("organisation \"" + organization + "\" must be 1-64 of [A-Za-z0-9._-]");
  }
  if (!IsIdentifier(name)) return InvalidArgument("name \"" + name + "\" must be 1-64 of [A-Za-z0-9._-]");
  TokenSet set;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    auto loaded = TokenSet::Load(path);
    if (!loaded) return std::unexpected(loaded.error());
    set = std::move(*loaded);
  }
  auto token = GenerateToken();
  if (!token) return std::unexpected(token.error());
  if (auto added = set.Add({name, organization, role, HashToken(*token)}); !added) {
    return std::unexpected(added.error());
  }
  if (auto written = ReplaceFile(path, set.Serialize()); !written) return std::unexpected(written.error());
  return *token;
}

}  // namespace herald::api
