// UnconfirmedRecheck: asks the platform again about posts left `unconfirmed`
// (neither the publish nor the lookup after it could say whether they
// arrived), on the schedule of ServiceOptions::recheck: claim the due checks
// from the Service, ask each post's connector (Connector::Lookup), settle the
// answer back (docs/daemon.md, "Unconfirmed posts").
//
// Thread-safe: ClaimDue and Check may run on any threads at once; both block
// (the store, the network), so the runtime calls them on its worker pool,
// never on its event loop.
#pragma once

#include <vector>

#include "core/clock.h"
#include "core/post.h"
#include "core/status.h"
#include "scheduler/runtime/connector_for.h"
#include "scheduler/runtime/service.h"

namespace herald::runtime {

class UnconfirmedRecheck {
 public:
  // `service`, `clock` and the connectors `connectors` names outlive this.
  UnconfirmedRecheck(Service& service, const Clock& clock, ConnectorLookup connectors);

  // The posts whose check is due now, claimed for this process. Errors: the
  // store's (the checks stay due).
  Result<std::vector<Post>> ClaimDue();
  // Asks the connector of a claimed post once and settles the answer; returns
  // the post as it then is. FailedPrecondition when another process settled
  // it meanwhile; the store's errors otherwise (the check runs again once its
  // claim ends).
  Result<Post> Check(const Post& claimed);

 private:
  Service& service_;
  const Clock& clock_;
  const ConnectorLookup connectors_;
};

}  // namespace herald::runtime
