// toolgate-worker: the process that runs one tool call for the gateway.
//
// The gateway starts it with a socketpair on fd 3 and an empty environment.
// It reads WorkOrder frames, runs each, and answers with one WorkResult frame
// per order, until the gateway closes the socket. Untrusted bytes (tool
// output) are parsed here, never in the gateway.
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/frame.h"
#include "common/work_order.h"
#include "worker/exec_runner.h"
#include "worker/stdio_relay.h"

using namespace toolgate;

namespace {

constexpr uint32_t kMaxOrderBytes = 64u << 20;

int usage(int rc) {
  std::fprintf(rc == 0 ? stdout : stderr,
               "usage: toolgate-worker [--fd N] [--broker-fd N]\n"
               "Runs tool calls for the toolgate gateway; not meant to be started by hand.\n"
               "  --fd N          the frame socket (default 3)\n"
               "  --broker-fd N   a separate socket for egress requests (long-lived servers)\n");
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  int fd = 3, broker = -1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") return usage(0);
    if (a == "--version") {
      std::printf("toolgate-worker %s\n", TOOLGATE_VERSION);
      return 0;
    }
    if (a == "--fd" && i + 1 < argc) {
      fd = std::atoi(argv[++i]);
      continue;
    }
    if (a == "--broker-fd" && i + 1 < argc) {
      broker = std::atoi(argv[++i]);
      continue;
    }
    return usage(2);
  }
  // Orphans of a tool (double fork, setsid) are re-parented here, so the
  // worker can find and kill them when the call ends.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ::signal(SIGPIPE, SIG_IGN);
  worker::set_broker_fd(broker >= 0 ? broker : fd);

  // A pre-spawned worker first gets {"prepare": <order without the call>}
  // and sets up the contained child at once, off the call's path.
  std::unique_ptr<worker::PreparedChild> prepared;
  for (;;) {
    FrameRead in = read_frame(fd, kMaxOrderBytes, -1);
    if (in.status == FrameStatus::eof) return 0;
    if (in.status != FrameStatus::ok) return 3;
    WorkResult res;
    auto doc = parse_bounded(in.payload, 64);
    if (doc && doc->is_object() && doc->contains("prepare")) {
      auto profile = WorkOrder::from_json((*doc)["prepare"]);
      if (profile) prepared = worker::prepare_child(*profile);
      // An HTTP profile's child starts serving at once and its socket goes
      // to the gateway now; the call then never passes through here.
      if (profile && profile->direct_http()) {
        if (prepared->pid > 0) return worker::hand_over_http(*prepared, fd);
        write_frame(fd, dump_safe(prepared->failure.to_json()));
        return 0;
      }
      continue;
    }
    auto order = doc ? WorkOrder::from_json(*doc) : Result<WorkOrder>(doc.error());
    if (!order) {
      res.outcome = Outcome::protocol_error;
      res.detail = "bad order: " + order.error().message;
    } else if (order->serve) {
      // A long-lived server owns this worker until one side ends.
      if (!prepared) prepared = worker::prepare_child(*order);
      return worker::serve_stdio(*order, *prepared, fd);
    } else if (order->keep_worker && order->direct_http()) {
      // Pooled HTTP: one contained process serves this profile's requests
      // over kept-alive connections, talking to the gateway directly, until
      // it fails or the worker is recycled.
      if (!prepared) prepared = worker::prepare_child(*order);
      if (prepared->pid > 0) return worker::hand_over_http(*prepared, fd);
      res = prepared->failure;
    } else {
      if (!prepared) prepared = worker::prepare_child(*order);
      res = worker::run_exec(*order, *prepared);
    }
    if (res.detail == "gateway gone") return 0;  // nobody to answer; the tool is already dead
    std::string frame = dump_safe(res.to_json());
    // Re-serialized JSON can outgrow the raw output (escapes); never send a
    // frame the gateway would refuse.
    uint64_t cap = order ? order->limits.max_output_bytes : 0;
    if (frame.size() > cap * 6 + 65536) {
      WorkResult big;
      big.outcome = Outcome::over_output;
      big.exit_code = res.exit_code;
      big.duration_ms = res.duration_ms;
      big.detail = "output too large after encoding";
      frame = dump_safe(big.to_json());
    }
    if (!write_frame(fd, frame)) return 4;
    prepared.reset();  // cgroup removal and pipe closing, after the answer is out
    // Pooled: get the next call's contained process ready now. It is fresh:
    // it has run nothing, and only the worker process is reused.
    if (order && order->keep_worker) prepared = worker::prepare_child(*order);
  }
}
