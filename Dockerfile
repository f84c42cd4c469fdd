# Multi-stage build: compile on bookworm with the -dev packages, run on
# bookworm-slim with only the runtime libraries, as an unprivileged user.
FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake g++ pkg-config ca-certificates \
      libcpp-httplib-dev nlohmann-json3-dev libyaml-cpp-dev libcurl4-openssl-dev \
      libssl-dev libvalijson-dev libre2-dev libseccomp-dev libcap-dev doctest-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DTOOLGATE_TESTS=OFF \
 && cmake --build /build -j"$(nproc)" --target toolgate toolgate-worker

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libcpp-httplib0.11 libyaml-cpp0.7 libre2-9 libssl3 libcurl4 libseccomp2 libcap2 \
      ca-certificates python3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin toolgate
COPY --from=build /build/toolgate /build/toolgate-worker /usr/local/bin/
COPY --from=build /src/examples /etc/toolgate/examples
COPY --from=build /src/schemas /usr/share/toolgate/schemas
USER toolgate
WORKDIR /etc/toolgate
EXPOSE 8765
# Listen on all interfaces inside the container; publish the port on the
# host's loopback only: docker run -p 127.0.0.1:8765:8765 ...
# Set server.allowed_hosts in the config if clients use another Host name.
ENTRYPOINT ["/usr/local/bin/toolgate"]
CMD ["serve", "-c", "/etc/toolgate/examples/demo.yaml", "--listen", "0.0.0.0:8765"]
