// A decision in words: the one-line summary the API, the audit log and
// `herald simulate` show ("deferred 9h30m: quiet_hours 21:00-08:00").
#include "scheduler/governor.h"

#include "scheduler/internal/unworded_reasons.h"

namespace herald::scheduler {

const std::vector<Reason>& Reasons::words() const { return unworded_ ? unworded_->Words() : words_; }

size_t Reasons::size() const { return unworded_ ? unworded_->records.size() : words_.size(); }

void Reasons::push_back(Reason reason) {
  if (unworded_) {
    words_ = unworded_->Words();
    unworded_.reset();
  }
  words_.push_back(std::move(reason));
}

std::string Decision::Summary() const {
  std::string out;
  if (!placed()) {
    out = "refused";
  } else if (!planned_at || *planned_at == requested_at) {
    out = "on time";
  } else {
    out = "deferred " + FormatDuration(*planned_at - requested_at);
  }
  for (size_t i = 0; i < reasons.size(); ++i) {
    out += i == 0 ? ": " : "; ";
    out += reasons[i].rule;
    if (!reasons[i].detail.empty()) {
      // Content refusals read "content.banned_term: \"RivalCorp\"", deferrals
      // "min_spacing 45m after post 812".
      out += reasons[i].rule.starts_with("content.") ? ": " : " ";
      out += reasons[i].detail;
    }
  }
  return out;
}

}  // namespace herald::scheduler
