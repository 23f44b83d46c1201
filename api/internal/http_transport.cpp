#include "api/internal/http_transport.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace herald::api::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// A slow reader of an event stream may fall this far behind before it is cut off.
constexpr size_t kMaxQueuedStreamBytes = 1024 * 1024;
// After an answer that ends a connection, how long unread request bytes are
// drained so the close does not reset the answer away.
constexpr std::chrono::seconds kLinger{2};

httplib::Request ToRequest(http::request<http::string_body>&& msg, const tcp::endpoint& peer) {
  httplib::Request r;
  r.method = std::string(msg.method_string());
  r.target = std::string(msg.target());
  auto q = r.target.find('?');
  r.path = httplib::detail::decode_url(r.target.substr(0, q), false);
  if (q != std::string::npos) httplib::detail::parse_query_text(r.target.substr(q + 1), r.params);
  for (const auto& field : msg) r.headers.emplace(std::string(field.name_string()), std::string(field.value()));
  r.body = std::move(msg.body());
  error_code ec;
  r.remote_addr = peer.address().to_string(ec);
  r.remote_port = peer.port();
  r.version = msg.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
  return r;
}

}  // namespace

class HttpTransport::Impl {
 public:
  class Session;
  class Stream;

  Impl(TransportOptions options, TransportHandler handler)
      : options_(options), handler_(std::move(handler)), pool_(static_cast<size_t>(std::max(1, options.threads))) {}
  ~Impl() { Stop(); }

  Result<void> Start(ListenSocket socket);
  void Stop();
  void Accept();
  void OnAccept(error_code ec, tcp::socket socket);

  const TransportOptions options_;
  const TransportHandler handler_;
  std::atomic<size_t> connections_{0};  // sessions alive, refused ones not counted
  std::atomic<size_t> refusing_{0};     // connections being told 503
  std::atomic<int> in_flight_{0};       // requests from read to answer written
  std::atomic<bool> stopping_{false};
  std::mutex sessions_mu_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;  // guarded by sessions_mu_
  // Declared after what sessions touch in their destructors: destroying the
  // loop destroys the sessions its pending operations still hold.
  asio::io_context io_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  tcp::acceptor acceptor_{io_};
  asio::steady_timer accept_retry_{io_};
  // Handlers; declared last so that it goes first, while the loop that owns
  // the sockets of the sessions its queued work holds still exists.
  asio::thread_pool pool_;
  std::thread io_thread_;
  std::mutex stop_mu_;  // serialises Stop()
  bool stopped_ = false;  // guarded by stop_mu_
};

// Pushes bytes of a streamed answer through its session's strand.
class HttpTransport::Impl::Stream : public EventStream {
 public:
  explicit Stream(std::weak_ptr<Session> session) : session_(std::move(session)) {}
  bool Send(std::string bytes) override;
  void Close() override;
  size_t Unsent() const override { return posted_.load() - written_.load(); }
  std::atomic<bool> closed_{false};
  std::atomic<size_t> posted_{0};   // bytes handed to the session, the head included
  std::atomic<size_t> written_{0};  // bytes the socket took

 private:
  std::weak_ptr<Session> session_;
};

