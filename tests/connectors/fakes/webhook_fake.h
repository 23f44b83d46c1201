// WebhookFake: a Standard Webhooks receiver (spec v1.0.0) on a FakeServer. It
// verifies `webhook-signature` (v1, HMAC-SHA256 with the whsec_ key; written
// from the spec, independently of the connector), rejects timestamps more than
// five minutes from its clock, dedupes on `webhook-id` as the spec tells
// receivers to, and keeps each message once. Answers 204 with a `Location`
// header, 401 on a bad signature, 400 on a stale timestamp, 410 once gone.
//
// Thread-safe: the server's threads and the test thread share state under a mutex.
#pragma once

#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/time.h"
#include "tests/support/fake_server.h"

namespace herald::testing {

// Whether `signatures` (the header: space-separated "v1,<base64>" entries)
// holds a valid v1 signature of "{id}.{timestamp}.{body}" under `secret`
// ("whsec_<base64>").
bool VerifyStandardWebhook(const std::string& secret, const std::string& id, const std::string& timestamp,
                           const std::string& body, const std::string& signatures);

class WebhookFake {
 public:
  struct Message {
    std::string id;
    std::string timestamp;
    nlohmann::json body;
  };

  explicit WebhookFake(std::string secret);
  FakeServer& fake() { return fake_; }
  std::string url() const { return fake_.base_url() + "/hooks/herald"; }

  // The receiver's clock for the timestamp tolerance (default: the system clock).
  void set_now(Instant now);
  void set_gone(bool gone);
  std::vector<Message> Messages() const;  // one per webhook-id, in arrival order
  int deliveries() const;                 // accepted deliveries, duplicates included

 private:
  const std::string secret_;
  mutable std::mutex mu_;
  std::optional<Instant> now_;     // guarded by mu_
  bool gone_ = false;              // guarded by mu_
  std::vector<Message> messages_;  // guarded by mu_
  int deliveries_ = 0;             // guarded by mu_
  FakeServer fake_;                // last: stopped before the state its handlers use
};

}  // namespace herald::testing
