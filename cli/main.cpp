// The composition root of the `herald` executable: parses the command line and
// hands over to the subcommand. The only place that touches the process's
// arguments, standard streams and exit code.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "cli/account_command.h"
#include "cli/commands.h"
#include "cli/import_command.h"
#include "cli/token_command.h"
#include "cli/token_keys_command.h"
#include "cli/version.h"

int main(int argc, char** argv) {
  using namespace herald::cli;
  CLI::App app{"herald: a post scheduler and frequency governor for social networks"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "herald " + std::string(Version()) + " (commit " + std::string(Commit()) + ")");

  int exit_code = kExitOk;

  auto* policy = app.add_subcommand("policy", "Work with policy files");
  policy->require_subcommand(1);
  std::vector<std::string> check_paths;
  auto* check = policy->add_subcommand("check", "Validate policy files; exit 1 with FILE:LINE:COL lines on errors");
  check->add_option("paths", check_paths, "Policy files or directories of *.yaml files")->required();
  check->callback([&] { exit_code = RunPolicyCheck(check_paths, std::cout, std::cerr); });

  auto* config = app.add_subcommand("config", "Work with the daemon's config file");
  config->require_subcommand(1);
  std::string config_path;
  auto* config_check = config->add_subcommand("check", "Validate a config file; exit 1 with FILE:LINE:COL lines on errors");
  config_check->add_option("file", config_path, "Config file, as given to serve --config")->required();
  config_check->callback([&] { exit_code = RunConfigCheck(config_path, std::cout, std::cerr); });

  SimulateOptions sim;
  auto* simulate = app.add_subcommand("simulate", "Plan posts against a policy without publishing");
  simulate->add_option("--policy", sim.policy, "Policy file")->required();
  simulate->add_option("--posts", sim.posts, "Posts as JSON lines: {id, account, text, at, labels?, priority?, media?}")
      ->required();
  simulate->add_option("--format", sim.format, "Output format")->check(CLI::IsMember({"text", "json"}));
  simulate->callback([&] { exit_code = RunSimulate(sim, std::cout, std::cerr); });

  ServeOptions serve_options;
  auto* serve = app.add_subcommand("serve", "Run the daemon: HTTP API, planner and publisher");
  serve->add_option("--config", serve_options.config, "Config file (see herald config check)")->capture_default_str();
  serve->add_option("--listen", serve_options.listen, "Override listen: HOST:PORT (port 0: any free port)");
  serve->add_option("--storage", serve_options.storage, "Override storage: sqlite:PATH");
  serve->add_option("--outbox", serve_options.outbox, "Override outbox: folder of the file connector");
  serve->callback([&] { exit_code = RunServe(serve_options, std::cout, std::cerr); });

  TokenAddOptions token_options;
  auto* token = app.add_subcommand("token", "Manage API tokens");
  token->require_subcommand(1);
  auto* token_add = token->add_subcommand("add", "Create a token, print it once, store its SHA-256");
  token_add->add_option("--org", token_options.organization, "Organisation")->required();
  token_add->add_option("--role", token_options.role, "viewer|editor|manager|admin")->required();
  token_add->add_option("--name", token_options.name, "Name, unique in the organisation")->required();
  token_add->add_option("--tokens", token_options.tokens, "Tokens file")->capture_default_str();
  token_add->callback([&] { exit_code = RunTokenAdd(token_options, std::cout, std::cerr); });

  TokenKeysRotateOptions rotate_options;
  auto* token_keys = app.add_subcommand("token-keys", "Manage the keys that seal account tokens at rest");
  token_keys->require_subcommand(1);
  auto* rotate = token_keys->add_subcommand("rotate", "Re-seal every stored account token under token_keys.current");
  rotate->add_option("--config", rotate_options.config, "Config file, as given to serve")->capture_default_str();
  rotate->add_option("--storage", rotate_options.storage, "Override storage: sqlite:PATH or postgresql://...");
  rotate->callback([&] { exit_code = RunTokenKeysRotate(rotate_options, std::cout, std::cerr); });

  AccountConnectOptions connect_options;
  if (const char* user = std::getenv("USER")) connect_options.caller = std::string("cli:") + user;
  auto* account = app.add_subcommand("account", "Work with the accounts of the policies");
  account->require_subcommand(1);
  auto* connect = account->add_subcommand("connect", "Connect an account by OAuth: print the URL, wait for the callback");
  connect->add_option("account", connect_options.account, "The account's id in its policy")->required();
  connect->add_option("--config", connect_options.config, "Config file, as given to serve")->capture_default_str();
  connect->add_option("--storage", connect_options.storage, "Override storage: sqlite:PATH or postgresql://...");
  connect->callback([&] { exit_code = RunAccountConnect(connect_options, std::cout, std::cerr); });

  ImportOptions import_options;
  auto* import = app.add_subcommand("import", "Send a file of posts (CSV or JSON lines) to a running daemon, one result per line");
  import->add_option("file", import_options.file, "Posts: .csv with a header row, or JSON lines as simulate reads them")
      ->required();
  import->add_option("--url", import_options.url, "The daemon")->capture_default_str();
  import->add_option("--token-env", import_options.token_env, "Environment variable holding the API token")
      ->capture_default_str();
  import->add_option("--format", import_options.format, "csv or jsonl (default: from the file's extension)")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  import->add_flag("--atomic", import_options.atomic, "Create nothing unless every line would be created");
  import->callback([&] { exit_code = RunImport(import_options, std::cout, std::cerr); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return exit_code;
}
