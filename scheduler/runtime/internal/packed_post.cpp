#include "scheduler/runtime/internal/packed_post.h"

#include <cstring>

namespace herald::runtime::internal {
namespace {

// Most fields are empty or small: a varint spends one byte on them.
class Writer {
 public:
  void Unsigned(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Signed(int64_t v) { Unsigned((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void Text(std::string_view s) {
    Unsigned(s.size());
    out_.append(s);
  }
  void At(Instant t) { Signed(t.time_since_epoch().count()); }
  void MaybeAt(const std::optional<Instant>& t) {
    Unsigned(t ? 1 : 0);
    if (t) At(*t);
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

// Reads what Writer wrote; the bytes are the book's own, so they are trusted.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  uint64_t Unsigned() {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      auto byte = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
  }
  int64_t Signed() {
    uint64_t u = Unsigned();
    return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  }
  std::string Text() {
    size_t n = Unsigned();
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  Instant At() { return Instant{std::chrono::seconds{Signed()}}; }
  std::optional<Instant> MaybeAt() {
    if (Unsigned() == 0) return std::nullopt;
    return At();
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

PackedPost::PackedPost(const Post& p, const std::string* organization, const std::string* account)
    : organization_(organization), account_(account), planned_at_(p.planned_at.value_or(Instant::min())),
      state_(p.state) {
  Writer w;
  w.Text(p.author);
  w.Text(p.text);
  w.Unsigned(p.labels.size());
  for (const auto& l : p.labels) w.Text(l);
  w.Unsigned(static_cast<uint64_t>(p.priority));
  w.Unsigned(p.media.size());
  for (const auto& m : p.media) {
    w.Text(m.url);
    w.Text(m.alt);
  }
  w.Unsigned(p.answers_item ? 1 : 0);
  if (p.answers_item) w.Signed(*p.answers_item);
  w.Text(p.reply_to);
  w.At(p.requested_at);
  w.Unsigned(p.reasons.size());
  for (const auto& r : p.reasons) {
    w.Text(r.rule);
    w.Text(r.detail);
    w.Unsigned(r.posts.size());
    for (const auto& id : r.posts) w.Text(id);
  }
  w.Text(p.approved_by);
  w.Text(p.remote_id);
  w.Text(p.remote_url);
  w.MaybeAt(p.published_at);
  w.Text(p.failure);
  w.At(p.created_at);
  w.At(p.updated_at);
  w.Signed(p.version);
  w.Signed(p.change_seq);
  w.Text(p.claimed_by);
  w.MaybeAt(p.unconfirmed_since);
  w.MaybeAt(p.recheck_at);
  w.Signed(p.rechecks);
  const std::string& out = w.bytes();
  size_ = static_cast<uint32_t>(out.size());
  bytes_ = std::make_unique_for_overwrite<char[]>(size_);
  std::memcpy(bytes_.get(), out.data(), size_);
}

std::optional<Instant> PackedPost::planned_at() const {
  if (planned_at_ == Instant::min()) return std::nullopt;
  return planned_at_;
}

Post PackedPost::Unpack(int64_t id) const {
  Reader r(std::string_view(bytes_.get(), size_));
  Post p;
  p.id = id;
  p.organization = *organization_;
  p.account = *account_;
  p.state = state_;
  p.author = r.Text();
  p.text = r.Text();
  p.labels.resize(r.Unsigned());
  for (auto& l : p.labels) l = r.Text();
  p.priority = static_cast<PostPriority>(r.Unsigned());
  p.media.resize(r.Unsigned());
  for (auto& m : p.media) {
    m.url = r.Text();
    m.alt = r.Text();
  }
  if (r.Unsigned() != 0) p.answers_item = r.Signed();
  p.reply_to = r.Text();
  p.requested_at = r.At();
  p.planned_at = planned_at();
  p.reasons.resize(r.Unsigned());
  for (auto& reason : p.reasons) {
    reason.rule = r.Text();
    reason.detail = r.Text();
    reason.posts.resize(r.Unsigned());
    for (auto& post : reason.posts) post = r.Text();
  }
  p.approved_by = r.Text();
  p.remote_id = r.Text();
  p.remote_url = r.Text();
  p.published_at = r.MaybeAt();
  p.failure = r.Text();
  p.created_at = r.At();
  p.updated_at = r.At();
  p.version = r.Signed();
  p.change_seq = r.Signed();
  p.claimed_by = r.Text();
  p.unconfirmed_since = r.MaybeAt();
  p.recheck_at = r.MaybeAt();
  p.rechecks = static_cast<int>(r.Signed());
  return p;
}

}  // namespace herald::runtime::internal
