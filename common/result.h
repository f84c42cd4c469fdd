// Result<T>: the request path's error channel. Codes are JSON-RPC codes so an
// Error can become a protocol error without translation.
//
//   Result<int> parse_port(std::string_view s);
//   auto r = parse_port("80");
//   if (!r) return r.error();
//   use(*r);
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace toolgate {

namespace rpc {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
// Implementation-defined range (-32000..-32099).
inline constexpr int kRequestTimeout = -32001;
inline constexpr int kRequestCancelled = -32800;
// MCP 2026-07-28: HTTP headers that disagree with the body, a client
// capability the request needs, a protocol version the server doesn't speak.
inline constexpr int kHeaderMismatch = -32020;
inline constexpr int kMissingClientCapability = -32021;
inline constexpr int kUnsupportedProtocolVersion = -32022;
}  // namespace rpc

struct Error {
  Error(int c = rpc::kInternalError, std::string m = {}, std::string d = {})
      : code(c), message(std::move(m)), data(std::move(d)) {}
  int code;
  std::string message;
  // A peer's error.data, as JSON text ("" for none), relayed as it came:
  // e.g. the uri of a resource an upstream server does not have.
  std::string data;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error e) : v_(std::move(e)) {}

  explicit operator bool() const { return v_.index() == 0; }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace toolgate
