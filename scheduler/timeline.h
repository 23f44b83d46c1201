// Timeline: one account's posts that hold capacity (planned, publishing,
// published, unconfirmed), sorted by time, with per-label indexes so the
// governor counts any window with two binary searches.
//
// Labels are tracked by bit: the governor that owns the rules decides which
// labels matter (those named by caps, ramp-up and mix rules) and gives each a bit
// (see Governor::LabelBits). Not thread-safe; a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace herald::scheduler {

// Who holds a place on a timeline: a stored post (`id` is its id), a place held
// for a post whose create is still being written, or a hypothetical post (a
// what-if or a suggested slot). Only stored posts are named in reasons.
enum class Holder : uint8_t { kPost, kHeld, kProbe };

struct TimelineEntry {
  std::string id;  // the post's id; for kHeld, a token that only the holder uses to release it
  Instant at;
  uint32_t label_bits = 0;
  bool urgent = false;
  Holder holder = Holder::kPost;
  uint64_t text_hash = 0;  // for the duplicate rule; 0 = no text
  // A reply to an inbox item: counted by the platform's preset limits only
  // (Timeline::posts() leaves it out). Carries no label bits.
  bool reply = false;
};

class Timeline {
 public:
  static constexpr int kMaxLabels = 32;

  Timeline() = default;

  // Adds a post. Posts at equal instants keep insertion order.
  void Insert(TimelineEntry entry);
  // Removes the post (or the holder's place) with this id; false when it is not
  // here. With its time given, found by binary search instead of a scan.
  bool Remove(const std::string& id, Holder holder = Holder::kPost);
  bool Remove(const std::string& id, Instant at);

  size_t size() const { return times_.size(); }
  bool empty() const { return times_.empty(); }

  // All posts' instants, sorted; entry(i) belongs to times()[i].
  std::span<const Instant> times() const { return times_; }
  const TimelineEntry& entry(size_t i) const { return entries_[i]; }
  // Instants of the posts carrying label bit `bit`, sorted.
  std::span<const Instant> times(int bit) const;
  // Instants of the entries that are not replies, sorted: what the policy's
  // own rules (caps, spacing, mix, ramp-up) count.
  std::span<const Instant> posts() const { return post_times_; }
  // The entry at exactly `at` carrying label bit `bit` (-1: any); nullptr when
  // there is none.
  const TimelineEntry* EntryAt(Instant at, int bit = -1) const;

  // Of the posts with this text hash (the duplicate rule), the first inserted
  // whose instant lies in (after, before); nullopt when none does.
  std::optional<Instant> FirstWithText(uint64_t hash, Instant after, Instant before) const;

  // Number of posts in [from, to) overall, or with label bit `bit` (-1: all).
  // Without replies when `with_replies` is false.
  size_t Count(Instant from, Instant to, int bit = -1, bool with_replies = true) const;

 private:
  std::vector<Instant> times_;
  std::vector<TimelineEntry> entries_;
  std::vector<Instant> label_times_[kMaxLabels];
  std::vector<Instant> post_times_;  // entries that are not replies
  // The duplicate rule's index: an open-addressed table (linear probing from
  // hash & mask) of one slot per post with text; hash 0 marks a free slot.
  // Invariants: its size is 0 or a power of two at most half full, and the
  // posts of one text lie along their probe run in the order they were inserted
  // (appended at the run's end; removal shifts later slots back, in order).
  // A lookup reads one cache line or two, and nothing is allocated per post.
  struct TextSlot {
    uint64_t hash = 0;
    Instant at{};
  };
  std::vector<TextSlot> text_slots_;
  size_t text_count_ = 0;

  bool RemoveAt(size_t index);
  void InsertText(uint64_t hash, Instant at);
  void RemoveText(uint64_t hash, Instant at);
};

// Hash of a post's text for the duplicate rule: surrounding white space and ASCII
// case are ignored so trivial re-posts still match; 0 only for empty text.
uint64_t TextHash(std::string_view text);

// How a reason names the holder of a place: "post 812", "a post being created",
// "another suggested slot".
std::string Mention(Holder holder, std::string_view id);
inline std::string Mention(const TimelineEntry& entry) { return Mention(entry.holder, entry.id); }

}  // namespace herald::scheduler
