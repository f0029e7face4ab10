#!/usr/bin/env python3
"""A bounded soak of the `wicket` binary: mixed load with injected faults, on loopback only.

Everything runs in this process on 127.0.0.1 (asyncio): an origin server, an echo server for
CONNECT tunnels, and client workers that go through Wicket. Workers pick scenarios at random:

  normal (checked: status and SHA-256 of every body)
    keepalive   several requests on one connection (small, chunked, close-delimited, uploads)
    fresh       one request per new connection
    download    a large body (1-8 MiB), Content-Length or chunked
    upload      a large body up (1-8 MiB), Content-Length or chunked; the origin returns its hash
    tunnel      CONNECT to the echo server, bytes sent and echoed back, compared
  faults (injected; the outcome is checked where it is defined, and every fault is also judged
  by the resource checks below: whatever a fault leaves behind must be released)
    abort_request   the client sends part of a head or body, then resets or closes
    abort_response  the client reads part of a large body, then resets
    upstream_reset           the origin resets after the head (502 expected)
    upstream_reset_mid_body  the origin resets mid-body, with a Content-Length, chunked or
                             close-delimited body: the client must never see a complete body
                             (502 is also right if the reset reached the proxy before the head)
    upstream_stall           the origin never answers (504 expected)
    upstream_stall_mid_body  the origin stops mid-body (any of the three framings)
    upstream_stall_upload    the origin never reads a large upload (8 MiB)
                    A stalled origin holds its connection until the proxy closes it: it never
                    gives up by itself. In the last two the client must never see a complete
                    body, and an upload must get 504 or 502 (or a closed connection); the
                    client waits up to --stall-wait seconds for the proxy to cut the
                    exchange, then gives up and closes (counted, not a failure by itself). Once
                    the client is gone the proxy must let go of both connections, or the fd and
                    connection checks fail.
    dns_failure     a name under .invalid (502 expected)
    slow_head       a head never finished (408 expected within the head timeout)
    idle_client     a keep-alive connection left idle (the proxy must close it)
    tunnel_abort    a CONNECT tunnel reset mid-stream

Every few seconds it samples Wicket's open fds, RSS, threads and TCP connections (its sockets
in /proc/net/tcp*). The CLI exposes no count of its async tasks; every task holds at least one
socket (a client connection, its upstream, a tunnel), so the TCP count stands in for it.
Pass criteria (all must hold):
  - flat: after the warm-up, the max of each series over the last third is within
    --tolerance (default 25%) plus a small absolute slack of the median over the first third
    (a median, not a max: a leak that fills up a limit early must not look flat);
  - drained: once the load stops and the idle timeout has passed, fds and connections are back
    within a few of their value before the load;
  - correct: every checked response was right (no mismatch), every fault outcome as expected,
    no scenario raised an unexpected error;
  - alive: a plain request through the proxy still works at the end, Wicket stops on SIGTERM
    with exit status 0, and it printed no panic.
The report (figures and verdict) is printed and written to --report; samples go to a CSV file.
--skip leaves scenarios out (for diagnosis); the verdict line then says the run was partial.
"""

import argparse
import asyncio
import collections
import hashlib
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"
MIB = 1024 * 1024
# Seconds the origin keeps an idle keep-alive connection open.
ORIGIN_IDLE = 5

# Deterministic body bytes: windows into one random block, chosen by (size, seed).
_rng = random.Random(7)
BLOCK = bytes(_rng.getrandbits(8) for _ in range(MIB + 4096))


def body_bytes(size, seed):
    """`size` bytes, the same for the same (size, seed), cheap to make."""
    start = (seed * 7919) % 4096
    out = bytearray()
    while len(out) < size:
        take = min(size - len(out), MIB)
        out += BLOCK[start:start + take]
    return bytes(out)


_digests = {}


def body_digest(size, seed):
    key = (size, seed)
    if key not in _digests:
        _digests[key] = hashlib.sha256(body_bytes(size, seed)).hexdigest()
    return _digests[key]


