#include "cli/daemon_roles.h"

#include <spdlog/spdlog.h>

#include <csignal>

#include "cli/policy_files.h"
#include "oauth/granted_connector.h"

namespace herald::cli {

using namespace std::chrono;

void ConnectorSet::Rebuild(const std::vector<policies::Policy>& policies) {
  std::map<std::string, std::shared_ptr<connectors::Connector>> fresh;
  std::map<std::string, std::string> platforms;
  for (const auto& p : policies) {
    for (const auto& a : p.accounts) {
      auto c = registry_.Create(a.connector, context_);
      if (!c) {
        spdlog::error("account {}: {}", a.id, c.error().ToString());
        continue;
      }
      std::shared_ptr<connectors::Connector> made(std::move(*c));
      if (oauth_ != nullptr && oauth_->Connects(a.platform)) {
        made = std::make_shared<oauth::GrantedConnector>(std::move(made), oauth_->keeper());
      }
      fresh[a.id] = std::move(made);
      platforms[a.id] = a.platform;
    }
  }
  std::lock_guard lock(mu_);
  for (auto& [id, c] : by_account_) retired_.push_back(c);
  by_account_ = std::move(fresh);
  platforms_ = std::move(platforms);
}

runtime::ConnectorFor ConnectorSet::Find(const std::string& account) {
  std::lock_guard lock(mu_);
  auto it = by_account_.find(account);
  if (it == by_account_.end()) return {};
  return {it->second.get(), platforms_[account]};
}

void Reloader::ReloadPolicies() {
  policy_signature_ = DirectorySignature(config_.policies);
  auto next = LoadPolicyDirectory(config_.policies, config_);
  std::map<std::string, std::vector<std::string>> errors_by_org;
  for (const auto& [file, errors] : next.errors) {
    for (const auto& e : errors) spdlog::error("policy reload: {}", e);
    auto org = org_of_file_.find(file);
    if (org != org_of_file_.end()) errors_by_org[org->second] = errors;
  }
  for (const auto& p : next.valid) org_of_file_[p.source] = p.organization;
  connectors_.Rebuild(next.valid);
  if (auto r = service_.ReplacePolicies(next.valid, errors_by_org); !r) {
    spdlog::error("policy reload failed: {}", r.error().ToString());
  } else {
    spdlog::info("policies reloaded: {} valid, {} files with errors", next.valid.size(), next.errors.size());
  }
}

void Reloader::ReloadTokens() {
  tokens_signature_ = FileSignature(config_.tokens);
  auto next = api::TokenSet::Load(config_.tokens);
  if (!next) {
    spdlog::error("tokens reload: {}; the previous tokens stay active", next.error().ToString());
    return;
  }
  spdlog::info("tokens reloaded: {} tokens", next->records().size());
  http_.ReplaceTokens(std::move(*next));
}

void Reloader::Watch() {
  poll_.expires_after(config_.policy_poll);
  poll_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (DirectorySignature(config_.policies) != policy_signature_) ReloadPolicies();
    if (FileSignature(config_.tokens) != tokens_signature_) ReloadTokens();
    Watch();
  });
}

void SignalHandler::Listen() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: reloading policies and tokens");
      reloader_.ReloadPolicies();
      reloader_.ReloadTokens();
      Listen();
      return;
    }
    spdlog::info("{}: stopping (waiting up to {} for publishes in flight)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                 FormatDuration(grace_));
    http_.Stop();
    reloader_.Stop();
    reader_.Stop();
    if (inbox_ != nullptr) inbox_->Stop();
    runtime_.Stop(duration_cast<milliseconds>(grace_), [this] { io_.stop(); });
  });
}

}  // namespace herald::cli
