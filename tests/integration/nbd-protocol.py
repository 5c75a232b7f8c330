#!/usr/bin/env python3
"""Drive an NBD server with raw, often malformed, protocol messages.

usage: nbd-protocol.py SOCKET EXPORT SIZE [--err EXPORT] [--slow EXPORT]

SOCKET is a unix socket, EXPORT a writable export of SIZE bytes whose
contents the test may destroy.  --err names an export whose second half
fails with EIO (nbd-serve's err:SIZE), --slow one whose reads at offset 0
are slow (nbd-serve's slow:SIZE): those checks run only when given.
Python 3 standard library only.  Exit 0 pass, 1 fail, 77 skip.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

NBDMAGIC = 0x4E42444D41474943
IHAVEOPT = 0x49484156454F5054
REPMAGIC = 0x3E889045565A9
REQ_MAGIC = 0x25609513
SIMPLE_MAGIC = 0x67446698
CHUNK_MAGIC = 0x668E33EF

OPT_EXPORT_NAME, OPT_ABORT, OPT_LIST, OPT_INFO, OPT_GO = 1, 2, 3, 6, 7
OPT_STRUCTURED, OPT_LIST_META, OPT_SET_META = 8, 9, 10
REP_ACK, REP_SERVER, REP_INFO, REP_META = 1, 2, 3, 4
ERR_UNSUP, ERR_INVALID, ERR_UNKNOWN = 2**31 + 1, 2**31 + 3, 2**31 + 6
INFO_EXPORT, INFO_NAME, INFO_DESC, INFO_BLOCK_SIZE = 0, 1, 2, 3

CMD_READ, CMD_WRITE, CMD_DISC, CMD_FLUSH, CMD_TRIM = 0, 1, 2, 3, 4
CMD_CACHE, CMD_WRITE_ZEROES, CMD_BLOCK_STATUS = 5, 6, 7
FLAG_FUA, FLAG_NO_HOLE, FLAG_DF, FLAG_REQ_ONE = 1, 2, 4, 8
FLAG_READ_ONLY, FLAG_SEND_FLUSH, FLAG_CAN_MULTI_CONN = 2, 4, 256
EPERM, EIO, EINVAL, ENOSPC = 1, 5, 22, 28
TYPE_OFFSET_DATA, TYPE_BLOCK_STATUS, TYPE_ERROR = 1, 5, 2**15 + 1

failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures += 1


def request(typ, off=0, length=0, flags=0, cookie=1, data=b"", magic=REQ_MAGIC):
    """One request message, header and payload."""
    return struct.pack(">IHHQQI", magic, flags, typ, cookie, off, length) + data


class Closed(Exception):
    pass


class Client:
    def __init__(self, path, flags=3):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(20)
        self.s.connect(path)
        magic, opt, hflags = struct.unpack(">QQH", self.recv(18))
        if magic != NBDMAGIC or opt != IHAVEOPT:
            raise RuntimeError("bad server greeting")
        self.hflags = hflags
        self.structured = False
        if flags is not None:
            self.send(struct.pack(">I", flags))

    def send(self, b):
        self.s.sendall(b)

    def recv(self, n):
        b = b""
        while len(b) < n:
            try:
                k = self.s.recv(n - len(b))
            except (ConnectionResetError, BrokenPipeError):
                k = b""
            if not k:
                raise Closed()
            b += k
        return b

    def closed(self):
        """True once the server hangs up (EOF or reset), False on data."""
        try:
            return self.s.recv(1) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def option(self, opt, data=b""):
        self.send(struct.pack(">QII", IHAVEOPT, opt, len(data)) + data)

    def opt_reply(self):
        magic, opt, typ, n = struct.unpack(">QIII", self.recv(20))
        if magic != REPMAGIC:
            raise RuntimeError("bad option reply magic")
        return opt, typ, self.recv(n)

    def opt_replies(self, opt, data=b""):
        """All replies to one option, the final one last."""
        self.option(opt, data)
        out = []
        while True:
            o, typ, d = self.opt_reply()
            if o != opt:
                raise RuntimeError("reply for option %d, expected %d" % (o, opt))
            out.append((typ, d))
            if typ not in (REP_SERVER, REP_INFO, REP_META):
                return out

    def go(self, name, reqs=(INFO_BLOCK_SIZE,), opt=OPT_GO):
        n = name.encode()
        data = struct.pack(">I", len(n)) + n + struct.pack(">H", len(reqs))
        data += b"".join(struct.pack(">H", r) for r in reqs)
        reps = self.opt_replies(opt, data)
        info = {}
        for typ, d in reps[:-1]:
            if typ == REP_INFO:
                info[struct.unpack(">H", d[:2])[0]] = d[2:]
        if INFO_EXPORT in info:
            self.size, self.tflags = struct.unpack(">QH", info[INFO_EXPORT])
        if INFO_BLOCK_SIZE in info:
            self.bmin, self.bpref, self.bmax = struct.unpack(">III", info[INFO_BLOCK_SIZE])
        return reps[-1][0], info

    def request(self, *args, **kw):
        self.send(request(*args, **kw))

    def reply(self, read_len=0):
        """One whole reply: (cookie, error, data, chunks)."""
        magic = struct.unpack(">I", self.recv(4))[0]
        if magic == SIMPLE_MAGIC:
            err, cookie = struct.unpack(">IQ", self.recv(12))
            data = self.recv(read_len) if read_len and not err else b""
            return cookie, err, data, []
        if magic != CHUNK_MAGIC:
            raise RuntimeError("bad reply magic %#x" % magic)
        chunks, err, data = [], 0, b""
        while True:
            flags, typ, cookie, n = struct.unpack(">HHQI", self.recv(16))
            payload = self.recv(n)
            chunks.append((typ, payload))
            if typ & 0x8000:
                err = struct.unpack(">I", payload[:4])[0]
            elif typ == TYPE_OFFSET_DATA:
                data += payload[8:]
            if flags & 1:
                return cookie, err, data, chunks
            if struct.unpack(">I", self.recv(4))[0] != CHUNK_MAGIC:
                raise RuntimeError("bad chunk magic")

    def cmd(self, typ, off=0, length=0, flags=0, data=b"", cookie=7):
        self.request(typ, off, length, flags, cookie, data)
        c, err, d, chunks = self.reply(length if typ == CMD_READ else 0)
        if c != cookie:
            raise RuntimeError("cookie %d for %d" % (c, cookie))
        return err, d, chunks


def pipeline(c, msgs, n, read_len=0):
    """Send the n requests in msgs from a thread, without waiting for any
    reply, while this thread reads the n replies.  A client must read while
    it sends (libnbd does): one that sends everything first relies on the
    socket buffers holding every request and reply, and hangs past that
    whatever the server does (on Linux 6.18, 302 pipelined 512-byte reads
    fit on a unix socket with the server's 64 in flight, 303 do not)."""
    err = []

    def send():
        try:
            c.send(msgs)
        except OSError as e:
            err.append(e)

    t = threading.Thread(target=send, daemon=True)
    t.start()
    replies = [c.reply(read_len) for _ in range(n)]
    t.join()
    if err:
        raise err[0]
    return replies


def connect(path, name, structured=False, meta=False):
    c = Client(path)
    if structured:
        check(c.opt_replies(OPT_STRUCTURED)[-1][0] == REP_ACK, "STRUCTURED_REPLY acked")
        c.structured = True
    if meta:
        q = b"base:allocation"
        n = name.encode()
        data = struct.pack(">I", len(n)) + n + struct.pack(">II", 1, len(q)) + q
        reps = c.opt_replies(OPT_SET_META, data)
        check(len(reps) == 2 and reps[0][0] == REP_META and reps[0][1][4:] == q
              and reps[1][0] == REP_ACK, "SET_META_CONTEXT selects base:allocation")
        c.meta_id = struct.unpack(">I", reps[0][1][:4])[0]
    rep, _ = c.go(name)
    if rep != REP_ACK:
        raise RuntimeError("GO %s failed: %#x" % (name, rep))
    return c


def test_handshake(path, name, size):
    c = Client(path)
    check(c.hflags & 1 and c.hflags & 2, "server offers FIXED_NEWSTYLE and NO_ZEROES")
    reps = c.opt_replies(OPT_LIST)
    names = [d[4:4 + struct.unpack(">I", d[:4])[0]].decode() for t, d in reps if t == REP_SERVER]
    check(reps[-1][0] == REP_ACK and name in names, "LIST returns the export (%s)" % names)
    check(c.opt_replies(OPT_LIST, b"x")[-1][0] == ERR_INVALID, "LIST with data: ERR_INVALID")
    check(c.opt_replies(0x4242)[-1][0] == ERR_UNSUP, "unknown option: ERR_UNSUP")
    check(c.opt_replies(5)[-1][0] == ERR_UNSUP, "STARTTLS: ERR_UNSUP")
    check(c.opt_replies(OPT_STRUCTURED, b"xx")[-1][0] == ERR_INVALID,
          "STRUCTURED_REPLY with data: ERR_INVALID")
    check(c.opt_replies(OPT_GO, struct.pack(">I", 100) + b"ab")[-1][0] == ERR_INVALID,
          "GO with a name longer than the option: ERR_INVALID")
    check(c.opt_replies(OPT_GO, struct.pack(">I", 0))[-1][0] == ERR_INVALID,
          "GO without the info count: ERR_INVALID")
    check(c.opt_replies(OPT_INFO, struct.pack(">I", 2) + b"ab" + struct.pack(">H", 3))[-1][0]
          == ERR_INVALID, "INFO with a short request list: ERR_INVALID")
    q = b"base:allocation"
    bad = struct.pack(">I", 0) + struct.pack(">II", 2, len(q)) + q
    check(c.opt_replies(OPT_LIST_META, bad)[-1][0] == ERR_INVALID,
          "LIST_META_CONTEXT with a missing query: ERR_INVALID")
    check(c.go("no-such-export", opt=OPT_INFO)[0] == ERR_UNKNOWN, "INFO unknown export: ERR_UNKNOWN")
    n = name.encode()
    meta = c.opt_replies(OPT_LIST_META, struct.pack(">I", len(n)) + n + struct.pack(">I", 0))
    check(meta[-1][0] == REP_ACK and any(d[4:] == q for t, d in meta if t == REP_META),
          "LIST_META_CONTEXT offers base:allocation")
    rep, info = c.go(name, (INFO_BLOCK_SIZE, INFO_NAME, INFO_DESC), opt=OPT_INFO)
    check(rep == REP_ACK and c.size == size, "INFO: size %d" % size)
    check(info.get(INFO_NAME) == n, "INFO: canonical name")
    check(c.bmin == 1 and c.bpref == 4096 and c.bmax >= 4096, "INFO: block sizes 1/4096/%d" % c.bmax)
    check(c.tflags & FLAG_SEND_FLUSH and c.tflags & FLAG_CAN_MULTI_CONN and
          not c.tflags & FLAG_READ_ONLY, "INFO: flush, multi-conn, writable")
    rep, _ = c.go(name)
    check(rep == REP_ACK, "GO after errors")
    check(c.cmd(CMD_FLUSH)[0] == 0, "transmission works after the option errors")
    c.request(CMD_DISC)
    check(c.closed(), "DISC closes")

    c = Client(path)
    reps = c.opt_replies(OPT_ABORT)
    check(reps[-1][0] == REP_ACK and c.closed(), "ABORT: ACK then close")

    c = Client(path)
    n = name.encode()
    c.option(OPT_EXPORT_NAME, n)
    sz, fl = struct.unpack(">QH", c.recv(10))
    check(sz == size, "EXPORT_NAME with NO_ZEROES: no padding")
    check(c.cmd(CMD_FLUSH)[0] == 0, "EXPORT_NAME: transmission")

    c = Client(path, flags=1)
    c.option(OPT_EXPORT_NAME, n)
    c.recv(10 + 124)
    check(c.cmd(CMD_FLUSH)[0] == 0, "EXPORT_NAME without NO_ZEROES: 124 zero bytes")

    c = Client(path)
    c.option(OPT_EXPORT_NAME, b"no-such-export")
    check(c.closed(), "EXPORT_NAME of an unknown export: disconnect")

    c = Client(path, flags=0x80000001)
    check(c.closed(), "unknown client flags: disconnect")

    c = Client(path)
    c.send(struct.pack(">QII", IHAVEOPT ^ 1, OPT_LIST, 0))
    check(c.closed(), "bad option magic: disconnect")

    c = Client(path)
    c.send(struct.pack(">QII", IHAVEOPT, OPT_LIST, 1 << 20))
    check(c.closed(), "1 MiB option: disconnect")


def test_simple(path, name, size):
    c = connect(path, name)
    mx = c.bmax
    pat = bytes(range(256)) * 16
    check(c.cmd(CMD_WRITE, 4096, 4096, data=pat)[0] == 0, "write")
    err, d, _ = c.cmd(CMD_READ, 4096, 4096)
    check(err == 0 and d == pat, "read back")
    c.cmd(CMD_WRITE, 0, 8, data=b"\0" * 8)
    check(c.cmd(CMD_WRITE, 1, 3, FLAG_FUA, data=b"xyz")[0] == 0, "unaligned FUA write")
    check(c.cmd(CMD_READ, 0, 5)[1] == b"\0xyz\0", "unaligned read")
    check(c.cmd(CMD_READ, size - 512, 1024)[0] == EINVAL, "read past the end: EINVAL")
    check(c.cmd(CMD_READ, 2**63, 512)[0] == EINVAL, "read at 2^63: EINVAL")
    check(c.cmd(CMD_READ, 2**64 - 512, 1024)[0] == EINVAL, "read wrapping 2^64: EINVAL")
    check(c.cmd(CMD_WRITE, size, 512, data=b"\0" * 512)[0] == ENOSPC, "write past the end: ENOSPC")
    check(c.cmd(CMD_WRITE_ZEROES, size - 512, 1024)[0] == ENOSPC, "zero past the end: ENOSPC")
    check(c.cmd(CMD_TRIM, size, 1)[0] == ENOSPC, "trim past the end: ENOSPC")
    check(c.cmd(99)[0] == EINVAL, "unknown command: EINVAL")
    check(c.cmd(CMD_READ, 0, 512, FLAG_DF)[0] == EINVAL, "READ with DF (not offered): EINVAL")
    check(c.cmd(CMD_READ, 0, 512, 0x100)[0] == EINVAL, "unknown flag: EINVAL")
    check(c.cmd(CMD_WRITE, 0, 4, FLAG_NO_HOLE, data=b"abcd")[0] == EINVAL,
          "WRITE with NO_HOLE: EINVAL, payload drained")
    check(c.cmd(CMD_FLUSH, 0, 512)[0] == EINVAL, "FLUSH with a length: EINVAL")
    check(c.cmd(CMD_READ, 0, 0)[0] == EINVAL, "zero-length read: EINVAL")
    check(c.cmd(CMD_BLOCK_STATUS, 0, 512)[0] == EINVAL, "BLOCK_STATUS without a context: EINVAL")
    check(c.cmd(CMD_READ, 0, mx + 1)[0] == EINVAL, "read over the maximum payload: EINVAL")
    if mx < 64 << 20:
        check(c.cmd(CMD_WRITE, 0, mx + 1, data=b"\1" * (mx + 1))[0] == EINVAL,
              "write over the maximum payload: EINVAL, payload drained")
    check(c.cmd(CMD_CACHE, 0, 4096)[0] == 0, "CACHE")
    check(c.cmd(CMD_WRITE_ZEROES, 4096, 1024, FLAG_FUA)[0] == 0, "WRITE_ZEROES")
    check(c.cmd(CMD_WRITE_ZEROES, 4096 + 1024, 1024, FLAG_NO_HOLE)[0] == 0, "WRITE_ZEROES NO_HOLE")
    check(c.cmd(CMD_READ, 4096, 4096)[1] == b"\0" * 2048 + pat[2048:], "zeroes read back")
    check(c.cmd(CMD_TRIM, 0, 4096, FLAG_FUA)[0] == 0, "TRIM")
    check(c.cmd(CMD_FLUSH)[0] == 0, "FLUSH")

    test_pipelined(c)

    c.request(CMD_WRITE, 0, 512, cookie=5, data=b"d" * 512)
    c.request(CMD_DISC)
    check(c.reply()[:2] == (5, 0) and c.closed(), "DISC: in-flight write replies, then close")

    c = connect(path, name)
    c.request(CMD_WRITE, 0, 0xFFFFFFFF, cookie=1)
    check(c.closed(), "4 GiB write: disconnect")

    # A client that vanishes with requests in flight: the server's replies
    # hit a closed socket (no SIGPIPE may kill it).
    c = connect(path, name)
    for i in range(64):
        c.request(CMD_READ, 0, 65536, cookie=i)
    c.s.close()
    c = connect(path, name)
    check(c.cmd(CMD_READ, 0, 512)[0] == 0, "served after a client vanished with 64 reads in flight")

    c = connect(path, name)
    c.request(CMD_READ, 0, 512, magic=REQ_MAGIC ^ 0x10)
    check(c.closed(), "bad request magic: disconnect")
    c = connect(path, name)
    check(c.cmd(CMD_READ, 0, 512)[0] == 0, "another connection is still served")

    # Several connections share the export: FLUSH covers the others' writes.
    a, b = connect(path, name), connect(path, name)
    check(a.cmd(CMD_WRITE, 65536, 512, data=b"m" * 512)[0] == 0 and b.cmd(CMD_FLUSH)[0] == 0 and
          b.cmd(CMD_READ, 65536, 512)[1] == b"m" * 512, "multi-conn: write on one, read on another")


def test_pipelined(c, bs=512):
    # Many more requests in flight than the server admits at once (64),
    # of bs bytes each (4096: aligned for a server's O_DIRECT path).
    n = 300
    msgs = b"".join(request(CMD_WRITE, 8192 + bs * i, bs, cookie=1000 + i,
                            data=bytes([i % 256]) * bs) for i in range(n))
    got = sorted(r[0] for r in pipeline(c, msgs, n))
    check(got == list(range(1000, 1000 + n)), "%d pipelined writes all reply" % n)
    msgs = b"".join(request(CMD_READ, 8192 + bs * i, bs, cookie=i) for i in range(n))
    ok = all(err == 0 and d == bytes([cookie % 256]) * bs
             for cookie, err, d, _ in pipeline(c, msgs, n, bs))
    check(ok, "%d pipelined %d-byte reads return their data" % (n, bs))


def test_large(path, name, size):
    # Requests of 1 MiB (a server may move them by splice, not through a
    # buffer): written and read back, plain and structured, read again
    # once cached; a payload that arrives in two pieces with a pause
    # between; a client that leaves in the middle of one changes nothing.
    n = min(1 << 20, size // 4)
    pat = bytes((i * 7 + 3) % 251 for i in range(n))
    c = connect(path, name)
    check(c.cmd(CMD_WRITE, 0, n, data=pat)[0] == 0, "%d-byte write" % n)
    err, d, _ = c.cmd(CMD_READ, 0, n)
    check(err == 0 and d == pat, "%d-byte read returns it" % n)
    check(c.cmd(CMD_READ, 0, n)[1] == pat, "%d-byte read again (cached)" % n)
    check(c.cmd(CMD_READ, 4096, n - 8192)[1] == pat[4096:n - 4096], "large read at an offset")
    msg = request(CMD_WRITE, n, n, cookie=7, data=pat[::-1])
    c.s.sendall(msg[:len(msg) // 3])
    time.sleep(0.3)
    c.s.sendall(msg[len(msg) // 3:])
    check(c.reply()[:2] == (7, 0) and c.cmd(CMD_READ, n, n)[1] == pat[::-1],
          "a write whose payload comes in two pieces")
    msgs = b"".join(request(CMD_WRITE, 2 * n + 65536 * i, 65536, cookie=i, data=bytes([i]) * 65536)
                    for i in range(16))
    check(sorted(r[0] for r in pipeline(c, msgs, 16)) == list(range(16)), "16 pipelined 64 KiB writes")
    msgs = b"".join(request(CMD_READ, 2 * n + 65536 * i, 65536, cookie=i) for i in range(16))
    check(all(err == 0 and d == bytes([ck]) * 65536 for ck, err, d, _ in pipeline(c, msgs, 16, 65536)),
          "16 pipelined 64 KiB reads return their data")
    st = connect(path, name, structured=True)
    err, d, chunks = st.cmd(CMD_READ, 0, n)
    check(err == 0 and d == pat and len(chunks) == 1 and chunks[0][0] == TYPE_OFFSET_DATA,
          "structured %d-byte read: one OFFSET_DATA chunk" % n)
    # a client that leaves while its large replies are on the way (the
    # server's sends fail: no SIGPIPE may kill it)
    gone = connect(path, name)
    for i in range(8):
        gone.request(CMD_READ, 0, n, cookie=i)
    gone.s.recv(4096)
    gone.s.close()
    check(connect(path, name).cmd(CMD_READ, 0, 512)[0] == 0,
          "served after a client left with 8 MiB of replies on the way")
    gone = connect(path, name)
    gone.s.sendall(request(CMD_WRITE, 0, n, cookie=9, data=b"x" * n)[:n // 2])
    gone.s.close()
    time.sleep(0.2)
    check(c.cmd(CMD_READ, 0, n)[1] == pat, "a client that left in the middle of a payload wrote nothing")


def test_full(path, name):
    # The file under the export runs out of space: large writes fail
    # with ENOSPC, their payloads consumed, and the connection goes on.
    c = connect(path, name)
    n, errs = 1 << 20, []
    for i in range(c.size // n):
        errs.append(c.cmd(CMD_WRITE, i * n, n, data=bytes([i + 1]) * n)[0])
    check(errs[0] == 0 and errs[-1] == ENOSPC, "full file system: ENOSPC (%s)" % errs)
    check(c.cmd(CMD_READ, 0, n)[1] == b"\1" * n, "the first write is there")
    if c.bmax >= 3 * n and c.size >= 5 * n:
        check(c.cmd(CMD_WRITE, 2 * n, 3 * n, data=b"\2" * (3 * n))[0] == ENOSPC,
              "a 3 MiB write fails with ENOSPC in its first MiB, the rest drained")
    check(c.cmd(CMD_READ, 0, 512)[0] == 0, "still in step after ENOSPC")


def test_structured(path, name, size):
    c = connect(path, name, structured=True, meta=True)
    err, d, chunks = c.cmd(CMD_READ, 4096, 1024)
    check(err == 0 and len(chunks) == 1 and chunks[0][0] == TYPE_OFFSET_DATA and
          struct.unpack(">Q", chunks[0][1][:8])[0] == 4096 and len(d) == 1024,
          "structured READ: one OFFSET_DATA chunk")
    err, _, chunks = c.cmd(CMD_READ, size, 512)
    check(err == EINVAL and chunks[0][0] == TYPE_ERROR, "structured READ past the end: ERROR chunk")
    msg_len = struct.unpack(">H", chunks[0][1][4:6])[0]
    check(msg_len > 0 and len(chunks[0][1]) == 6 + msg_len, "ERROR chunk carries a message")
    err, _, chunks = c.cmd(CMD_BLOCK_STATUS, 0, size)
    ok = err == 0 and len(chunks) == 1 and chunks[0][0] == TYPE_BLOCK_STATUS
    if ok:
        p = chunks[0][1]
        ext = [struct.unpack(">II", p[i:i + 8]) for i in range(4, len(p), 8)]
        ok = (struct.unpack(">I", p[:4])[0] == c.meta_id and len(ext) >= 1 and
              sum(e[0] for e in ext) <= size)
    check(ok, "BLOCK_STATUS: one chunk with the negotiated id")
    err, _, chunks = c.cmd(CMD_BLOCK_STATUS, 512, size - 1024, FLAG_REQ_ONE)
    check(err == 0 and len(chunks[0][1]) == 12 and
          struct.unpack(">I", chunks[0][1][4:8])[0] <= size - 1024, "BLOCK_STATUS REQ_ONE: one extent")
    check(c.cmd(CMD_BLOCK_STATUS, size - 512, 1024)[0] == EINVAL, "BLOCK_STATUS past the end: EINVAL")
    check(c.cmd(CMD_WRITE, 0, 512, data=b"s" * 512)[0] == 0, "structured: write")

    # Meta contexts set for another export name do not carry over.
    c = Client(path)
    c.opt_replies(OPT_STRUCTURED)
    q = b"base:allocation"
    other = b"some-other-name"
    reps = c.opt_replies(OPT_SET_META, struct.pack(">I", len(other)) + other +
                         struct.pack(">II", 1, len(q)) + q)
    check(reps[-1][0] == ERR_UNKNOWN, "SET_META_CONTEXT for an unknown export: ERR_UNKNOWN")
    c.go(name)
    check(c.cmd(CMD_BLOCK_STATUS, 0, 512)[0] == EINVAL, "no context after a failed SET")


def test_err(path, name):
    c = connect(path, name)
    half = c.size // 2
    check(c.cmd(CMD_READ, 0, 512)[0] == 0, "err export: first half reads")
    check(c.cmd(CMD_READ, half, 512)[0] == EIO, "err export: EIO")
    check(c.cmd(CMD_WRITE, half, 512, data=b"e" * 512)[0] == EIO, "err export: write EIO")
    check(c.cmd(CMD_READ, 0, 512)[0] == 0, "err export: still served after EIO")
    c = connect(path, name, structured=True)
    err, _, chunks = c.cmd(CMD_READ, half, 512)
    check(err == EIO and chunks[0][0] == TYPE_ERROR, "err export: structured EIO chunk")


def test_slow(path, name):
    c = connect(path, name)
    c.request(CMD_READ, 0, 512, cookie=1)
    c.request(CMD_READ, 4096, 512, cookie=2)
    first = c.reply(512)[0]
    second = c.reply(512)[0]
    check((first, second) == (2, 1), "replies out of order: the fast read overtakes the slow one")


def parse_size(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(s[-1:].upper(), 1)
    return int(s[:-1] if mult > 1 else s, 0) * mult


def main():
    if sys.version_info < (3, 6):
        return 77
    p = argparse.ArgumentParser(description="NBD protocol conformance and abuse test")
    p.add_argument("socket")
    p.add_argument("export", help="a writable export the test may overwrite")
    p.add_argument("size", type=parse_size, help="its size in bytes (K, M, G suffixes)")
    p.add_argument("--err", metavar="EXPORT", help="an export whose second half fails with EIO")
    p.add_argument("--slow", metavar="EXPORT", help="an export whose reads at 0 are slow")
    p.add_argument("--full", metavar="EXPORT",
                   help="an export on a file system with less room than the export's size")
    p.add_argument("--pipelined-only", action="store_true",
                   help="only the pipelined requests (the stress test's round)")
    p.add_argument("--block", type=int, default=512,
                   help="size of each pipelined request [512]")
    a = p.parse_args()
    if not os.path.exists(a.socket):
        print("no socket %s" % a.socket, file=sys.stderr)
        return 1
    try:
        if a.pipelined_only:
            test_pipelined(connect(a.socket, a.export), a.block)
            print("%d failure(s)" % failures)
            return 1 if failures else 0
        test_handshake(a.socket, a.export, a.size)
        test_simple(a.socket, a.export, a.size)
        test_structured(a.socket, a.export, a.size)
        test_large(a.socket, a.export, a.size)
        if a.full:
            test_full(a.socket, a.full)
        if a.err:
            test_err(a.socket, a.err)
        if a.slow:
            test_slow(a.socket, a.slow)
    except (Closed, RuntimeError, socket.timeout, OSError) as e:
        check(False, "protocol exchange: %r" % e)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
