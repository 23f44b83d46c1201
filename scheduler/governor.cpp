#include "scheduler/governor.h"

#include "policies/content.h"
#include "scheduler/internal/search.h"

namespace herald::scheduler {

Governor::Governor(policies::AccountRules rules)
    : rules_(std::make_shared<const policies::AccountRules>(std::move(rules))),
      content_(rules_->content, rules_->length) {
  auto add = [&](const std::string& label) {
    if (label.empty() || BitOf(label) >= 0) return;
    if (label_names_.size() < static_cast<size_t>(Timeline::kMaxLabels)) label_names_.push_back(label);
  };
  for (const auto& c : rules_->caps) add(c.label);
  if (rules_->ramp_up) {
    for (const auto& c : rules_->ramp_up->caps) add(c.label);
  }
  for (const auto& m : rules_->mix) add(m.label);
  auto bit = [&](const std::string& label) { return label.empty() ? -1 : BitOf(label); };
  for (const auto& c : rules_->caps) cap_bits_.push_back(bit(c.label));
  if (rules_->ramp_up) {
    for (const auto& c : rules_->ramp_up->caps) ramp_cap_bits_.push_back(bit(c.label));
  }
  for (const auto& m : rules_->mix) mix_bits_.push_back(bit(m.label));
}

int Governor::BitOf(const std::string& label) const {
  for (size_t i = 0; i < label_names_.size(); ++i)
    if (label_names_[i] == label) return static_cast<int>(i);
  return -1;
}

uint32_t Governor::LabelBits(const std::vector<std::string>& labels) const {
  uint32_t bits = 0;
  for (const auto& l : labels) {
    int b = BitOf(l);
    if (b >= 0) bits |= 1u << b;
  }
  return bits;
}

TimelineEntry Governor::EntryFor(const PostRequest& post, Instant at) const {
  const bool reply = post.kind == PostKind::kReply;
  return TimelineEntry{post.id,
                       at,
                       reply ? 0u : LabelBits(post.labels),
                       post.priority == Priority::kUrgent,
                       post.holder,
                       rules_->content.duplicate_window && !reply ? TextHash(post.text) : 0,
                       reply};
}

std::vector<Reason> Governor::CheckContent(const Timeline& timeline, const PostRequest& post) const {
  std::vector<Reason> out;
  for (auto& f : content_.Check(post.text)) {
    out.push_back({std::move(f.rule), std::move(f.detail), {}});
  }
  if (rules_->needs_media && post.media_count == 0) {
    out.push_back({"content.media", rules_->platform + " posts need an image; add media", {}});
  }
  if (rules_->content.duplicate_window && out.empty() && post.kind != PostKind::kReply) {
    const Duration w = *rules_->content.duplicate_window;
    if (auto at = timeline.FirstWithText(TextHash(post.text), post.requested_at - w, post.requested_at + w)) {
      const TimelineEntry* other = timeline.EntryAt(*at);
      std::vector<std::string> posts;
      if (other && other->holder == Holder::kPost) posts.push_back(other->id);
      out.push_back({"content.duplicate",
                     "same text as " + (other ? Mention(*other) : std::string("a post")) + " within " +
                         FormatDuration(w),
                     std::move(posts)});
    }
  }
  return out;
}

Decision Governor::Place(const Timeline& timeline, const PostRequest& post,
                         std::span<const BlockedSpan> blocked) const {
  auto refusals = CheckContent(timeline, post);
  if (refusals.empty()) return Schedule(timeline, post, blocked);
  Decision d;
  d.requested_at = post.requested_at;
  d.outcome = Decision::Outcome::kRefused;
  d.content_refusal = true;
  d.reasons = std::move(refusals);
  return d;
}

Decision Governor::Schedule(const Timeline& timeline, const PostRequest& post,
                            std::span<const BlockedSpan> blocked) const {
  Decision d;
  d.requested_at = post.requested_at;
  Search search(*this, timeline, post, blocked);
  Instant postponed_to = post.requested_at;
  for (const auto& span : blocked) {
    if (span.from <= postponed_to && postponed_to < span.until) postponed_to = span.until;
  }
  const Instant limit = postponed_to + rules_->max_delay;
  Instant t = post.requested_at;
  while (true) {
    auto next = search.Check(t);
    if (!next) {
      d.planned_at = t;
      break;
    }
    if (*next > limit) {
      d.outcome = Decision::Outcome::kRefused;
      break;
    }
    t = *next;
  }
  if (!d.placed()) search.RefuseForMaxDelay();
  d.reasons = search.TakeUnworded();
  return d;
}

std::vector<Reason> Governor::Violations(const Timeline& timeline, const PostRequest& post, Instant at) const {
  Search search(*this, timeline, post);
  search.Check(at);
  return search.TakeReasons();
}

}  // namespace herald::scheduler
