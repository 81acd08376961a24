// libvq4j_gloo.so: the CPU communicator over Gloo's TCP transport, behind the C table of gloo_api.h.
// Rendezvous: "file:///dir" (Gloo's FileStore: one machine, or a filesystem every machine shares; the
// directory must be fresh for each run) or "tcp://host:port" (tcp_store.h; rank 0 serves it).
#include <gloo/allgather.h>
#include <gloo/allreduce.h>
#include <gloo/allreduce_ring.h>
#include <gloo/barrier.h>
#include <gloo/common/error.h>
#include <gloo/broadcast.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/transport/tcp/device.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <list>
#include <memory>
#include <string>
#include <sys/stat.h>

#include "gloo_api.h"
#include "tcp_store.h"

namespace {

// Gloo's first ring algorithm over a span of the caller's data. It owns its send and receive buffers and reaches
// the data only by memcpy and the reduction, so one instance serves every span of its length.
class SpanSum : public gloo::AllreduceRing<float> {
 public:
  SpanSum(const std::shared_ptr<gloo::Context>& context, int count)
      : gloo::AllreduceRing<float>(context, {nullptr}, count) {}
  void run(float* data) {
    ptrs_[0] = data;
    gloo::AllreduceRing<float>::run();
  }
};

}  // namespace

struct vq4j_gloo {
  int rank = 0;
  int world_size = 1;
  std::chrono::milliseconds timeout{0};
  std::unique_ptr<vq4j::TcpStoreServer> server;  // rank 0 of a tcp:// rendezvous
  std::unique_ptr<gloo::rendezvous::Store> store;
  std::shared_ptr<gloo::rendezvous::Context> context;
  // Two ranks sum over a second connection in Gloo's sync mode: the calling thread reads its socket itself, where
  // the first connection's event-loop thread reads and then wakes the caller, a second wake-up per message. On
  // the 2-core VM, in a loop of 29 ms of compute and a 2.9 MB sum, a step took 32.5 ms this way against 34.9 with
  // gloo::allreduce (whose segmented reduce-scatter and all-gather also make more round trips; bench/RESULTS.md).
  // Sync-mode writes block, and both ranks write before they read, so the data goes in spans no larger than the
  // kernel's socket send buffer can always hold: neither write then waits for the other's read.
  std::shared_ptr<gloo::rendezvous::Context> sync_context;
  int span = 0;
  // Span lengths in use, most recent first. Each instance took slots of sync_context when it was made, so every
  // rank must make and drop them alike: they do, keyed by length alone, as every rank calls the same collectives
  // with the same counts in the same order.
  std::list<std::pair<int, std::unique_ptr<SpanSum>>> span_sums;
};

