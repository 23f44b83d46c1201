// `herald config check`: validates a daemon config file without starting anything.
#include <ostream>

#include "cli/commands.h"
#include "cli/file_text.h"
#include "policies/server_config.h"

namespace herald::cli {

namespace {

// The storage as it may be printed: a PostgreSQL URI can hold a password.
std::string StorageSummary(const std::string& storage) {
  if (storage.starts_with("sqlite:")) return storage;
  return "postgresql (URI not shown)";
}

}  // namespace

int RunConfigCheck(const std::string& path, std::ostream& out, std::ostream& err) {
  auto text = ReadFileText(path);
  if (!text) {
    err << "herald config check: " << path << ": " << text.error().message() << "\n";
    return kExitUsage;
  }
  auto config = policies::LoadServerConfig(*text, path);
  if (!config) {
    for (const Status& error : config.error()) err << error.ToString() << "\n";
    return kExitInvalid;
  }
  out << path << ": ok: listen " << config->host << ":" << config->port << ", storage "
      << StorageSummary(config->storage) << ", policies " << config->policies << ", tokens " << config->tokens
      << ", outbox " << config->outbox;
  if (config->token_keys) {
    out << ", token keys " << config->token_keys->keys.size() << " (current " << config->token_keys->current << ")";
  }
  out << "\n";
  return kExitOk;
}

}  // namespace herald::cli