class HttpTransport::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& impl, tcp::socket socket, bool refuse)
      : impl_(impl), stream_(std::move(socket)), refuse_(refuse) {
    error_code ec;
    peer_ = stream_.socket().remote_endpoint(ec);
    stream_.socket().set_option(tcp::no_delay(true), ec);
  }
  ~Session() {
    if (stream_events_) stream_events_->closed_ = true;
    if (refuse_) {
      --impl_.refusing_;
      return;
    }
    --impl_.connections_;
    std::lock_guard lock(impl_.sessions_mu_);
    impl_.sessions_.erase(this);
  }

  void Begin() {
    if (refuse_) {
      Problem p = MakeProblem(503, "too-many-connections",
                              "the server has too many open connections; retry in a second");
      ApiResponse answer = ProblemResponse(p);
      answer.headers.emplace_back("Retry-After", "1");
      return Respond(std::move(answer), false);
    }
    ReadNext();
  }

  // On the session's executor: cut the connection (Stop, a broken stream).
  void Shut() {
    if (stream_events_) stream_events_->closed_ = true;
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  void Enqueue(std::string bytes) {
    if (done_) return;
    queued_bytes_ += bytes.size();
    if (queued_bytes_ > kMaxQueuedStreamBytes) return Shut();
    queue_.push_back(std::move(bytes));
    if (!writing_) WriteQueued();
  }

  // Everything queued was written: the stream ends with the connection.
  void Finish() {
    finish_ = true;
    if (!writing_ && queue_.empty()) Shut();
  }

  beast::tcp_stream& stream() { return stream_; }

 private:
  void ReadNext() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(impl_.options_.max_header_bytes));
    body_limit_ = impl_.options_.max_body_bytes;
    // With limits per route, the head is read first without one: the parser
    // would refuse a Content-Length over the default before the route is known.
    if (impl_.options_.body_limit_for) parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    else parser_->body_limit(body_limit_);
    // One deadline for the wait, the head and the body together.
    stream_.expires_after(impl_.options_.request_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](error_code ec, size_t) {
      if (ec) return self->OnRead(ec);
      // The head says where the body goes; some routes take larger bodies.
      if (self->impl_.options_.body_limit_for) {
        auto target = self->parser_->get().target();
        self->body_limit_ = self->impl_.options_.body_limit_for(std::string_view(target.data(), target.size()));
        self->parser_->body_limit(self->body_limit_);
        auto declared = self->parser_->content_length();
        if (declared && *declared > self->body_limit_) return self->OnRead(http::error::body_limit);
      }
      http::async_read(self->stream_, self->buffer_, *self->parser_,
                       [self](error_code ec2, size_t) { self->OnRead(ec2); });
    });
  }

  void OnRead(error_code ec) {
    if (ec == http::error::body_limit) {
      return Refuse(413, "too-large", "the request body is larger than " + std::to_string(body_limit_) +
                                          " bytes; send a smaller post");
    }
    if (ec == http::error::header_limit) {
      return Refuse(431, "header-too-large", "the request head is larger than " +
                                                 std::to_string(impl_.options_.max_header_bytes) + " bytes");
    }
    if (ec && ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      return Refuse(400, "bad-request", "the request could not be read as HTTP");
    }
    // Timeouts, resets, a client that hung up: nobody to answer.
    if (ec) return Shut();
    auto msg = parser_->release();
    bool keep = msg.keep_alive() && ++served_ < impl_.options_.max_requests_per_connection && !impl_.stopping_;
    head_ = msg.method() == http::verb::head;
    auto request = std::make_shared<httplib::Request>(ToRequest(std::move(msg), peer_));
    stream_.expires_never();
    ++impl_.in_flight_;
    asio::post(impl_.pool_, [self = shared_from_this(), request, keep] {
      ApiResponse answer;
      try {
        answer = self->impl_.handler_(*request);
      } catch (const std::exception& e) {
        answer = StatusResponse(Status(Code::kInternal, e.what()));
      }
      asio::dispatch(self->stream_.get_executor(), [self, answer = std::move(answer), keep]() mutable {
        --self->impl_.in_flight_;
        self->Respond(std::move(answer), keep);
      });
    });
  }

  void Refuse(int status, std::string slug, std::string detail) {
    Respond(ProblemResponse(MakeProblem(status, std::move(slug), std::move(detail))), false);
  }

  void Respond(ApiResponse answer, bool keep) {
    if (answer.stream) return BeginStream(std::move(answer));
    response_ = {};
    response_.version(11);
    response_.result(static_cast<unsigned>(answer.status));
    response_.set(http::field::content_type, answer.content_type);
    for (const auto& [name, value] : answer.headers) response_.insert(name, value);
    response_.keep_alive(keep);
    size_t length = answer.body.size();
    if (!head_) response_.body() = std::move(answer.body);
    response_.content_length(length);
    ++impl_.in_flight_;
    stream_.expires_after(impl_.options_.write_timeout);
    http::async_write(stream_, response_, [self = shared_from_this(), keep](error_code ec, size_t) {
      --self->impl_.in_flight_;
      if (ec) return self->Shut();
      if (!keep) return self->Linger();
      self->ReadNext();
    });
  }

  // Ends the connection politely: no more answers, then unread request bytes
  // are drained (briefly) so the peer reads the last answer before the close.
  void Linger() {
    done_ = true;
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Shut();
    stream_.expires_after(kLinger);
    Drain();
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](error_code ec, size_t) {
      if (ec) return self->Shut();
      self->Drain();
    });
  }

  void BeginStream(ApiResponse answer) {
    std::string head = "HTTP/1.1 " + std::to_string(answer.status) + " " +
                       std::string(http::obsolete_reason(static_cast<http::status>(answer.status))) +
                       "\r\nContent-Type: " + answer.content_type + "\r\nCache-Control: no-store\r\nConnection: close\r\n";
    for (const auto& [name, value] : answer.headers) head += name + ": " + value + "\r\n";
    head += "\r\n";
    stream_.expires_never();
    stream_events_ = std::make_shared<Stream>(weak_from_this());
    stream_events_->posted_ += head.size();
    // Reads (and drops) until the client goes away, so the stream learns it.
    // Started first: its timer stays "never" while writes arm theirs.
    Drain();
    Enqueue(std::move(head));
    asio::post(impl_.pool_, [events = stream_events_, start = std::move(answer.stream)] { start(events); });
  }

  void WriteQueued() {
    writing_ = true;
    stream_.expires_after(impl_.options_.write_timeout);
    asio::async_write(stream_, asio::buffer(queue_.front()), [self = shared_from_this()](error_code ec, size_t n) {
      self->writing_ = false;
      self->queued_bytes_ -= n;
      if (self->stream_events_) self->stream_events_->written_ += n;
      self->queue_.pop_front();
      if (ec) return self->Shut();
      if (!self->queue_.empty()) return self->WriteQueued();
      self->stream_.expires_never();
      if (self->finish_) self->Shut();
    });
  }

  Impl& impl_;
  beast::tcp_stream stream_;
  tcp::endpoint peer_;
  const bool refuse_;  // only answers 503
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  size_t body_limit_ = 0;  // of the request being read
  http::response<http::string_body> response_;  // kept alive while it is written
  int served_ = 0;
  bool head_ = false;
  bool done_ = false;  // no more answers on this connection
  std::array<char, 1024> scratch_{};
  // Streamed answers: bytes waiting to be written, in order.
  std::shared_ptr<Stream> stream_events_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool finish_ = false;
};

