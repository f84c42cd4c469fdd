#include "gateway/protocol/jsonrpc.h"

namespace toolgate {

bool valid_id(const json& id) { return id.is_string() || id.is_number_integer(); }

Classified classify(const json& msg) {
  Classified c;
  if (msg.is_array()) {
    c.error = "batch requests are not supported";
    return c;
  }
  if (!msg.is_object()) {
    c.error = "a message must be a JSON object";
    return c;
  }
  auto id = msg.find("id");
  bool has_id = id != msg.end();
  if (has_id && valid_id(*id)) c.id = *id;
  auto v = msg.find("jsonrpc");
  if (v == msg.end() || *v != "2.0") {
    c.error = "\"jsonrpc\" must be \"2.0\"";
    return c;
  }
  auto method = msg.find("method");
  if (method != msg.end()) {
    if (!method->is_string()) {
      c.error = "\"method\" must be a string";
      return c;
    }
    if (auto p = msg.find("params"); p != msg.end() && !p->is_object() && !p->is_null()) {
      c.error = "\"params\" must be an object";
      return c;
    }
    if (!has_id) {
      c.kind = MessageKind::notification;
      return c;
    }
    if (!valid_id(*id)) {
      c.error = "\"id\" must be a string or an integer";
      return c;
    }
    c.kind = MessageKind::request;
    return c;
  }
  bool has_result = msg.contains("result"), has_error = msg.contains("error");
  if (has_id && has_result != has_error) {
    if (!valid_id(*id)) {
      c.error = "\"id\" must be a string or an integer";
      return c;
    }
    c.kind = MessageKind::response;
    return c;
  }
  c.error = has_id ? "a response needs exactly one of \"result\" and \"error\""
                   : "a message needs \"method\" or \"id\"";
  return c;
}

Message read_message(json doc) {
  Classified c = classify(doc);
  Message m;
  m.kind = c.kind;
  m.id = std::move(c.id);
  m.error = std::move(c.error);
  if (m.kind == MessageKind::request || m.kind == MessageKind::notification) {
    m.method = doc["method"].get<std::string>();
    // Moved, not copied: a call's arguments may be most of a large body.
    if (auto p = doc.find("params"); p != doc.end() && p->is_object()) m.params = std::move(*p);
    if (auto meta = m.params.find("_meta"); meta != m.params.end() && meta->is_object()) {
      auto t = meta->find("progressToken");
      if (t != meta->end() && (t->is_string() || t->is_number_integer())) m.progress_token = *t;
    }
  }
  m.body = std::move(doc);
  return m;
}

json make_result(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json make_error(const json& id, int code, const std::string& message, json data) {
  json err = {{"code", code}, {"message", message}};
  if (!data.is_null()) err["data"] = std::move(data);
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(err)}};
}

json make_notification(const std::string& method, json params) {
  json n = {{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) n["params"] = std::move(params);
  return n;
}

json make_request(const json& id, const std::string& method, json params) {
  json r = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) r["params"] = std::move(params);
  return r;
}

std::string id_key(const json& id) {
  if (id.is_string()) return "s:" + id.get<std::string>();
  if (id.is_number_integer()) return "i:" + id.dump();
  return "?";
}

Error error_of(const json& error, const std::string& fallback_message) {
  Error e{rpc::kInternalError, fallback_message};
  if (!error.is_object()) return e;
  if (auto c = error.find("code"); c != error.end() && c->is_number_integer())
    e.code = c->get<int>();
  if (auto m = error.find("message"); m != error.end() && m->is_string()) e.message = *m;
  if (auto d = error.find("data"); d != error.end() && !d->is_null()) e.data = dump_safe(*d);
  return e;
}

}  // namespace toolgate
