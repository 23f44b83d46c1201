#include "cli/token_keys_command.h"

#include <chrono>
#include <ostream>

#include "cli/commands.h"
#include "cli/file_text.h"
#include "cli/secret_source.h"
#include "policies/server_config.h"
#include "secrets/grant_vault.h"
#include "storage/store.h"

namespace herald::cli {

int RunTokenKeysRotate(const TokenKeysRotateOptions& options, std::ostream& out, std::ostream& err) {
  constexpr std::string_view kName = "herald token-keys rotate: ";
  auto text = ReadFileText(options.config);
  if (!text) {
    err << kName << options.config << ": " << text.error().message() << "\n";
    return kExitUsage;
  }
  auto config = policies::LoadServerConfig(*text, options.config);
  if (!config) {
    for (const Status& error : config.error()) err << error.ToString() << "\n";
    return kExitInvalid;
  }
  if (!config->token_keys) {
    err << kName << options.config << " has no token_keys; add them first (docs/tokens.md)\n";
    return kExitInvalid;
  }
  auto ring = LoadKeyRing(*config->token_keys);
  if (!ring) {
    err << kName << "token_keys: " << ring.error().message() << "\n";
    return kExitInvalid;
  }
  const std::string storage = options.storage.value_or(config->storage);
  auto store = storage::OpenStore(storage);
  if (!store) {
    err << kName << "cannot open the store: " << store.error().message() << "\n";
    return kExitInvalid;
  }
  secrets::GrantVault vault(**store, std::move(*ring));
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto rotation = vault.Rotate(now);
  if (!rotation) {
    err << kName << rotation.error().ToString() << "\n";
    return kExitInvalid;
  }
  for (const Status& failure : rotation->failed) err << kName << failure.message() << "\n";
  out << "re-sealed " << rotation->resealed << " grants under key " << vault.keys().current_id() << "; "
      << rotation->already_current << " were under it already";
  if (rotation->changed_meanwhile > 0) out << "; " << rotation->changed_meanwhile << " were replaced meanwhile";
  if (!rotation->failed.empty()) out << "; " << rotation->failed.size() << " do not open";
  out << "\n";
  return rotation->failed.empty() ? kExitOk : kExitInvalid;
}

}  // namespace herald::cli
