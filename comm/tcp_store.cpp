#include "tcp_store.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace vq4j {
namespace {

// Requests: op byte, u32 key length, key, [u32 value length, value]. Replies: SET -> 1 byte; GET -> found
// byte, then u32 length and value when found.
constexpr char kSet = 'S';
constexpr char kGet = 'G';
// Each connection starts with this greeting, echoed by the server: something else listening at
// MASTER_ADDR:MASTER_PORT (or a network that accepts every connection) is then told apart from rank 0.
constexpr char kHello[8] = {'v', 'q', '4', 'j', 's', 't', 'o', '1'};

bool send_all(int fd, const void* data, size_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    ssize_t n = ::send(fd, p, bytes, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    bytes -= static_cast<size_t>(n);
  }
  return true;
}

bool recv_all(int fd, void* data, size_t bytes) {
  char* p = static_cast<char*>(data);
  while (bytes > 0) {
    ssize_t n = ::recv(fd, p, bytes, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    bytes -= static_cast<size_t>(n);
  }
  return true;
}

bool send_blob(int fd, const char* data, size_t bytes) {
  uint32_t n = htonl(static_cast<uint32_t>(bytes));
  return send_all(fd, &n, sizeof n) && send_all(fd, data, bytes);
}

bool recv_blob(int fd, std::string* out) {
  uint32_t n = 0;
  if (!recv_all(fd, &n, sizeof n)) return false;
  out->resize(ntohl(n));
  return recv_all(fd, out->data(), out->size());
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// One connection attempt bounded by the time left; -1 with *error set when it fails.
int connect_once(const std::string& host, int port, std::chrono::milliseconds left, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    *error = std::string("cannot resolve host: ") + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      *error = errno_text("socket");
      continue;
    }
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int ms = static_cast<int>(std::max<long long>(1, std::min<long long>(left.count(), 1000)));
      rc = ::poll(&p, 1, ms) == 1 ? 0 : -1;
      if (rc != 0) errno = ETIMEDOUT;
      int so_error = 0;
      socklen_t len = sizeof so_error;
      if (rc == 0 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) == 0 && so_error != 0) {
        errno = so_error;
        rc = -1;
      }
      sockaddr_storage peer{};
      socklen_t peer_len = sizeof peer;
      if (rc == 0 && ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) {
        errno = ECONNREFUSED;  // poll woke without a connection (some networks answer that way)
        rc = -1;
      }
    }
    if (rc != 0) {
      *error = errno_text("connect");
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return -1;
  int flags = 0;  // back to blocking for the request/reply exchanges, each bounded by the timeout
  ::ioctl(fd, FIONBIO, &flags);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const long long ms = std::max<long long>(1, left.count());
  timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>(ms % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  char echo[sizeof kHello] = {};
  if (!send_all(fd, kHello, sizeof kHello) || !recv_all(fd, echo, sizeof echo) ||
      std::memcmp(echo, kHello, sizeof echo) != 0) {
    *error = "something answered, but not a vq4j rendezvous (rank 0)";
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TcpStoreServer::TcpStoreServer(int port) {
  listen_fd_ = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool v6 = listen_fd_ >= 0;
  if (!v6) listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(errno_text("socket"));
  int one = 1, zero = 0;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc;
  if (v6) {
    ::setsockopt(listen_fd_, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);  // IPv4 clients too
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_any;
    addr.sin6_port = htons(static_cast<uint16_t>(port));
    rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  if (rc != 0 || ::listen(listen_fd_, 128) != 0) {
    std::string message = errno_text(("cannot listen on MASTER_PORT " + std::to_string(port)).c_str());
    ::close(listen_fd_);
    throw std::runtime_error(message);
  }
  acceptor_ = std::thread([this] { accept_loop(); });
}

TcpStoreServer::~TcpStoreServer() {
  stop_ = true;
  acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int fd : clients_) ::shutdown(fd, SHUT_RDWR);  // wakes each serve() out of its recv
  }
  for (std::thread& t : threads_) t.join();
  for (int fd : clients_) ::close(fd);
  ::close(listen_fd_);
}

void TcpStoreServer::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) != 1) continue;  // wakes every 100 ms to see stop_
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard<std::mutex> lock(mutex_);
    clients_.push_back(fd);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void TcpStoreServer::serve(int fd) {
  char hello[sizeof kHello] = {};
  if (!recv_all(fd, hello, sizeof hello) || std::memcmp(hello, kHello, sizeof hello) != 0 ||
      !send_all(fd, kHello, sizeof kHello))
    return;
  for (;;) {
    char op = 0;
    std::string key, value;
    if (!recv_all(fd, &op, 1) || !recv_blob(fd, &key)) return;
    if (op == kSet) {
      if (!recv_blob(fd, &value)) return;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        data_[key].assign(value.begin(), value.end());
      }
      char ok = 1;
      if (!send_all(fd, &ok, 1)) return;
    } else if (op == kGet) {
      std::vector<char> found;
      char present = 0;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = data_.find(key);
        if (it != data_.end()) {
          found = it->second;
          present = 1;
        }
      }
      if (!send_all(fd, &present, 1)) return;
      if (present && !send_blob(fd, found.data(), found.size())) return;
    } else {
      return;  // not a vq4j client: drop it
    }
  }
}

