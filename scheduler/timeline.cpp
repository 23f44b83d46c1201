#include "scheduler/timeline.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace herald::scheduler {
namespace {

void InsertSorted(std::vector<Instant>& v, Instant at) { v.insert(std::upper_bound(v.begin(), v.end(), at), at); }

void EraseOne(std::vector<Instant>& v, Instant at) {
  auto it = std::lower_bound(v.begin(), v.end(), at);
  if (it != v.end() && *it == at) v.erase(it);
}

}  // namespace

void Timeline::Insert(TimelineEntry entry) {
  auto pos = std::upper_bound(times_.begin(), times_.end(), entry.at) - times_.begin();
  times_.insert(times_.begin() + pos, entry.at);
  for (uint32_t bits = entry.label_bits; bits != 0; bits &= bits - 1) {
    InsertSorted(label_times_[std::countr_zero(bits)], entry.at);
  }
  if (entry.text_hash != 0) InsertText(entry.text_hash, entry.at);
  if (!entry.reply) InsertSorted(post_times_, entry.at);
  entries_.insert(entries_.begin() + pos, std::move(entry));
}

bool Timeline::Remove(const std::string& id, Holder holder) {
  auto match = [&](const TimelineEntry& e) { return e.holder == holder && e.id == id; };
  if (holder == Holder::kHeld) {
    // A held place is a create's slot, released as soon as its write ends:
    // most often among the latest entries, so the scan starts from the end
    // (its token is unique, so either direction finds the same entry).
    auto it = std::find_if(entries_.rbegin(), entries_.rend(), match);
    return it != entries_.rend() && RemoveAt(static_cast<size_t>(entries_.rend() - it - 1));
  }
  auto it = std::find_if(entries_.begin(), entries_.end(), match);
  return it != entries_.end() && RemoveAt(static_cast<size_t>(it - entries_.begin()));
}

bool Timeline::Remove(const std::string& id, Instant at) {
  for (size_t i = std::lower_bound(times_.begin(), times_.end(), at) - times_.begin(); i < times_.size() && times_[i] == at;
       ++i) {
    if (entries_[i].id == id && entries_[i].holder == Holder::kPost) return RemoveAt(i);
  }
  return Remove(id);  // not at that time: fall back to a scan
}

bool Timeline::RemoveAt(size_t index) {
  auto it = entries_.begin() + static_cast<ptrdiff_t>(index);
  const Instant at = it->at;
  for (uint32_t bits = it->label_bits; bits != 0; bits &= bits - 1) EraseOne(label_times_[std::countr_zero(bits)], at);
  if (!it->reply) EraseOne(post_times_, at);
  if (it->text_hash != 0) RemoveText(it->text_hash, at);
  times_.erase(times_.begin() + static_cast<ptrdiff_t>(index));
  entries_.erase(it);
  return true;
}

std::span<const Instant> Timeline::times(int bit) const {
  if (bit < 0) return times_;
  return label_times_[bit];
}

const TimelineEntry* Timeline::EntryAt(Instant at, int bit) const {
  auto i = std::lower_bound(times_.begin(), times_.end(), at) - times_.begin();
  for (; i < static_cast<ptrdiff_t>(times_.size()) && times_[i] == at; ++i) {
    if (bit < 0 || (entries_[i].label_bits >> bit) & 1u) return &entries_[i];
  }
  return nullptr;
}

std::string Mention(Holder holder, std::string_view id) {
  switch (holder) {
    case Holder::kPost: {
      std::string out = "post ";
      out += id;
      return out;
    }
    case Holder::kHeld:
      return "a post being created";
    case Holder::kProbe:
      return "another suggested slot";
  }
  return "a post";
}

void Timeline::InsertText(uint64_t hash, Instant at) {
  if (2 * (text_count_ + 1) > text_slots_.size()) {
    // Re-insert from a free slot onwards, so every probe run is met from its
    // start and the posts of one text keep their order.
    std::vector<TextSlot> old(std::max<size_t>(16, 2 * text_slots_.size()));
    old.swap(text_slots_);
    text_count_ = 0;
    size_t start = 0;
    while (start < old.size() && old[start].hash != 0) ++start;
    for (size_t k = 0; k < old.size(); ++k) {
      const TextSlot& slot = old[(start + k) % old.size()];
      if (slot.hash != 0) InsertText(slot.hash, slot.at);
    }
  }
  const size_t mask = text_slots_.size() - 1;
  size_t i = hash & mask;
  while (text_slots_[i].hash != 0) i = (i + 1) & mask;
  text_slots_[i] = {hash, at};
  ++text_count_;
}

void Timeline::RemoveText(uint64_t hash, Instant at) {
  if (text_slots_.empty()) return;
  const size_t mask = text_slots_.size() - 1;
  size_t hole = hash & mask;
  while (text_slots_[hole].hash != 0 && !(text_slots_[hole].hash == hash && text_slots_[hole].at == at))
    hole = (hole + 1) & mask;
  if (text_slots_[hole].hash == 0) return;
  // Backward-shift deletion: a later slot of the run moves into the hole
  // unless its home lies after the hole (cyclically), so no run is broken.
  for (size_t j = (hole + 1) & mask; text_slots_[j].hash != 0; j = (j + 1) & mask) {
    const size_t home = text_slots_[j].hash & mask;
    const bool home_after_hole = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (home_after_hole) continue;
    text_slots_[hole] = text_slots_[j];
    hole = j;
  }
  text_slots_[hole] = {};
  --text_count_;
}

std::optional<Instant> Timeline::FirstWithText(uint64_t hash, Instant after, Instant before) const {
  if (text_slots_.empty()) return std::nullopt;
  const size_t mask = text_slots_.size() - 1;
  for (size_t i = hash & mask; text_slots_[i].hash != 0; i = (i + 1) & mask) {
    const TextSlot& slot = text_slots_[i];
    if (slot.hash == hash && after < slot.at && slot.at < before) return slot.at;
  }
  return std::nullopt;
}

size_t Timeline::Count(Instant from, Instant to, int bit, bool with_replies) const {
  auto v = bit < 0 && !with_replies ? posts() : times(bit);
  if (to <= from) return 0;
  return std::lower_bound(v.begin(), v.end(), to) - std::lower_bound(v.begin(), v.end(), from);
}

uint64_t TextHash(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  if (text.empty()) return 0;
  // Eight bytes at a time, each A-Z lowered in place: a byte is upper case when
  // it is below 0x80 and its low seven bits are in [0x41, 0x5A]; adding to the
  // seven bits sets the high bit of each byte without carrying into the next.
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = kOnes * 0x80, kSeven = kOnes * 0x7F;
  auto lower = [&](uint64_t w) {
    const uint64_t low = w & kSeven;
    const uint64_t upper = (low + kOnes * (0x80 - 'A')) & ~(low + kOnes * (0x80 - 'Z' - 1)) & ~w & kHigh;
    return w | (upper >> 2);
  };
  auto mix = [](uint64_t h) {  // MurmurHash3's finaliser
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
  };
  uint64_t h = 0x9e3779b97f4a7c15ull ^ text.size();
  size_t k = 0;
  for (; k + 8 <= text.size(); k += 8) {
    uint64_t w;
    std::memcpy(&w, text.data() + k, 8);
    h = (h ^ lower(w)) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
  }
  if (k < text.size()) {
    uint64_t w = 0;
    std::memcpy(&w, text.data() + k, text.size() - k);
    h = (h ^ lower(w)) * 0x9e3779b97f4a7c15ull;
  }
  h = mix(h);
  return h == 0 ? 1 : h;
}

}  // namespace herald::scheduler
