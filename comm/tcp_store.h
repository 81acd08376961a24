// A key-value store over TCP for Gloo's rendezvous across machines: Debian's Gloo (0.0~git20220518) has
// FileStore and RedisStore but no TCPStore. Rank 0 serves the keys from memory at MASTER_ADDR:MASTER_PORT
// (a thread per client); every rank, rank 0 included, talks to it as a client, and waits by polling within
// its timeout. Only rendezvous data goes through it (addresses, world sizes, NCCL's unique id), so
// simplicity beats speed here.
#ifndef VQ4J_COMM_TCP_STORE_H
#define VQ4J_COMM_TCP_STORE_H

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gloo/rendezvous/store.h>

namespace vq4j {

// Rank 0's half: listens on port (all interfaces), until destroyed.
class TcpStoreServer {
 public:
  explicit TcpStoreServer(int port);  // throws std::runtime_error when the port cannot be bound
  ~TcpStoreServer();
  TcpStoreServer(const TcpStoreServer&) = delete;
  TcpStoreServer& operator=(const TcpStoreServer&) = delete;

 private:
  void accept_loop();
  void serve(int fd);

  int listen_fd_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;  // guards data_ and clients_
  std::map<std::string, std::vector<char>> data_;
  std::vector<int> clients_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

// Every rank's half. Connecting retries until the timeout, so ranks may start in any order; the local
// address of the connection is the interface that reaches the master, which the Gloo mesh then listens on.
class TcpStore : public gloo::rendezvous::Store {
 public:
  TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout);
  ~TcpStore() override;
  void set(const std::string& key, const std::vector<char>& data) override;
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys) override { wait(keys, timeout_); }
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override;
  // The numeric address of this end of the connection ("10.0.0.7").
  const std::string& local_address() const { return local_address_; }

 private:
  bool lookup(const std::string& key, std::vector<char>* value);

  std::string endpoint_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string local_address_;
  std::mutex mutex_;  // one request at a time on the connection
};

}  // namespace vq4j

#endif
