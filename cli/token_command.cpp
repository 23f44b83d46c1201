#include "cli/token_command.h"

#include <ostream>

#include "api/tokens.h"
#include "cli/commands.h"

namespace herald::cli {

int RunTokenAdd(const TokenAddOptions& options, std::ostream& out, std::ostream& err) {
  auto role = runtime::ParseRole(options.role);
  if (!role) {
    err << "herald token add: unknown role \"" << options.role << "\"; use viewer, editor, manager or admin\n";
    return kExitUsage;
  }
  if (options.tokens.empty()) {
    err << "herald token add: --tokens needs a file name\n";
    return kExitUsage;
  }
  auto token = api::AddToken(options.tokens, options.organization, *role, options.name);
  if (!token) {
    const Status& s = token.error();
    err << "herald token add: " << s.ToString() << "\n";
    if (s.code() == Code::kAlreadyExists) return kExitInvalid;
    // A tokens file that was read but is wrong is bad input; bad flags are usage.
    if (s.code() == Code::kInvalidArgument && !s.where().file.empty()) return kExitInvalid;
    return kExitUsage;
  }
  out << *token << "\n";
  err << "added token \"" << options.name << "\" (" << options.role << " of " << options.organization << ") to "
      << options.tokens << "; this is the only time it is shown, so store it now\n";
  return kExitOk;
}

}  // namespace herald::cli
