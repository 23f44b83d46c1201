#include "scheduler/runtime/internal/periodic_round.h"

#include <boost/asio/post.hpp>

namespace herald::runtime::internal {

PeriodicRound::PeriodicRound(boost::asio::io_context& io, boost::asio::thread_pool& pool,
                             std::chrono::milliseconds every, std::function<void()> round)
    : timer_(io), pool_(pool), every_(every), round_(std::move(round)) {}

void PeriodicRound::Start() {
  boost::asio::post(timer_.get_executor(), [this] { Arm(); });
}

void PeriodicRound::Stop() {
  stopping_ = true;
  boost::asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
}

void PeriodicRound::Arm() {
  if (stopping_) return;
  timer_.expires_after(every_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    if (!running_.exchange(true)) {
      boost::asio::post(pool_, [this] {
        round_();
        running_ = false;
      });
    }
    Arm();
  });
}

}  // namespace herald::runtime::internal
