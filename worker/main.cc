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

// The parsed command line; `exit_code` >= 0 means exit at once with it.
struct Args {
  int fd = 3, broker = -1;
  int exit_code = -1;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return {3, -1, usage(0)};
    if (arg == "--version") {
      std::printf("toolgate-worker %s\n", TOOLGATE_VERSION);
      return {3, -1, 0};
    }
    if (arg == "--fd" && i + 1 < argc) {
      a.fd = std::atoi(argv[++i]);
      continue;
    }
    if (arg == "--broker-fd" && i + 1 < argc) {
      a.broker = std::atoi(argv[++i]);
      continue;
    }
    return {3, -1, usage(2)};
  }
  return a;
}

// The frames of one gateway connection, in order: at most one "prepare",
// then orders, each answered by one result frame.
struct Session {
  int fd;
  std::unique_ptr<worker::PreparedChild> prepared;

  // A pre-spawned worker first gets {"prepare": <order without the call>}
  // and sets up the contained child at once, off the call's path. Returns
  // an exit code when this worker's work is over, else -1.
  int prepare(const json& spec) {
    auto profile = WorkOrder::from_json(spec);
    if (profile) prepared = worker::prepare_child(*profile);
    // An HTTP profile's child starts serving at once and its socket goes
    // to the gateway now; the call then never passes through here.
    if (profile && profile->direct_http()) {
      if (prepared->pid > 0) return worker::hand_over_http(*prepared, fd);
      write_frame(fd, dump_safe(prepared->failure.to_json()));
      return 0;
    }
    return -1;
  }

  // Runs one order. Returns an exit code when this worker's work is over
  // (a server ended, an HTTP process handed over), else -1 with *res set.
  int run(const Result<WorkOrder>& order, WorkResult* res) {
    if (!order) {
      res->outcome = Outcome::protocol_error;
      res->reason = EndReason::bad_order;
      res->detail = "bad order: " + order.error().message;
      return -1;
    }
    if (!prepared) prepared = worker::prepare_child(*order);
    // A long-lived server owns this worker until one side ends.
    if (order->serve) return worker::serve_stdio(*order, *prepared, fd);
    if (order->keep_worker && order->direct_http()) {
      // Pooled HTTP: one contained process serves this profile's requests
      // over kept-alive connections, talking to the gateway directly, until
      // it fails or the worker is recycled.
      if (prepared->pid > 0) return worker::hand_over_http(*prepared, fd);
      *res = prepared->failure;
      return -1;
    }
    *res = worker::run_exec(*order, *prepared);
    return -1;
  }

  // Sends the answer. False when the gateway cannot be told.
  bool answer(const WorkResult& res, const Result<WorkOrder>& order) {
    std::string frame = dump_safe(res.to_json());
    // Re-serialized JSON can outgrow the raw output (escapes); never send a
    // frame the gateway would refuse.
    uint64_t cap = order ? order->limits.max_output_bytes : 0;
    if (frame.size() > cap * 6 + 65536) {
      WorkResult big;
      big.outcome = Outcome::over_output;
      big.reason = EndReason::output_too_large_after_encoding;
      big.exit_code = res.exit_code;
      big.duration_ms = res.duration_ms;
      big.detail = "output too large after encoding";
      frame = dump_safe(big.to_json());
    }
    return write_frame(fd, frame);
  }
};

}  // namespace

int main(int argc, char** argv) {
  Args args = parse_args(argc, argv);
  if (args.exit_code >= 0) return args.exit_code;
  // Orphans of a tool (double fork, setsid) are re-parented here, so the
  // worker can find and kill them when the call ends.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ::signal(SIGPIPE, SIG_IGN);
  worker::set_broker_fd(args.broker >= 0 ? args.broker : args.fd);
  Session s{args.fd, nullptr};
  for (;;) {
    FrameRead in = read_frame(s.fd, kMaxOrderBytes, -1);
    if (in.status == FrameStatus::eof) return 0;
    if (in.status != FrameStatus::ok) return 3;
    auto doc = parse_bounded(in.payload, 64);
    if (doc && doc->is_object() && doc->contains("prepare")) {
      if (int rc = s.prepare((*doc)["prepare"]); rc >= 0) return rc;
      continue;
    }
    auto order = doc ? WorkOrder::from_json(*doc) : Result<WorkOrder>(doc.error());
    WorkResult res;
    if (int rc = s.run(order, &res); rc >= 0) return rc;
    if (res.reason == EndReason::gateway_gone) return 0;  // nobody to answer; the tool is dead
    if (!s.answer(res, order)) return 4;
    s.prepared.reset();  // cgroup removal and pipe closing, after the answer is out
    // Pooled: get the next call's contained process ready now. It is fresh:
    // it has run nothing, and only the worker process is reused.
    if (order && order->keep_worker) s.prepared = worker::prepare_child(*order);
  }
}
