// What the Store keeps and is asked about the inbox (docs/inbox.md): items,
// reads, queries and counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/inbox.h"
#include "core/time.h"

namespace herald::storage {

// One item of an account's inbox as the store keeps it: stored once per
// (organization, account, message.remote_id).
struct InboxItem {
  int64_t id = 0;  // assigned by the store
  std::string organization;
  std::string account;
  InboxMessage message;
  // Assigned by the store when the item is first stored: the account's post
  // whose remote_id is message.in_reply_to, when there is one.
  std::optional<int64_t> post_id;
  std::string department;
  InboxState state = InboxState::kOpen;
  std::string assignee;                 // set while assigned
  std::optional<int64_t> reply_post_id; // the post that answers it
  Instant received_at;                  // when herald stored it
  Instant due_at;                       // when it becomes overdue while open or assigned
  Instant updated_at;
  int64_t version = 0;  // assigned by the store

  friend bool operator==(const InboxItem&, const InboxItem&) = default;
};

// A claim on the next read of one account's inbox, for `process` until
// `until` (a read not finished by then may be claimed again by anyone).
struct InboxReadClaim {
  std::string organization;
  std::string account;
  std::string process;
  Instant until;
  Instant now;
};

// One page of an account's inbox as a claimed read got it: its items (with
// organization, account, message, department, due_at and received_at set)
// and where the next read starts.
struct InboxPage {
  std::string organization;
  std::string account;
  std::string process;
  std::vector<InboxItem> items;
  std::string cursor;
};

// Where an account's inbox reads stand.
struct InboxReadState {
  std::string organization;
  std::string account;
  std::string cursor;        // where the next read starts; empty before the first
  std::string claimed_by;    // empty once released
  Instant not_before;        // the claim's end, or when the next read may start
  std::optional<Instant> read_at;  // the latest page stored
  std::string detail;        // why the latest read was put off, if it was

  friend bool operator==(const InboxReadState&, const InboxReadState&) = default;
};

struct InboxQuery {
  std::string organization;  // required
  std::optional<std::string> account;
  std::optional<std::string> department;
  // Only items of these departments (the ones a caller may read); nullopt: any.
  std::optional<std::vector<std::string>> departments;
  std::optional<InboxState> state;
  std::optional<Instant> overdue_at;  // only items open or assigned with due_at <= overdue_at
  // Only items that became overdue after this instant: due after it, or
  // stored after it (read when already past their due time).
  std::optional<Instant> overdue_after;
  int64_t before_id = 0;              // cursor: ids < before_id (0: from the newest), descending
  int limit = 50;                     // 1..1000
};

// How many items an organisation's department holds in one state, and how
// many of them are overdue at the time asked.
struct InboxCount {
  std::string organization;
  std::string department;
  InboxState state = InboxState::kOpen;
  int64_t items = 0;
  int64_t overdue = 0;

  friend bool operator==(const InboxCount&, const InboxCount&) = default;
};

}  // namespace herald::storage
