#include "scheduler/runtime/unconfirmed_recheck.h"

#include <spdlog/spdlog.h>

namespace herald::runtime {

UnconfirmedRecheck::UnconfirmedRecheck(Service& service, const Clock& clock, ConnectorLookup connectors)
    : service_(service), clock_(clock), connectors_(std::move(connectors)) {}

Result<std::vector<Post>> UnconfirmedRecheck::ClaimDue() { return service_.ClaimRechecks(clock_.Now()); }

Result<Post> UnconfirmedRecheck::Check(const Post& claimed) {
  auto [connector, platform] = connectors_(claimed);
  std::optional<connectors::PublishResult> found;
  // An account whose connector is gone (the policy changed) cannot be asked:
  // that counts as no answer, and the schedule ends in time.
  if (connector != nullptr && connector->AnswersLookup()) {
    found = connector->Lookup(RequestFor(claimed, platform, clock_.Now(), 1));
  }
  auto settled = service_.SettleRecheck(claimed, found);
  if (!settled) {
    spdlog::warn("post {} on {}: re-check not settled: {}", claimed.id, claimed.account, settled.error().ToString());
    return settled;
  }
  spdlog::info("post {} on {}: re-check {}: {}{}", claimed.id, claimed.account, claimed.rechecks + 1,
               PostStateName(settled->state), settled->failure.empty() ? "" : " (" + settled->failure + ")");
  return settled;
}

}  // namespace herald::runtime
