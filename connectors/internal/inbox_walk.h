// How a connector reads an inbox the platform lists newest first, one page
// per ReadInbox, without returning an item twice or skipping one: the state
// kept in InboxReadResult::cursor (opaque JSON to everyone else), and the
// pure decision of which items of a page are new and where the next read
// starts. Shared by the account-wide inboxes (Bluesky notifications, X
// mentions) and the per-post ones (comments under a Meta post).
//
// Pure: values in, values out.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"
#include "core/time.h"

namespace herald::connectors::internal {

// The newest second whose items have all been read, and the ids read in it
// (a later item of the same second is still new).
struct InboxMark {
  Instant at;
  std::set<std::string> ids;
};

// One source of items (an account's notifications, one post's comments).
struct InboxWalk {
  std::optional<InboxMark> seen;  // everything at or before it has been returned
  // While walking back through older pages: the newest item of the walk
  // (becomes `seen` when the walk reaches it) and the platform's token for
  // the next older page.
  std::optional<InboxMark> top;
  std::string page;

  bool walking() const { return !page.empty(); }
  // Whether an item is newer than `seen`.
  bool IsNew(std::string_view id, Instant at) const;
};

// An item of a page as the walk needs it.
struct WalkItem {
  std::string id;
  Instant at;
};

struct WalkStep {
  std::vector<size_t> fresh;  // indexes into the page of the items to return
  InboxWalk next;
  bool more = false;  // an older page still holds new items
};

// One page read. `newest_first`: the platform lists newest first, so an old
// item on the page ends the walk; otherwise every page is read to the end.
// `history`: with nothing seen yet, walk back through every page (a post's
// comments; an account whose earlier reads found nothing) instead of taking
// the newest page only (the very first read of an account's notifications:
// its inbox starts when herald first reads it).
WalkStep Advance(const InboxWalk& walk, const std::vector<WalkItem>& page, const std::string& next_page,
                 bool newest_first, bool history);

// One page of an account-wide inbox listed newest first (`page[i]` read as
// `items[i]`), as a kRead result: the new items oldest first, the cursor of
// the next read, and `more`. `history` as for Advance; the caller adds the
// answer's status and hold.
InboxReadResult TakeNewestFirstPage(const InboxWalk& walk, std::vector<InboxMessage> page,
                                    const std::vector<WalkItem>& items, const std::string& next_page, bool history);

// The cursor of one walk, and of one walk per post (only the posts in `keep`
// are written: the cursor stays as small as the list of recent posts).
std::string EncodeWalk(const InboxWalk& walk);
std::optional<InboxWalk> DecodeWalk(std::string_view cursor);  // nullopt: not one of ours
std::string EncodeWalks(const std::map<std::string, InboxWalk>& walks, const std::vector<std::string>& keep);
std::optional<std::map<std::string, InboxWalk>> DecodeWalks(std::string_view cursor);

}  // namespace herald::connectors::internal
