// `herald account connect ACCOUNT`: connects an account by OAuth without the
// console or the API, for the operator on the daemon's machine. It starts the
// authorization in the store the daemons use (as POST /v1/accounts/{id}/connect
// does), prints the platform's URL to open, and waits until a daemon has
// received the callback and stored the account's new grant, or the
// authorization expires. Writes only to the streams it is given.
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>

namespace herald::cli {

struct AccountConnectOptions {
  std::string account;
  std::string config = "examples/herald.yaml";  // --config, as given to serve
  std::optional<std::string> storage;           // --storage, overrides the config's
  std::string caller = "cli";                   // who the audit names
  std::chrono::milliseconds poll{1000};         // how often the grant is looked at
};

// The URL and how long it is valid on `out` at once (flushed), then
// "account ACCOUNT connected" when the grant is stored. Exit 0 connected; 1
// when the config has no oauth app for the account's platform, the account
// is in no policy, the store cannot be used, or the authorization expired
// unanswered (or the callback was refused: the daemon's log says why); 2 when
// the config file cannot be read.
int RunAccountConnect(const AccountConnectOptions& options, std::ostream& out, std::ostream& err);

}  // namespace herald::cli