TcpStore::TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout)
    : endpoint_("tcp://" + host + ":" + std::to_string(port)), timeout_(timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string error = "no attempt made";
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                      std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    fd_ = connect_once(host, port, left, &error);
    if (fd_ >= 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the master may not listen yet
  }
  if (fd_ < 0)
    throw std::runtime_error("cannot reach the rendezvous " + endpoint_ + " (MASTER_ADDR:MASTER_PORT) within " +
                             std::to_string(timeout.count()) + " ms; last attempt: " + error);
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  char text[INET6_ADDRSTRLEN] = "127.0.0.1";
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
    if (local.ss_family == AF_INET)
      ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&local)->sin_addr, text, sizeof text);
    else
      ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr, text, sizeof text);
  }
  local_address_ = text;
  // A master that dies mid-request must not hang us: every reply is bounded by the timeout too.
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

TcpStore::~TcpStore() {
  if (fd_ >= 0) ::close(fd_);
}

void TcpStore::set(const std::string& key, const std::vector<char>& data) {
  std::lock_guard<std::mutex> lock(mutex_);
  char ok = 0;
  if (!send_all(fd_, &kSet, 1) || !send_blob(fd_, key.data(), key.size()) ||
      !send_blob(fd_, data.data(), data.size()) || !recv_all(fd_, &ok, 1))
    throw std::runtime_error(errno_text(("rendezvous " + endpoint_ + " lost while setting " + key).c_str()));
}

bool TcpStore::lookup(const std::string& key, std::vector<char>* value) {
  std::lock_guard<std::mutex> lock(mutex_);
  char present = 0;
  std::string blob;
  if (!send_all(fd_, &kGet, 1) || !send_blob(fd_, key.data(), key.size()) || !recv_all(fd_, &present, 1) ||
      (present && !recv_blob(fd_, &blob)))
    throw std::runtime_error(errno_text(("rendezvous " + endpoint_ + " lost while reading " + key).c_str()));
  if (present) value->assign(blob.begin(), blob.end());
  return present != 0;
}

std::vector<char> TcpStore::get(const std::string& key) {
  wait({key}, timeout_);
  std::vector<char> value;
  lookup(key, &value);
  return value;
}

void TcpStore::wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<char> ignored;
  for (const std::string& key : keys) {
    while (!lookup(key, &ignored)) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("timed out after " + std::to_string(timeout.count()) + " ms waiting for " +
                                 key + " at the rendezvous " + endpoint_);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

}  // namespace vq4j
