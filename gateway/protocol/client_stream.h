// Where the gateway's messages to one client go: stdout for stdio, a POST's
// SSE response or the session's GET stream for HTTP. One word for it across
// the code: a stream.
//
//   class FdStream : public ClientStream { bool send(const json& m) override; };
//   session->set_default_stream(std::make_shared<FdStream>(1));
#pragma once

#include "common/json_limits.h"

namespace toolgate {

// Implementations are thread-safe; send() returns false once the stream is gone.
class ClientStream {
 public:
  virtual ~ClientStream() = default;
  virtual bool send(const json& msg) = 0;
  // Ends the stream (the session is over). Default: nothing to end.
  virtual void close() {}
  // Proves the stream is still open while nothing else is sent (an SSE
  // comment); false once the client has gone. Default: nothing to prove.
  virtual bool keepalive() { return true; }
};

}  // namespace toolgate