namespace {

int report(const vq4j_gloo* g, int rank, int world_size, const char* op, const char* what, char* error,
           size_t error_bytes) {
  if (g != nullptr) {
    rank = g->rank;
    world_size = g->world_size;
  }
  std::snprintf(error, error_bytes, "rank %d of %d: %s: %s", rank, world_size, op, what);
  return 1;
}

// Runs body, turning Gloo's exceptions (a peer that closed its connection, a timeout) into a message.
template <typename Body>
int guarded(const vq4j_gloo* g, const char* op, char* error, size_t error_bytes, Body body) {
  try {
    body();
    return 0;
  } catch (const std::exception& e) {
    return report(g, 0, 0, op, e.what(), error, error_bytes);
  }
}

std::vector<char> bytes_of(const std::string& s) { return std::vector<char>(s.begin(), s.end()); }

// Every rank states its world size under its rank; each checks rank 0's, and rank 0 checks everyone's,
// so a rank launched with another WORLD_SIZE fails at once instead of waiting for peers that never come.
void check_world_size(vq4j_gloo* g) {
  const std::string mine = std::to_string(g->world_size);
  g->store->set("vq4j/world_size/" + std::to_string(g->rank), bytes_of(mine));
  const int first = g->rank == 0 ? 1 : 0, last = g->rank == 0 ? g->world_size : 1;
  for (int r = first; r < last; ++r) {
    const std::string key = "vq4j/world_size/" + std::to_string(r);
    g->store->wait({key}, g->timeout);
    std::vector<char> theirs = g->store->get(key);
    if (std::string(theirs.begin(), theirs.end()) != mine)
      throw std::runtime_error("WORLD_SIZE mismatch: this rank has " + mine + ", rank " + std::to_string(r) +
                               " has " + std::string(theirs.begin(), theirs.end()));
  }
}

// The longest span (in floats) a blocking write can always hand to the kernel at once: Gloo asks for a send
// buffer as large as the message, which Linux caps at net.core.wmem_max (212992 bytes by default) and doubles.
int span_floats() {
  long wmem_max = 0;
  std::ifstream("/proc/sys/net/core/wmem_max") >> wmem_max;
  const long bytes = std::min(256L * 1024, wmem_max > 0 ? wmem_max : 64L * 1024);
  return static_cast<int>(bytes / sizeof(float));
}

bool loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

vq4j_gloo* create(int rank, int world_size, const char* rendezvous, int timeout_ms, char* error,
                  size_t error_bytes) {
  auto g = std::make_unique<vq4j_gloo>();
  g->rank = rank;
  g->world_size = world_size;
  g->timeout = std::chrono::milliseconds(timeout_ms);
  const std::string where = rendezvous == nullptr ? "" : rendezvous;
  gloo::transport::tcp::attr attr;
  const int status = guarded(g.get(), "init", error, error_bytes, [&] {
    if (where.rfind("file://", 0) == 0) {
      const std::string dir = where.substr(7);
      ::mkdir(dir.c_str(), 0700);  // may exist already, or be made by another rank first
      g->store = std::make_unique<gloo::rendezvous::FileStore>(dir);
      attr.hostname = "127.0.0.1";
    } else if (where.rfind("tcp://", 0) == 0) {
      const std::string rest = where.substr(6);
      const size_t colon = rest.rfind(':');
      char* end = nullptr;
      const long port = colon == std::string::npos ? 0 : std::strtol(rest.c_str() + colon + 1, &end, 10);
      if (colon == std::string::npos || *end != '\0' || port <= 0 || port > 65535)
        throw std::runtime_error("rendezvous '" + where + "' is not tcp://host:port with a port in [1, 65535]");
      std::string host = rest.substr(0, colon);
      if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
      if (rank == 0) g->server = std::make_unique<vq4j::TcpStoreServer>(static_cast<int>(port));
      auto store = std::make_unique<vq4j::TcpStore>(host, static_cast<int>(port), g->timeout);
      attr.hostname = loopback(host) ? "127.0.0.1" : store->local_address();
      g->store = std::move(store);
    } else {
      throw std::runtime_error("rendezvous '" + where + "' is neither file:///dir nor tcp://host:port");
    }
    // PyTorch's variable for the interface Gloo listens on, for hosts with several.
    if (const char* iface = std::getenv("GLOO_SOCKET_IFNAME"); iface != nullptr && *iface != '\0') {
      attr.iface = iface;
      attr.hostname.clear();
    }
    check_world_size(g.get());
    auto device = gloo::transport::tcp::CreateDevice(attr);
    g->context = std::make_shared<gloo::rendezvous::Context>(rank, world_size);
    g->context->setTimeout(g->timeout);
    g->context->connectFullMesh(*g->store, device);
    if (world_size == 2) {
      gloo::rendezvous::PrefixStore sync_store("vq4j/sync", *g->store);
      g->sync_context = std::make_shared<gloo::rendezvous::Context>(rank, world_size);
      g->sync_context->setTimeout(g->timeout);
      g->sync_context->connectFullMesh(sync_store, device);
      g->sync_context->getPair(1 - rank)->setSync(true, false);
      g->span = span_floats();
    }
  });
  return status == 0 ? g.release() : nullptr;
}

constexpr size_t kSpanSumsKept = 4;

SpanSum& span_sum(vq4j_gloo* g, int count) {
  auto& kept = g->span_sums;
  for (auto it = kept.begin(); it != kept.end(); ++it) {
    if (it->first == count) {
      kept.splice(kept.begin(), kept, it);
      return *kept.front().second;
    }
  }
  if (kept.size() == kSpanSumsKept) kept.pop_back();
  kept.emplace_front(count, std::make_unique<SpanSum>(g->sync_context, count));
  return *kept.front().second;
}

int all_reduce_sum(vq4j_gloo* g, float* data, size_t count, char* error, size_t error_bytes) {
  return guarded(g, "all_reduce", error, error_bytes, [&] {
    if (g->sync_context != nullptr) {
      try {
        for (size_t at = 0; at < count; at += static_cast<size_t>(g->span))
          span_sum(g, static_cast<int>(std::min(count - at, static_cast<size_t>(g->span)))).run(data + at);
      } catch (const gloo::IoException& e) {
        // A sync-mode read that times out says only "Read timeout" and the peer's address.
        const std::string what = e.what();
        if (what.find("timeout") == std::string::npos) throw;
        throw std::runtime_error(what + ": timed out, nothing from rank " + std::to_string(1 - g->rank) +
                                 " within " + std::to_string(g->timeout.count()) + " ms");
      }
      return;
    }
    gloo::AllreduceOptions opts(g->context);
    opts.setOutput(data, count);
    opts.setReduceFunction(
        static_cast<void (*)(void*, const void*, const void*, size_t)>(&gloo::sum<float>));
    opts.setTimeout(g->timeout);
    gloo::allreduce(opts);
  });
}

int broadcast(vq4j_gloo* g, void* data, size_t bytes, int root, char* error, size_t error_bytes) {
  return guarded(g, "broadcast", error, error_bytes, [&] {
    gloo::BroadcastOptions opts(g->context);
    opts.setOutput(static_cast<char*>(data), bytes);
    opts.setRoot(root);
    opts.setTimeout(g->timeout);
    gloo::broadcast(opts);
  });
}

int all_gather(vq4j_gloo* g, const void* send, void* recv, size_t bytes_per_rank, char* error,
               size_t error_bytes) {
  return guarded(g, "all_gather", error, error_bytes, [&] {
    gloo::AllgatherOptions opts(g->context);
    opts.setInput(const_cast<char*>(static_cast<const char*>(send)), bytes_per_rank);
    opts.setOutput(static_cast<char*>(recv), bytes_per_rank * static_cast<size_t>(g->world_size));
    opts.setTimeout(g->timeout);
    gloo::allgather(opts);
  });
}

int barrier(vq4j_gloo* g, char* error, size_t error_bytes) {
  return guarded(g, "barrier", error, error_bytes, [&] {
    gloo::BarrierOptions opts(g->context);
    opts.setTimeout(g->timeout);
    gloo::barrier(opts);
  });
}

int store_set(vq4j_gloo* g, const char* key, const void* data, size_t bytes, char* error, size_t error_bytes) {
  return guarded(g, "store_set", error, error_bytes, [&] {
    const char* p = static_cast<const char*>(data);
    g->store->set(key, std::vector<char>(p, p + bytes));
  });
}

int store_get(vq4j_gloo* g, const char* key, void* data, size_t bytes, char* error, size_t error_bytes) {
  return guarded(g, "store_get", error, error_bytes, [&] {
    g->store->wait({key}, g->timeout);
    std::vector<char> value = g->store->get(key);
    if (value.size() != bytes)
      throw std::runtime_error(std::string("key ") + key + " holds " + std::to_string(value.size()) +
                               " bytes, expected " + std::to_string(bytes));
    std::memcpy(data, value.data(), bytes);
  });
}

void destroy(vq4j_gloo* g) { delete g; }

const vq4j_gloo_api kApi = {VQ4J_GLOO_API_VERSION, create, all_reduce_sum, broadcast, all_gather, barrier,
                            store_set, store_get, destroy};

}  // namespace

extern "C" const vq4j_gloo_api* vq4j_gloo_api_get(void) { return &kApi; }
