// BeastRequestBody: a Boost.Beast body type that reads a request body
// straight into a RequestBuffer (aligned for the binary tensor data the
// Inference-Header-Content-Length header announces), so the HTTP front-end
// can lend those bytes to tensors without another copy. Internal to the
// HTTP transport; used by one parser at a time.
#pragma once

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>

#include <cstdint>
#include <memory>

#include "server/http/request_buffer.h"

namespace kiln::server {

// Parses a non-negative decimal (the Inference-Header-Content-Length value);
// nullopt when it is not one or overflows.
inline std::optional<uint64_t> ParseDecimalHeader(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

struct BeastRequestBody {
  using value_type = std::shared_ptr<RequestBuffer>;

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>& header, value_type& body) : body_(body) {
      size_t aligned_offset = 0;
      auto it = header.find("Inference-Header-Content-Length");
      if (it != header.end()) {
        const auto value = ParseDecimalHeader(std::string_view(it->value().data(), it->value().size()));
        if (value) aligned_offset = static_cast<size_t>(*value);
      }
      body_ = std::make_shared<RequestBuffer>(aligned_offset);
    }

    void init(const boost::optional<std::uint64_t>& content_length, boost::beast::error_code& ec) {
      // The parser has already compared content_length with its body limit.
      if (content_length) body_->Reserve(static_cast<size_t>(*content_length));
      ec = {};
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      std::size_t n = 0;
      for (const auto buffer : boost::beast::buffers_range_ref(buffers)) {
        body_->Append(buffer.data(), buffer.size());
        n += buffer.size();
      }
      ec = {};
      return n;
    }

    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

}  // namespace kiln::server