bool HttpTransport::Impl::Stream::Send(std::string bytes) {
  if (closed_) return false;
  auto session = session_.lock();
  if (!session) return false;
  posted_ += bytes.size();
  asio::post(session->stream().get_executor(), [session, bytes = std::move(bytes)]() mutable {
    session->Enqueue(std::move(bytes));
  });
  return true;
}

void HttpTransport::Impl::Stream::Close() {
  auto session = session_.lock();
  if (!session || closed_.exchange(true)) return;
  asio::post(session->stream().get_executor(), [session] { session->Finish(); });
}

Result<void> HttpTransport::Impl::Start(ListenSocket socket) {
  if (!socket.valid()) return Error(Code::kInternal, "no listening socket to serve on");
  error_code ec;
  int fd = socket.Release();
  // Which family the socket has: the acceptor must be told.
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  acceptor_.assign(bound.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
  if (ec) {
    ::close(fd);
    return Error(Code::kInternal, "cannot serve on the listening socket: " + ec.message());
  }
  work_.emplace(io_.get_executor());
  Accept();
  io_thread_ = std::thread([this] { io_.run(); });
  return {};
}

void HttpTransport::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void HttpTransport::Impl::OnAccept(error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || stopping_) return;
  if (!ec) {
    bool refuse = connections_ >= options_.max_connections;
    if (refuse && refusing_ >= options_.max_connections) {
      socket.close(ec);  // a flood: not even a 503
    } else {
      (refuse ? refusing_ : connections_)++;
      auto session = std::make_shared<Session>(*this, std::move(socket), refuse);
      if (!refuse) {
        std::lock_guard lock(sessions_mu_);
        sessions_.emplace(session.get(), session);
      }
      asio::dispatch(session->stream().get_executor(), [session] { session->Begin(); });
    }
  }
  if (ec) {
    // Out of descriptors and the like: try again shortly, without spinning.
    accept_retry_.expires_after(std::chrono::milliseconds(50));
    accept_retry_.async_wait([this](error_code wait) {
      if (!wait && !stopping_) Accept();
    });
    return;
  }
  Accept();
}

void HttpTransport::Impl::Stop() {
  std::lock_guard lock(stop_mu_);
  if (stopped_ || !io_thread_.joinable()) return;
  stopped_ = true;
  stopping_ = true;
  asio::post(io_, [this] {
    error_code ec;
    acceptor_.close(ec);
    accept_retry_.cancel();
  });
  pool_.join();  // handlers running now finish; their answers are queued on the loop
  auto give_up = std::chrono::steady_clock::now() + options_.write_timeout;
  while (in_flight_ > 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard sessions_lock(sessions_mu_);
    for (auto& [raw, weak] : sessions_) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
  }
  for (auto& s : open) asio::post(s->stream().get_executor(), [s] { s->Shut(); });
  open.clear();
  work_.reset();
  io_thread_.join();  // returns once every connection has let go
}

HttpTransport::HttpTransport(TransportOptions options, TransportHandler handler)
    : impl_(std::make_shared<Impl>(options, std::move(handler))) {}
HttpTransport::~HttpTransport() { Stop(); }
Result<void> HttpTransport::Start(ListenSocket socket) { return impl_->Start(std::move(socket)); }
void HttpTransport::Stop() { impl_->Stop(); }
size_t HttpTransport::open_connections() const { return impl_->connections_; }

}  // namespace herald::api::internal