def reset_close(writer):
    """Close with RST (SO_LINGER 0): what an abort or a crashed peer looks like."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.close()


# --------------------------------------------------------------------------------------------
# HTTP/1.1 bits shared by the origin and the clients


class Closed(Exception):
    """The peer closed the connection where a message was expected."""


async def read_head(reader):
    try:
        data = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            return None
        raise Closed("connection closed inside a head")
    lines = data[:-4].split(b"\r\n")
    first = lines[0].decode("latin-1")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return first, headers


async def read_chunked(reader):
    body = bytearray()
    while True:
        line = await reader.readuntil(b"\r\n")
        size = int(line.split(b";")[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailers
            return bytes(body)
        body += await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise ValueError("chunk not followed by CRLF")


async def read_body(reader, headers, bodiless=False):
    """Returns (body, complete)."""
    if bodiless:
        return b"", True
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return await read_chunked(reader), True
        if "content-length" in headers:
            n = int(headers["content-length"])
            return await reader.readexactly(n), True
    except asyncio.IncompleteReadError as e:
        return e.partial, False
    except (ConnectionError, ValueError):
        return b"", False
    # Close-delimited: complete only if the sender closed cleanly.
    try:
        return await reader.read(-1), True
    except ConnectionError:
        return b"", False


def chunked(data, seed):
    """`data` in chunks of varied sizes, with a trailer every other time."""
    rng = random.Random(seed)
    out = bytearray()
    at = 0
    while at < len(data):
        n = min(len(data) - at, rng.choice([1, 17, 1000, 4096, 65536, 300000]))
        out += b"%x\r\n" % n + data[at:at + n] + b"\r\n"
        at += n
    out += b"0\r\nX-Trailer: yes\r\n\r\n" if seed % 2 else b"0\r\n\r\n"
    return bytes(out)


# --------------------------------------------------------------------------------------------
# The origin server and the echo server


class Origin:
    """Paths: /body?size=N&seed=S&mode=length|chunked|close, /upload (POST, returns
    'len sha256'), /reset, /reset_mid?mode=M, /stall, /stall_mid?mode=M, /stall_read (POST:
    the head is read, the body never is). M is length, chunked or close."""

    def __init__(self):
        self.connections = 0
        self.stalled = 0  # connections held by a stall now
        self.stalled_max = 0

    async def handle(self, reader, writer):
        self.connections += 1
        try:
            while True:
                # Like a real server, close a keep-alive connection idle for a while.
                try:
                    got = await asyncio.wait_for(read_head(reader), ORIGIN_IDLE)
                except asyncio.TimeoutError:
                    return
                if got is None:
                    return
                first, headers = got
                method, target, _version = first.split(" ", 2)
                path, _, query = target.partition("?")
                params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
                if path == "/stall_read":
                    await self.stall(writer)
                    return
                body, complete = await read_body(reader, headers, method in ("GET", "HEAD"))
                if not complete:
                    return
                keep = await self.answer(method, path, params, body, reader, writer)
                if not keep:
                    return
        except (Closed, ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        except asyncio.CancelledError:
            return  # the soak is over
        finally:
            if not writer.is_closing():
                writer.close()

    async def answer(self, method, path, params, body, reader, writer):
        size = int(params.get("size", "0"))
        seed = int(params.get("seed", "0"))
        if path == "/body":
            data = body_bytes(size, seed)
            mode = params.get("mode", "length")
            if mode == "chunked":
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                writer.write(chunked(data, seed))
            elif mode == "close":
                writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + data)
                await writer.drain()
                return False
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
            await writer.drain()
            return True
        if path == "/upload":
            answer = b"%d %s" % (len(body), hashlib.sha256(body).hexdigest().encode())
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(answer) + answer)
            await writer.drain()
            return True
        if path == "/reset":
            reset_close(writer)
            return False
        if path in ("/reset_mid", "/stall_mid"):
            # The head of a 1 MiB body and a part of the body, then a reset or a stall.
            mode = params.get("mode", "length")
            part = BLOCK[:100_000 if path == "/reset_mid" else 1000]
            if mode == "chunked":
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"%x\r\n" % len(part) + part + b"\r\n")
            elif mode == "close":
                writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + part)
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % MIB + part)
            await writer.drain()
            if path == "/reset_mid":
                await asyncio.sleep(0.05)
                reset_close(writer)
            else:
                await self.stall(writer)
            return False
        if path == "/stall":
            await self.stall(writer)
            return False
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        return True


    async def stall(self, writer):
        """Holds the connection, reading nothing more, until the proxy closes it. A stalled
        server does not give up by itself: only the proxy can end this."""
        self.stalled += 1
        self.stalled_max = max(self.stalled_max, self.stalled)
        # Unread data (a request body) stays in the socket, so the proxy's writes block as on
        # a stuck server; the proxy's FIN or RST shows in the TCP state (a FIN queued behind
        # unsent upload bytes never arrives: such a connection is held until the soak ends).
        writer.transport.pause_reading()
        sock = writer.get_extra_info("socket")
        try:
            while True:
                await asyncio.sleep(0.5)
                try:
                    state = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]
                except OSError:
                    return
                if state != 1:  # no longer ESTABLISHED: the proxy closed or reset
                    return
        finally:
            self.stalled -= 1


async def echo(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


# --------------------------------------------------------------------------------------------
# Client scenarios


class Stats:
    def __init__(self):
        self.ok = collections.Counter()  # checked exchanges that were right, by scenario
        self.faults = collections.Counter()  # injected faults, by kind
        self.fault_ok = collections.Counter()  # faults whose outcome was checked and right
        self.unchecked = collections.Counter()  # faults with no defined outcome to check
        self.gave_up = collections.Counter()  # stalls the proxy had not cut when the client left
        self.failures = []  # (time, scenario, what went wrong)
        self.bytes_checked = 0

    def fail(self, scenario, what):
        self.failures.append((round(time.monotonic() - START, 1), scenario, what))


START = time.monotonic()


class Soak:
    def __init__(self, args, proxy_port, origin_port, echo_port):
        self.args = args
        self.proxy = (HOST, proxy_port)
        self.origin = f"{HOST}:{origin_port}"
        self.echo_port = echo_port
        self.stats = Stats()
        self.rng = random.Random(args.seed)

    async def connect(self):
        return await asyncio.open_connection(*self.proxy, limit=4 * MIB)

    def url(self, path):
        return f"http://{self.origin}{path}"

    async def exchange(self, reader, writer, method, url, body=None, chunk=False, head_only=False):
        """One request; returns (status, headers, body, complete) or raises."""
        head = f"{method} {url} HTTP/1.1\r\nHost: {self.origin}\r\n"
        payload = b""
        if body is not None:
            if chunk:
                head += "Transfer-Encoding: chunked\r\n"
                payload = chunked(body, len(body))
            else:
                head += f"Content-Length: {len(body)}\r\n"
                payload = body
        writer.write(head.encode() + b"\r\n" + payload)
        await writer.drain()
        got = await read_head(reader)
        if got is None:
            raise Closed("closed before the response head")
        first, headers = got
        status = int(first.split(" ")[1])
        data, complete = await read_body(reader, headers, head_only or status in (204, 304))
        return status, headers, data, complete

    async def checked_get(self, reader, writer, scenario, size, mode):
        seed = self.rng.randrange(64)
        status, _h, data, complete = await self.exchange(
            reader, writer, "GET", self.url(f"/body?size={size}&seed={seed}&mode={mode}"))
        if status != 200 or not complete or len(data) != size:
            self.stats.fail(scenario, f"GET {mode} {size}: status {status}, {len(data)} bytes, "
                                      f"complete {complete}")
            return False
        if hashlib.sha256(data).hexdigest() != body_digest(size, seed):
            self.stats.fail(scenario, f"GET {mode} {size}: checksum mismatch")
            return False
        self.stats.ok[scenario] += 1
        self.stats.bytes_checked += size
        return True

    async def checked_upload(self, reader, writer, scenario, size, chunk):
        seed = self.rng.randrange(64)
        data = body_bytes(size, seed)
        status, _h, answer, complete = await self.exchange(
            reader, writer, "POST", self.url("/upload"), data, chunk)
        expected = f"{size} {body_digest(size, seed)}".encode()
        if status != 200 or not complete or answer != expected:
            self.stats.fail(scenario, f"upload {size} chunked={chunk}: status {status}, "
                                      f"answer {answer[:80]!r}")
            return False
        self.stats.ok[scenario] += 1
        self.stats.bytes_checked += size
        return True

    # Normal scenarios ------------------------------------------------------------------------

    async def keepalive(self):
        reader, writer = await self.connect()
        try:
            for _ in range(self.rng.randint(2, 12)):
                kind = self.rng.random()
                if kind < 0.45:
                    alive = await self.checked_get(reader, writer, "keepalive",
                                                   self.rng.randrange(0, 20000), "length")
                elif kind < 0.75:
                    alive = await self.checked_get(reader, writer, "keepalive",
                                                   self.rng.randrange(1, 50000), "chunked")
                elif kind < 0.9:
                    alive = await self.checked_upload(reader, writer, "keepalive",
                                                      self.rng.randrange(1, 30000),
                                                      self.rng.random() < 0.5)
                else:
                    # Close-delimited upstream body: chunked for us, connection stays usable.
                    alive = await self.checked_get(reader, writer, "keepalive",
                                                   self.rng.randrange(0, 20000), "close")
                if not alive:
                    return
        finally:
            writer.close()

    async def fresh(self):
        reader, writer = await self.connect()
        try:
            await self.checked_get(reader, writer, "fresh", self.rng.randrange(0, 5000),
                                   self.rng.choice(["length", "chunked", "close"]))
        finally:
            writer.close()

    async def download(self):
        reader, writer = await self.connect()
        try:
            await self.checked_get(reader, writer, "download", self.rng.choice([1, 2, 4, 8]) * MIB
                                   + self.rng.randrange(1000), self.rng.choice(["length", "chunked"]))
        finally:
            writer.close()

    async def upload(self):
        reader, writer = await self.connect()
        try:
            await self.checked_upload(reader, writer, "upload",
                                      self.rng.choice([1, 2, 4, 8]) * MIB + self.rng.randrange(1000),
                                      self.rng.random() < 0.5)
        finally:
            writer.close()

    async def open_tunnel(self):
        reader, writer = await self.connect()
        writer.write(f"CONNECT {HOST}:{self.echo_port} HTTP/1.1\r\n"
                     f"Host: {HOST}:{self.echo_port}\r\n\r\n".encode())
        await writer.drain()
        got = await read_head(reader)
        status = int(got[0].split(" ")[1]) if got else None
        return reader, writer, status

    async def tunnel(self):
        reader, writer, status = await self.open_tunnel()
        try:
            if status != 200:
                self.stats.fail("tunnel", f"CONNECT answered {status}")
                return
            size = self.rng.choice([1000, 100_000, MIB, 3 * MIB])
            data = body_bytes(size, self.rng.randrange(64))

            async def send():
                for at in range(0, size, 65536):
                    writer.write(data[at:at + 65536])
                    await writer.drain()

            sender = asyncio.ensure_future(send())
            back = await reader.readexactly(size)
            await sender
            if back != data:
                self.stats.fail("tunnel", f"echo of {size} bytes differs")
            else:
                self.stats.ok["tunnel"] += 1
                self.stats.bytes_checked += size
        finally:
            writer.close()

    # Faults ----------------------------------------------------------------------------------

    async def abort_request(self):
        self.stats.faults["abort_request"] += 1
        reader, writer = await self.connect()
        size = 2 * MIB
        head = (f"POST {self.url('/upload')} HTTP/1.1\r\nHost: {self.origin}\r\n"
                f"Content-Length: {size}\r\n\r\n").encode()
        if self.rng.random() < 0.3:
            writer.write(head[: self.rng.randrange(1, len(head) - 1)])  # mid-head
        else:
            writer.write(head + body_bytes(self.rng.randrange(1, 300_000), 1))  # mid-body
        await writer.drain()
        await asyncio.sleep(self.rng.random() * 0.2)
        if self.rng.random() < 0.5:
            reset_close(writer)
        else:
            writer.close()
        self.stats.unchecked["abort_request"] += 1

    async def abort_response(self):
        self.stats.faults["abort_response"] += 1
        reader, writer = await self.connect()
        mode = self.rng.choice(["length", "chunked"])
        writer.write(f"GET {self.url(f'/body?size={8 * MIB}&seed=3&mode={mode}')} HTTP/1.1\r\n"
                     f"Host: {self.origin}\r\n\r\n".encode())
        await writer.drain()
        await reader.read(self.rng.randrange(1, 200_000))
        reset_close(writer)
        self.stats.unchecked["abort_response"] += 1

    async def expect_status(self, kind, path_or_url, expected, absolute=False):
        self.stats.faults[kind] += 1
        reader, writer = await self.connect()
        try:
            url = path_or_url if absolute else self.url(path_or_url)
            status, _h, _data, _complete = await self.exchange(reader, writer, "GET", url)
            if status == expected:
                self.stats.fault_ok[kind] += 1
            else:
                self.stats.fail(kind, f"GET {url}: {status}, expected {expected}")
        except (Closed, ConnectionError) as e:
            self.stats.fail(kind, f"GET {path_or_url}: {e!r}, expected {expected}")
        finally:
            writer.close()

    async def expect_truncated(self, kind, path, wait=None):
        """The origin breaks off a 1 MiB body (reset or stall): the client must never get a
        complete body, whatever the framing. A 502 is right too if the break came before the
        proxy had the head. With `wait`, the client gives up after that many seconds."""
        self.stats.faults[kind] += 1
        reader, writer = await self.connect()
        try:
            exchange = self.exchange(reader, writer, "GET", self.url(path))
            status, _h, data, complete = await asyncio.wait_for(exchange, wait)
            if status not in (200, 502):
                self.stats.fail(kind, f"{path}: status {status}")
            elif complete:
                self.stats.fail(kind, f"{path}: a broken-off body arrived as complete "
                                      f"({len(data)} bytes, status {status})")
            else:
                self.stats.fault_ok[kind] += 1
        except asyncio.TimeoutError:
            self.stats.gave_up[kind] += 1  # not cut within `wait`; nothing complete arrived
        except (Closed, ConnectionError):
            self.stats.fault_ok[kind] += 1  # closed before the head: also not a complete body
        finally:
            writer.close()

    async def stall_upload(self, kind, wait):
        """A large upload to an origin that never reads it: the proxy may answer 504 (or
        502), or close without an answer; any other answer (a 200, a 503) is wrong."""
        self.stats.faults[kind] += 1
        reader, writer = await self.connect()
        size = 8 * MIB
        data = body_bytes(size, 11)
        # The answer is read while the body goes out: one sent before the proxy closes (or
        # resets) must be seen, not lost behind a write error.
        answer = asyncio.ensure_future(read_head(reader))

        async def send():
            writer.write(f"POST {self.url('/stall_read')} HTTP/1.1\r\nHost: {self.origin}\r\n"
                         f"Content-Length: {size}\r\n\r\n".encode())
            for at in range(0, size, 65536):
                writer.write(data[at:at + 65536])
                await writer.drain()

        sender = asyncio.ensure_future(send())
        sender.add_done_callback(lambda t: t.cancelled() or t.exception())
        try:
            got = await asyncio.wait_for(answer, wait)
            status = int(got[0].split(" ")[1]) if got else None
            if status in (None, 502, 504):
                self.stats.fault_ok[kind] += 1
            else:
                self.stats.fail(kind, f"an upload the origin never read was answered {status}")
        except asyncio.TimeoutError:
            self.stats.gave_up[kind] += 1
        except (Closed, ConnectionError):
            self.stats.fault_ok[kind] += 1  # closed without an answer
        finally:
            sender.cancel()
            # Unsent upload bytes would keep an orderly close waiting forever: reset now.
            sock = writer.get_extra_info("socket")
            if sock is not None:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
            writer.transport.abort()

    async def upstream_reset(self):
        await self.expect_status("upstream_reset", "/reset", 502)

    async def upstream_reset_mid_body(self):
        mode = self.rng.choice(["length", "chunked", "close"])
        await self.expect_truncated("upstream_reset_mid_body", f"/reset_mid?mode={mode}")

    async def upstream_stall(self):
        await self.expect_status("upstream_stall", "/stall", 504)

    async def upstream_stall_mid_body(self):
        mode = self.rng.choice(["length", "chunked", "close"])
        await self.expect_truncated("upstream_stall_mid_body", f"/stall_mid?mode={mode}",
                                    self.args.stall_wait)

    async def upstream_stall_upload(self):
        await self.stall_upload("upstream_stall_upload", self.args.stall_wait)

    async def dns_failure(self):
        name = f"soak-{self.rng.randrange(10**9)}.invalid"
        await self.expect_status("dns_failure", f"http://{name}/", 502, absolute=True)

    async def slow_head(self):
        kind = "slow_head"
        self.stats.faults[kind] += 1
        reader, writer = await self.connect()
        try:
            writer.write(f"GET {self.url('/body?size=10')} HTTP/1.1\r\nHost: x\r\n".encode())
            await writer.drain()
            limit = self.args.head_timeout + 5
            got = await asyncio.wait_for(read_head(reader), limit)
            status = int(got[0].split(" ")[1]) if got else None
            if status == 408:
                self.stats.fault_ok[kind] += 1
            else:
                self.stats.fail(kind, f"unfinished head answered {status}, expected 408")
        except asyncio.TimeoutError:
            self.stats.fail(kind, "unfinished head not answered within the head timeout")
        except (Closed, ConnectionError) as e:
            self.stats.fail(kind, f"unfinished head: {e!r}")
        finally:
            writer.close()

    async def idle_client(self):
        kind = "idle_client"
        self.stats.faults[kind] += 1
        reader, writer = await self.connect()
        try:
            if not await self.checked_get(reader, writer, "keepalive", 100, "length"):
                return  # the failure is recorded; a connection closed after it proves nothing
            limit = self.args.idle_timeout + 5
            rest = await asyncio.wait_for(reader.read(1), limit)
            if rest == b"":
                self.stats.fault_ok[kind] += 1
            else:
                self.stats.fail(kind, f"idle connection got {rest!r}")
        except asyncio.TimeoutError:
            self.stats.fail(kind, "idle keep-alive connection not closed after the idle timeout")
        except ConnectionError:
            self.stats.fault_ok[kind] += 1
        finally:
            writer.close()

    async def tunnel_abort(self):
        kind = "tunnel_abort"
        self.stats.faults[kind] += 1
        reader, writer, status = await self.open_tunnel()
        if status != 200:
            self.stats.fail(kind, f"CONNECT answered {status}")
            writer.close()
            return
        writer.write(body_bytes(500_000, 5))
        await asyncio.sleep(0.01)
        reset_close(writer)
        self.stats.unchecked[kind] += 1

    SCENARIOS = [
        ("keepalive", 30), ("fresh", 20), ("download", 4), ("upload", 4), ("tunnel", 8),
        ("abort_request", 3), ("abort_response", 3), ("upstream_reset", 1.5),
        ("upstream_reset_mid_body", 1.5), ("upstream_stall", 1), ("upstream_stall_mid_body", 1),
        ("upstream_stall_upload", 1), ("dns_failure", 3), ("slow_head", 1), ("idle_client", 1),
        ("tunnel_abort", 2),
    ]

    async def worker(self, until):
        chosen = [(n, w) for n, w in self.SCENARIOS if n not in self.args.skip]
        names = [n for n, _ in chosen]
        weights = [w for _, w in chosen]
        while time.monotonic() < until:
            name = self.rng.choices(names, weights)[0]
            try:
                await asyncio.wait_for(getattr(self, name)(), 120)
            except asyncio.TimeoutError:
                self.stats.fail(name, "scenario took over 120 s (a stuck connection?)")
            except (Closed, ConnectionError, asyncio.IncompleteReadError, ValueError,
                    IndexError) as e:
                if name in ("abort_request", "abort_response", "tunnel_abort"):
                    continue  # the client broke the exchange on purpose
                self.stats.fail(name, f"{type(e).__name__}: {e}")
            except Exception as e:  # anything else is a failure too, and the soak goes on
                self.stats.fail(name, f"unexpected {type(e).__name__}: {e}")


# --------------------------------------------------------------------------------------------
# Sampling Wicket from outside


def sample(pid):
    fds = os.listdir(f"/proc/{pid}/fd")
    inodes = set()
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    states = collections.Counter()
    names = {"01": "established", "0A": "listen", "06": "time_wait", "08": "close_wait",
             "04": "fin_wait1", "05": "fin_wait2", "09": "last_ack", "02": "syn_sent"}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if cols[9] in inodes:
                        states[names.get(cols[3], cols[3])] += 1
        except OSError:
            pass
    rss = threads = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return {"fds": len(fds), "rss_kib": rss, "threads": threads,
            "tcp": sum(states.values()), "tcp_states": dict(states)}


async def sampler(pid, soak, interval, samples, stop):
    while not stop.is_set():
        try:
            s = sample(pid)
        except OSError:
            return  # wicket is gone; the verdict says so
        s["t"] = round(time.monotonic() - START, 1)
        s["checked"] = sum(soak.stats.ok.values())
        s["faults"] = sum(soak.stats.faults.values())
        samples.append(s)
        try:
            await asyncio.wait_for(stop.wait(), interval)
        except asyncio.TimeoutError:
            pass


def flat(series, tolerance, slack):
    """The last third's max within tolerance (+ slack) of the first third's median."""
    n = len(series)
    if n < 6:
        return False, "too few samples"
    first = sorted(series[: n // 3])[(n // 3) // 2]
    last = max(series[n - n // 3:])
    limit = first * (1 + tolerance) + slack
    return last <= limit, f"first third median {first}, last third max {last}, limit {limit:.0f}"


# --------------------------------------------------------------------------------------------


async def plain_request(port, origin):
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(f"GET http://{origin}/body?size=1000&seed=9 HTTP/1.1\r\n"
                     f"Host: {origin}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        first, headers = await asyncio.wait_for(read_head(reader), 10)
        data, complete = await asyncio.wait_for(read_body(reader, headers), 10)
        return (first.split(" ")[1] == "200" and complete
                and hashlib.sha256(data).hexdigest() == body_digest(1000, 9))
    finally:
        writer.close()


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


async def main(args):
    # Stalled connections are held on purpose: room for them, in this process and in Wicket.
    import resource
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    origin = Origin()
    origin_server = await asyncio.start_server(origin.handle, HOST, 0, limit=4 * MIB)
    echo_server = await asyncio.start_server(echo, HOST, 0)
    origin_port = origin_server.sockets[0].getsockname()[1]
    echo_port = echo_server.sockets[0].getsockname()[1]
    proxy_port = free_port()

    workdir = tempfile.mkdtemp(prefix="wicket-soak-")
    config = os.path.join(workdir, "config.json")
    with open(config, "w") as f:
        f.write("{}\n")
    stderr_path = os.path.join(workdir, "wicket.stderr")
    command = [args.wicket, "--config", config, "--listen", f"{HOST}:{proxy_port}", "--quiet",
               "--connect-ports", f"443,{echo_port}", "--timeout", str(args.timeout),
               "--head-timeout", str(args.head_timeout), "--idle-timeout", str(args.idle_timeout)]
    stderr = open(stderr_path, "w")
    proxy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    for _ in range(100):
        try:
            socket.create_connection((HOST, proxy_port), 0.2).close()
            break
        except OSError:
            await asyncio.sleep(0.1)
    else:
        raise SystemExit(f"wicket did not start: {command}")

    soak = Soak(args, proxy_port, origin_port, echo_port)
    baseline = sample(proxy.pid)
    samples = []
    stop = asyncio.Event()
    started = time.monotonic()
    until = started + args.minutes * 60
    sampling = asyncio.ensure_future(sampler(proxy.pid, soak, args.interval, samples, stop))
    print(f"soak: wicket pid {proxy.pid} on :{proxy_port}, origin :{origin_port}, "
          f"echo :{echo_port}, {args.workers} workers for {args.minutes} min", flush=True)

    async def progress():
        while time.monotonic() < until:
            await asyncio.sleep(60)
            s = samples[-1] if samples else {}
            print(f"soak: {time.monotonic() - started:5.0f}s checked {sum(soak.stats.ok.values())}"
                  f" faults {sum(soak.stats.faults.values())} failures {len(soak.stats.failures)}"
                  f" fds {s.get('fds')} rss {s.get('rss_kib')} KiB tcp {s.get('tcp')}", flush=True)

    reporter = asyncio.ensure_future(progress())
    await asyncio.gather(*(soak.worker(until) for _ in range(args.workers)))
    reporter.cancel()
    load_end = time.monotonic()

    # Drain: every connection the load left must be closed by the proxy's timeouts, and its
    # idle upstream connections dropped once the origin closes them.
    drain_limit = max(args.timeout, args.idle_timeout, args.head_timeout) + ORIGIN_IDLE + 60
    gone = {"fds": -1, "rss_kib": -1, "threads": -1, "tcp": -1, "tcp_states": {}}
    while True:
        await asyncio.sleep(2)
        drain_time = time.monotonic() - load_end
        try:
            drained = sample(proxy.pid)
        except OSError:
            drained = gone
            break
        if (drained["fds"] <= baseline["fds"] + 4 and drained["tcp"] <= baseline["tcp"] + 2) \
                or drain_time > drain_limit:
            break
    stop.set()
    await sampling
    running = proxy.poll() is None
    try:
        alive = running and await plain_request(proxy_port, f"{HOST}:{origin_port}")
    except (OSError, asyncio.TimeoutError, Closed, asyncio.IncompleteReadError, ValueError):
        alive = False

    proxy.send_signal(signal.SIGTERM)
    try:
        exit_code = proxy.wait(15)
    except subprocess.TimeoutExpired:
        proxy.kill()
        exit_code = "killed after 15 s"
    stderr.close()
    with open(stderr_path, errors="replace") as f:
        stderr_text = f.read()
    origin_server.close()
    echo_server.close()

    # Verdict ---------------------------------------------------------------------------------
    load_samples = [s for s in samples if s["t"] <= load_end - START]
    warm = [s for s in load_samples if s["t"] >= started - START + args.warmup]
    checks = []
    for key, slack in (("fds", 16), ("rss_kib", 8 * 1024), ("tcp", 16), ("threads", 8)):
        ok, detail = flat([s[key] for s in warm], args.tolerance, slack)
        checks.append((f"flat {key}", ok, detail))
    checks.append(("ran to the end", running, "wicket was running when the load stopped"
                   if running else f"wicket exited during the soak ({proxy.returncode})"))
    checks.append(("drained fds", 0 <= drained["fds"] <= baseline["fds"] + 4,
                   f"before load {baseline['fds']}, {drain_time:.0f} s after the load "
                   f"{drained['fds']} (limit {drain_limit} s)"))
    checks.append(("drained tcp", 0 <= drained["tcp"] <= baseline["tcp"] + 2,
                   f"before load {baseline['tcp']}, after drain {drained['tcp']} "
                   f"{drained['tcp_states']}"))
    st = soak.stats
    checks.append(("correct responses", not st.failures,
                   f"{sum(st.ok.values())} checked exchanges right, {len(st.failures)} wrong"))
    checks.append(("answers at the end", alive, "plain GET after the soak"))
    checks.append(("clean exit", exit_code == 0, f"exit status {exit_code} on SIGTERM"))
    checks.append(("no panic", "panicked" not in stderr_text, f"{len(stderr_text)} bytes on stderr"))
    passed = all(ok for _, ok, _ in checks)

    def series(key):
        return [s[key] for s in samples]

    lines = [
        f"Wicket soak: {'PASS' if passed else 'FAIL'}"
        + (f" (partial: {', '.join(args.skip)} left out)" if args.skip else ""),
        f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, host: {os.uname().nodename}, "
        f"{os.cpu_count()} CPUs, kernel {os.uname().release}",
        f"binary: {args.wicket}",
        f"load: {args.minutes} min, {args.workers} workers, seed {args.seed}; wicket --timeout "
        f"{args.timeout} --head-timeout {args.head_timeout} --idle-timeout {args.idle_timeout}",
        f"checked exchanges: {sum(st.ok.values())} ({dict(sorted(st.ok.items()))}), "
        f"{st.bytes_checked / MIB:.0f} MiB checksummed",
        f"injected faults: {sum(st.faults.values())} ({dict(sorted(st.faults.items()))})",
        f"faults with a checked outcome, right: {sum(st.fault_ok.values())} "
        f"({dict(sorted(st.fault_ok.items()))})",
        f"faults with no outcome to check (judged by the resource checks): "
        f"{sum(st.unchecked.values())} ({dict(sorted(st.unchecked.items()))})",
        f"stalls the proxy had not cut after {args.stall_wait:g} s (the client gave up): "
        f"{sum(st.gave_up.values())} ({dict(sorted(st.gave_up.items()))})",
        f"origin connections accepted: {origin.connections}; held in a stall at most at once: "
        f"{origin.stalled_max}",
        f"scenarios left out (--skip): {', '.join(args.skip) or 'none'}",
        f"samples: {len(samples)} every {args.interval} s; warm-up {args.warmup} s; "
        f"flat = last third max <= first third median * {1 + args.tolerance:.2f} + slack",
        f"before load: {baseline}",
        f"after drain: {drained}",
        "",
    ]
    for name, ok, detail in checks:
        lines.append(f"  [{'ok' if ok else 'FAIL'}] {name}: {detail}")
    lines.append("")
    lines.append("series over the load (min / median / max), and after the warm-up "
                 "(first, min, max, last):")
    for key in ("fds", "rss_kib", "tcp", "threads"):
        values = sorted(s[key] for s in load_samples) or [0]
        after = [s[key] for s in warm] or [0]
        lines.append(f"  {key}: {values[0]} / {values[len(values) // 2]} / {values[-1]}; "
                     f"after warm-up {after[0]}, {min(after)}, {max(after)}, {after[-1]}")
    lines.append("")
    lines.append("minute  fds  rss_kib  tcp  threads  checked  faults")
    next_minute = 0
    for s in samples:
        if s["t"] - (started - START) >= next_minute * 60:
            lines.append(f"{next_minute:6d} {s['fds']:4d} {s['rss_kib']:8d} {s['tcp']:4d} "
                         f"{s['threads']:8d} {s['checked']:8d} {s['faults']:7d}")
            next_minute += 1
    last = samples[-1] if samples else gone
    lines.append(f"   end {last['fds']:4d} {last['rss_kib']:8d} {last['tcp']:4d} "
                 f"{last['threads']:8d} {last['checked']:8d} {last['faults']:7d}")
    if st.failures:
        lines.append("")
        lines.append(f"failures (first 30 of {len(st.failures)}):")
        lines += [f"  t={t}s {scenario}: {what}" for t, scenario, what in st.failures[:30]]
    if stderr_text.strip():
        lines.append("")
        lines.append("wicket stderr (last 20 lines):")
        lines += ["  " + l for l in stderr_text.strip().splitlines()[-20:]]
    report = "\n".join(lines) + "\n"
    print(report)
    os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
    with open(args.report, "w") as f:
        f.write(report)
    with open(os.path.splitext(args.report)[0] + "-samples.csv", "w") as f:
        f.write("t,fds,rss_kib,tcp,threads,checked,faults\n")
        for s in samples:
            f.write(f"{s['t']},{s['fds']},{s['rss_kib']},{s['tcp']},{s['threads']},"
                    f"{s['checked']},{s['faults']}\n")
    with open(os.path.splitext(args.report)[0] + ".json", "w") as f:
        json.dump({"passed": passed, "checks": checks, "ok": st.ok, "faults": st.faults,
                   "fault_ok": st.fault_ok, "unchecked": st.unchecked, "gave_up": st.gave_up,
                   "skip": args.skip,
                   "failures": st.failures, "samples": samples, "baseline": baseline,
                   "drained": drained}, f, indent=1)
    return 0 if passed else 1


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--wicket", required=True, help="path to the wicket binary")
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--workers", type=int, default=24)
    p.add_argument("--interval", type=float, default=5, help="seconds between samples")
    p.add_argument("--warmup", type=float, default=60, help="seconds before flatness is judged")
    p.add_argument("--tolerance", type=float, default=0.25)
    p.add_argument("--timeout", type=int, default=2, help="wicket --timeout")
    p.add_argument("--head-timeout", type=int, default=2, help="wicket --head-timeout")
    p.add_argument("--idle-timeout", type=int, default=3, help="wicket --idle-timeout")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--stall-wait", type=float, default=15,
                   help="seconds a client waits on a stalled exchange before it gives up")
    p.add_argument("--skip", default="",
                   help="scenarios to leave out, comma-separated (the report says so)")
    p.add_argument("--report", default="soak/out/report.txt")
    args = p.parse_args()
    args.warmup = min(args.warmup, args.minutes * 60 / 4)
    args.skip = [n for n in args.skip.split(",") if n]
    known = [n for n, _ in Soak.SCENARIOS]
    for name in args.skip:
        if name not in known:
            p.error(f"--skip: no scenario {name!r} (scenarios: {', '.join(known)})")
    if len(args.skip) == len(known):
        p.error("--skip: nothing left to run")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
