// A Store that hands every call to a real one: tests derive from it and
// override the calls they make fail, throw or wait at a chosen moment.
#pragma once

#include <memory>
#include <utility>

#include "storage/store.h"

namespace herald::testing {

class DelegatingStore : public storage::Store {
 public:
  explicit DelegatingStore(std::unique_ptr<storage::Store> real) : real_(std::move(real)) {}

  Result<Post> CreatePost(Post post, std::vector<storage::AuditEntry> audit,
                          std::optional<storage::IdempotencyRecord> idem) override {
    return real_->CreatePost(std::move(post), std::move(audit), std::move(idem));
  }
  Result<std::vector<Post>> UpdatePosts(std::vector<storage::PostChange> changes) override {
    return real_->UpdatePosts(std::move(changes));
  }
  Result<void> AppendAudit(std::vector<storage::AuditEntry> entries) override {
    return real_->AppendAudit(std::move(entries));
  }
  Result<Post> GetPost(std::string_view org, int64_t id) override { return real_->GetPost(org, id); }
  Result<std::vector<Post>> ListPosts(const storage::PostQuery& query) override { return real_->ListPosts(query); }
  Result<std::vector<storage::AuditEntry>> ListAudit(const storage::AuditQuery& query) override {
    return real_->ListAudit(query);
  }
  Result<std::vector<Post>> LoadActive(Instant since) override { return real_->LoadActive(since); }
  Result<std::vector<storage::StateChange>> ListHistory(std::string_view org, int64_t id) override {
    return real_->ListHistory(org, id);
  }
  Result<std::optional<storage::IdempotencyRecord>> FindIdempotency(std::string_view org,
                                                                     std::string_view key) override {
    return real_->FindIdempotency(org, key);
  }
  Result<void> RecordPolicyVersion(const storage::PolicyVersion& v) override { return real_->RecordPolicyVersion(v); }
  Result<void> Ping() override { return real_->Ping(); }
  Result<std::unique_ptr<AccountLock>> LockAccount(std::string_view org, std::string_view account) override {
    return real_->LockAccount(org, account);
  }
  Result<std::vector<Post>> AccountChangesSince(std::string_view org, std::string_view account,
                                                int64_t after_seq) override {
    return real_->AccountChangesSince(org, account, after_seq);
  }
  void WatchChanges(std::function<void(ChangedAccounts)> on_change) override {
    real_->WatchChanges(std::move(on_change));
  }
  Result<void> RenewLease(std::string_view process, Instant until) override { return real_->RenewLease(process, until); }
  Result<void> SavePause(const storage::AccountPause& pause) override { return real_->SavePause(pause); }
  Result<std::vector<storage::AccountPause>> ActivePauses(Instant now) override { return real_->ActivePauses(now); }
  Result<std::vector<Post>> OrphanedClaims(Instant now) override { return real_->OrphanedClaims(now); }
  Result<storage::SealedGrant> SaveGrant(storage::SealedGrant grant) override {
    return real_->SaveGrant(std::move(grant));
  }
  Result<std::optional<storage::SealedGrant>> FindGrant(std::string_view org, std::string_view account) override {
    return real_->FindGrant(org, account);
  }
  Result<std::vector<storage::SealedGrant>> ListGrants() override { return real_->ListGrants(); }
  Result<void> DeleteGrant(std::string_view org, std::string_view account) override {
    return real_->DeleteGrant(org, account);
  }
  Result<void> SaveAuthorization(const storage::PendingAuthorization& authorization) override {
    return real_->SaveAuthorization(authorization);
  }
  Result<std::optional<storage::PendingAuthorization>> TakeAuthorization(std::string_view state_hash) override {
    return real_->TakeAuthorization(state_hash);
  }
  Result<std::vector<storage::EngagementTarget>> EngagementTargets(Instant since, int points, int limit) override {
    return real_->EngagementTargets(since, points, limit);
  }
  Result<bool> ClaimEngagementRead(const storage::EngagementClaim& claim) override {
    return real_->ClaimEngagementRead(claim);
  }
  Result<void> FinishEngagementRead(const EngagementRead& read, std::string_view process) override {
    return real_->FinishEngagementRead(read, process);
  }
  Result<void> DeferEngagementRead(int64_t post_id, int point, std::string_view process, Instant until,
                                   std::string_view why) override {
    return real_->DeferEngagementRead(post_id, point, process, until, why);
  }
  Result<bool> ClaimInboxRead(const storage::InboxReadClaim& claim) override { return real_->ClaimInboxRead(claim); }
  Result<std::vector<storage::InboxItem>> SaveInboxPage(const storage::InboxPage& page) override {
    return real_->SaveInboxPage(page);
  }
  Result<void> ReleaseInboxRead(std::string_view org, std::string_view account, std::string_view process,
                                Instant next_at, std::string_view why) override {
    return real_->ReleaseInboxRead(org, account, process, next_at, why);
  }
  Result<std::optional<storage::InboxReadState>> FindInboxReadState(std::string_view org,
                                                                   std::string_view account) override {
    return real_->FindInboxReadState(org, account);
  }
  Result<storage::InboxItem> GetInboxItem(std::string_view org, int64_t id) override {
    return real_->GetInboxItem(org, id);
  }
  Result<std::vector<storage::InboxItem>> ListInbox(const storage::InboxQuery& query) override {
    return real_->ListInbox(query);
  }
  Result<storage::InboxItem> UpdateInboxItem(storage::InboxItem item,
                                             std::vector<storage::AuditEntry> audit) override {
    return real_->UpdateInboxItem(std::move(item), std::move(audit));
  }
  Result<std::optional<storage::InboxItem>> FindInboxItemByReply(std::string_view org,
                                                                 int64_t reply_post_id) override {
    return real_->FindInboxItemByReply(org, reply_post_id);
  }
  Result<std::vector<storage::InboxCount>> CountInbox(Instant now) override { return real_->CountInbox(now); }
  Result<std::vector<EngagementRead>> ListEngagement(std::string_view org, int64_t post_id) override {
    return real_->ListEngagement(org, post_id);
  }
  Result<std::vector<EngagementSample>> EngagementSamples(const storage::EngagementQuery& query) override {
    return real_->EngagementSamples(query);
  }
  Result<void> RecordEvents(std::vector<storage::Event> events) override { return real_->RecordEvents(std::move(events)); }
  Result<std::vector<storage::Event>> UnroutedEvents(int limit) override { return real_->UnroutedEvents(limit); }
  Result<bool> RouteEvent(std::string_view event_id, std::string_view org, const std::vector<std::string>& urls,
                          Instant now) override {
    return real_->RouteEvent(event_id, org, urls, now);
  }
  Result<int> RouteEvents(const std::vector<EventRoute>& routes, Instant now) override {
    return real_->RouteEvents(routes, now);
  }
  Result<std::vector<storage::ClaimedDelivery>> ClaimDeliveries(const storage::DeliveryClaim& claim) override {
    return real_->ClaimDeliveries(claim);
  }
  Result<void> FinishDelivery(const storage::DeliveryOutcome& outcome) override { return real_->FinishDelivery(outcome); }
  Result<std::vector<storage::Event>> ListEvents(const storage::EventQuery& query) override {
    return real_->ListEvents(query);
  }
  Result<std::vector<storage::EventDelivery>> ListDeliveries(const storage::DeliveryQuery& query) override {
    return real_->ListDeliveries(query);
  }
  Result<storage::EventDelivery> RetryDelivery(std::string_view org, int64_t id, Instant now) override {
    return real_->RetryDelivery(org, id, now);
  }
  Result<int64_t> PendingDeliveries() override { return real_->PendingDeliveries(); }
  Result<int64_t> PruneEvents(Instant before) override { return real_->PruneEvents(before); }
  bool SharedByProcesses() const override { return real_->SharedByProcesses(); }

 private:
  std::unique_ptr<storage::Store> real_;
};

}  // namespace herald::testing
