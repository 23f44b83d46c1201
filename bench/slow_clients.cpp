// herald-slow-clients: slow clients against a running `herald serve`.
//
//   herald-slow-clients --port P --token T --account A [--slow 500] [--seconds 30]
//
// Keeps `--slow` connections open that each send a request head one header
// line per second and never finish it (a closed one is opened again, as an
// attacker would), while one normal client alternates `GET /healthz` and
// `POST /v1/posts` on a keep-alive connection. Prints the normal client's
// latency percentiles per request kind, its failures, and how long the server
// let each slow connection live before closing it. bench/run-slow-clients
// starts a daemon and runs it.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono;

namespace {

struct Args {
  int port = 8080;
  std::string token;
  std::string account = "acme-mastodon";
  int slow = 500;
  int seconds = 30;
};

struct Slow {
  int fd = -1;
  steady_clock::time_point opened;
  steady_clock::time_point next_line;
  int lines = 0;
};

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void Trickle(const Args& args, std::atomic<bool>& stop, std::vector<double>& lifetimes, int& opened) {
  std::vector<Slow> conns(static_cast<size_t>(args.slow));
  auto open = [&](Slow& c, steady_clock::time_point now, int index) {
    c.fd = Connect(args.port);
    c.opened = now;
    // Spread the lines over the second so the server sees a steady trickle.
    c.next_line = now + milliseconds(index * 1000 / std::max(1, args.slow));
    c.lines = 0;
    if (c.fd >= 0) ++opened;
  };
  for (int i = 0; i < args.slow; ++i) open(conns[static_cast<size_t>(i)], steady_clock::now(), i);
  std::vector<pollfd> fds(conns.size());
  while (!stop) {
    auto now = steady_clock::now();
    for (size_t i = 0; i < conns.size(); ++i) {
      Slow& c = conns[i];
      if (c.fd < 0) {
        open(c, now, static_cast<int>(i));
        continue;
      }
      if (now < c.next_line) continue;
      std::string line = c.lines == 0 ? "GET /healthz HTTP/1.1\r\n" : "X-Slow-" + std::to_string(c.lines) + ": 1\r\n";
      ::send(c.fd, line.data(), line.size(), MSG_NOSIGNAL);
      ++c.lines;
      c.next_line += seconds(1);
    }
    for (size_t i = 0; i < conns.size(); ++i) fds[i] = pollfd{conns[i].fd, POLLIN | POLLRDHUP, 0};
    ::poll(fds.data(), fds.size(), 20);
    now = steady_clock::now();
    for (size_t i = 0; i < conns.size(); ++i) {
      if (conns[i].fd < 0 || fds[i].revents == 0) continue;
      // Whatever the server sent (a 408, or nothing), the connection is over.
      char buf[512];
      while (::recv(conns[i].fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
      }
      lifetimes.push_back(duration<double>(now - conns[i].opened).count());
      ::close(conns[i].fd);
      conns[i].fd = -1;
    }
  }
  for (auto& c : conns) {
    if (c.fd >= 0) ::close(c.fd);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") args.port = std::stoi(v);
    else if (k == "--token") args.token = v;
    else if (k == "--account") args.account = v;
    else if (k == "--slow") args.slow = std::stoi(v);
    else if (k == "--seconds") args.seconds = std::stoi(v);
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  std::atomic<bool> stop{false};
  std::vector<double> lifetimes;
  int opened = 0;
  std::thread trickler([&] { Trickle(args, stop, lifetimes, opened); });
  std::this_thread::sleep_for(seconds(2));  // all slow connections open first

  httplib::Client client("127.0.0.1", args.port);
  client.set_keep_alive(true);
  client.set_connection_timeout(30, 0);
  client.set_read_timeout(30, 0);
  httplib::Headers auth{{"Authorization", "Bearer " + args.token}};
  std::map<std::string, std::vector<double>> latency_ms;
  std::map<std::string, int> failures;
  std::map<int, int> statuses;
  std::map<int, std::string> first_body;  // the first answer of each status other than 200/201
  auto end = steady_clock::now() + seconds(args.seconds);
  for (int n = 0; steady_clock::now() < end; ++n) {
    bool health = n % 2 == 0;
    std::string kind = health ? "GET /healthz" : "POST /v1/posts";
    auto t0 = steady_clock::now();
    auto r = health ? client.Get("/healthz")
                    : client.Post("/v1/posts", auth,
                                  R"({"account":")" + args.account + R"(","text":"slow bench )" + std::to_string(n) +
                                      R"(","at":"2027-01-01T00:00:00Z"})",
                                  "application/json");
    double ms = duration<double, std::milli>(steady_clock::now() - t0).count();
    if (!r) {
      ++failures[kind];
    } else {
      latency_ms[kind].push_back(ms);
      ++statuses[r->status];
      if (r->status != 200 && r->status != 201 && !first_body.contains(r->status)) first_body[r->status] = r->body;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  stop = true;
  trickler.join();

  std::printf("slow connections: %d kept open, %d opened in all, %zu closed by the server\n", args.slow, opened,
              lifetimes.size());
  if (!lifetimes.empty()) {
    std::printf("slow connection lifetime: min %.2f s, p50 %.2f s, max %.2f s\n", Percentile(lifetimes, 0),
                Percentile(lifetimes, 0.5), Percentile(lifetimes, 1));
  }
  for (const char* kind : {"GET /healthz", "POST /v1/posts"}) {
    const auto& v = latency_ms[kind];
    std::printf("%-15s %5zu answered, %3d failed: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", kind, v.size(),
                failures[kind], Percentile(v, 0.5), Percentile(v, 0.99), Percentile(v, 1));
  }
  std::printf("statuses:");
  for (const auto& [status, count] : statuses) std::printf(" %d×%d", status, count);
  std::printf("\n");
  for (const auto& [status, body] : first_body) std::printf("first %d: %s\n", status, body.c_str());
  return 0;
}
