// libcurl for requests made inside the sandbox: loaded with dlopen (the
// worker binary stays small and only processes that make HTTP requests map
// it), and connected only through the gateway's egress broker: libcurl
// never resolves or connects by itself (CURLOPT_OPENSOCKETFUNCTION asks the
// broker, CURLOPT_SOCKOPTFUNCTION says the socket is already connected).
//
//   Curl& curl = curl_lib();
//   BrokeredTarget bt; bt.broker_fd = 4; parse_url(url, &bt.target);
//   curl_slist* resolve = secure_handle(curl, handle, &bt);
//   ... easy_perform ...;  curl.slist_free_all(resolve);
#pragma once

#include <curl/curl.h>

#include <mutex>
#include <string>

namespace toolgate::worker {

// The few libcurl entry points used, resolved at run time.
struct Curl {
  void* lib = nullptr;
  CURL* (*easy_init)() = nullptr;
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...) = nullptr;
  CURLcode (*easy_perform)(CURL*) = nullptr;
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...) = nullptr;
  void (*easy_cleanup)(CURL*) = nullptr;
  void (*easy_reset)(CURL*) = nullptr;
  const char* (*easy_strerror)(CURLcode) = nullptr;
  curl_slist* (*slist_append)(curl_slist*, const char*) = nullptr;
  void (*slist_free_all)(curl_slist*) = nullptr;

  bool load();
};

// Loaded once per contained process (lib is null when libcurl is missing).
Curl& curl_lib();

struct Target {
  std::string scheme, host;
  int port = 0;
};

// http(s) URLs without credentials only.
bool parse_url(const std::string& url, Target* t);

// Where a handle connects, and how to ask for the connection.
struct BrokeredTarget {
  int broker_fd = -1;
  int timeout_ms = 30000;
  Target target;
  std::string refused;              // why the broker said no
  std::mutex* broker_mu = nullptr;  // when several threads share broker_fd
};

// Every security setting a handle gets, in one place: its connections come
// from the broker for `bt->target` (it resolves and connects nothing
// itself), it speaks http and https only, it follows no redirect on its own
// (callers follow them hop by hop, each hop brokered again), and it raises
// no signals. Call it before each transfer, after any easy_reset. Returns
// the CURLOPT_RESOLVE list set on `h` (the name is resolved by the gateway;
// the placeholder address only keeps libcurl from trying, since the
// sandbox has no DNS): free it with slist_free_all after the transfer.
curl_slist* secure_handle(Curl& curl, CURL* h, BrokeredTarget* bt);

}  // namespace toolgate::worker
