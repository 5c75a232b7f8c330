/* The NBD wire format (doc/proto.md of the NBD project): constants, and
 * explicit big-endian encode and decode of every message the server
 * exchanges.  Nothing here casts a struct over a buffer, does I/O or keeps
 * state, so the decoders are what tests/fuzz/fuzz_nbd.c feeds.
 *
 *   handshake    S: "NBDMAGIC" "IHAVEOPT" flags16          18 bytes
 *                C: client flags32                          4 bytes
 *   option       C: "IHAVEOPT" option32 length32 data      16 + length
 *   option reply S: 0x3e889045565a9 option32 type32 len32  20 + len
 *   request      C: magic32 flags16 type16 cookie64 offset64 length32
 *                                                          28 (+ length for WRITE)
 *   simple reply S: magic32 error32 cookie64               16 (+ data for READ)
 *   chunk        S: magic32 flags16 type16 cookie64 len32  20 + len
 */
#ifndef ULVM_EXPORT_NBD_PROTO_H
#define ULVM_EXPORT_NBD_PROTO_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/* Magics */
#define NBD_MAGIC                  UINT64_C(0x4e42444d41474943) /* "NBDMAGIC" */
#define NBD_OPT_MAGIC              UINT64_C(0x49484156454f5054) /* "IHAVEOPT" */
#define NBD_REP_MAGIC              UINT64_C(0x0003e889045565a9)
#define NBD_REQUEST_MAGIC          UINT32_C(0x25609513)
#define NBD_SIMPLE_REPLY_MAGIC     UINT32_C(0x67446698)
#define NBD_STRUCTURED_REPLY_MAGIC UINT32_C(0x668e33ef)

/* Message sizes */
#define NBD_HELLO_SIZE         18
#define NBD_OPTION_HDR_SIZE    16
#define NBD_OPTION_REPLY_SIZE  20
#define NBD_REQUEST_SIZE       28
#define NBD_SIMPLE_REPLY_SIZE  16
#define NBD_CHUNK_HDR_SIZE     20
#define NBD_EXPORT_NAME_ZEROES 124

/* Handshake flags (server) and client flags */
#define NBD_FLAG_FIXED_NEWSTYLE   (1u << 0)
#define NBD_FLAG_NO_ZEROES        (1u << 1)
#define NBD_FLAG_C_FIXED_NEWSTYLE (1u << 0)
#define NBD_FLAG_C_NO_ZEROES      (1u << 1)

/* Options */
#define NBD_OPT_EXPORT_NAME       1
#define NBD_OPT_ABORT             2
#define NBD_OPT_LIST              3
#define NBD_OPT_STARTTLS          5
#define NBD_OPT_INFO              6
#define NBD_OPT_GO                7
#define NBD_OPT_STRUCTURED_REPLY  8
#define NBD_OPT_LIST_META_CONTEXT 9
#define NBD_OPT_SET_META_CONTEXT  10

/* Option reply types */
#define NBD_REP_ACK          1u
#define NBD_REP_SERVER       2u
#define NBD_REP_INFO         3u
#define NBD_REP_META_CONTEXT 4u
#define NBD_REP_ERR(n)       ((1u << 31) + (n))
#define NBD_REP_ERR_UNSUP    NBD_REP_ERR(1)
#define NBD_REP_ERR_POLICY   NBD_REP_ERR(2)
#define NBD_REP_ERR_INVALID  NBD_REP_ERR(3)
#define NBD_REP_ERR_PLATFORM NBD_REP_ERR(4)
#define NBD_REP_ERR_TLS_REQD NBD_REP_ERR(5)
#define NBD_REP_ERR_UNKNOWN  NBD_REP_ERR(6)
#define NBD_REP_ERR_SHUTDOWN NBD_REP_ERR(7)
#define NBD_REP_ERR_TOO_BIG  NBD_REP_ERR(9)

/* NBD_REP_INFO types */
#define NBD_INFO_EXPORT      0
#define NBD_INFO_NAME        1
#define NBD_INFO_DESCRIPTION 2
#define NBD_INFO_BLOCK_SIZE  3

/* Transmission flags */
#define NBD_FLAG_HAS_FLAGS         (1u << 0)
#define NBD_FLAG_READ_ONLY         (1u << 1)
#define NBD_FLAG_SEND_FLUSH        (1u << 2)
#define NBD_FLAG_SEND_FUA          (1u << 3)
#define NBD_FLAG_ROTATIONAL        (1u << 4)
#define NBD_FLAG_SEND_TRIM         (1u << 5)
#define NBD_FLAG_SEND_WRITE_ZEROES (1u << 6)
#define NBD_FLAG_SEND_DF           (1u << 7)
#define NBD_FLAG_CAN_MULTI_CONN    (1u << 8)
#define NBD_FLAG_SEND_CACHE        (1u << 10)
#define NBD_FLAG_SEND_FAST_ZERO    (1u << 11)

/* Commands and command flags */
#define NBD_CMD_READ         0
#define NBD_CMD_WRITE        1
#define NBD_CMD_DISC         2
#define NBD_CMD_FLUSH        3
#define NBD_CMD_TRIM         4
#define NBD_CMD_CACHE        5
#define NBD_CMD_WRITE_ZEROES 6
#define NBD_CMD_BLOCK_STATUS 7

#define NBD_CMD_FLAG_FUA         (1u << 0)
#define NBD_CMD_FLAG_NO_HOLE     (1u << 1)
#define NBD_CMD_FLAG_DF          (1u << 2)
#define NBD_CMD_FLAG_REQ_ONE     (1u << 3)
#define NBD_CMD_FLAG_FAST_ZERO   (1u << 4)
#define NBD_CMD_FLAG_PAYLOAD_LEN (1u << 5)

/* Structured replies */
#define NBD_REPLY_FLAG_DONE          (1u << 0)
#define NBD_REPLY_TYPE_NONE          0
#define NBD_REPLY_TYPE_OFFSET_DATA   1
#define NBD_REPLY_TYPE_OFFSET_HOLE   2
#define NBD_REPLY_TYPE_BLOCK_STATUS  5
#define NBD_REPLY_TYPE_ERROR         ((1u << 15) + 1)
#define NBD_REPLY_TYPE_ERROR_OFFSET  ((1u << 15) + 2)

/* base:allocation */
#define NBD_META_BASE_ALLOCATION "base:allocation"
#define NBD_STATE_HOLE (1u << 0)
#define NBD_STATE_ZERO (1u << 1)

/* Error values */
#define NBD_EPERM     1
#define NBD_EIO       5
#define NBD_ENOMEM    12
#define NBD_EINVAL    22
#define NBD_ENOSPC    28
#define NBD_EOVERFLOW 75
#define NBD_ENOTSUP   95
#define NBD_ESHUTDOWN 108

/* Limits: the protocol's longest string, and ours for option payloads
 * (a longer option disconnects the client). */
#define NBD_MAX_STRING 4096
#define NBD_MAX_OPTION (64u * 1024)

static inline uint16_t nbd_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t nbd_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t nbd_get64(const uint8_t *p)
{
	return (uint64_t)nbd_get32(p) << 32 | nbd_get32(p + 4);
}

static inline void nbd_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void nbd_put32(uint8_t *p, uint32_t v)
{
	nbd_put16(p, (uint16_t)(v >> 16));
	nbd_put16(p + 2, (uint16_t)v);
}

static inline void nbd_put64(uint8_t *p, uint64_t v)
{
	nbd_put32(p, (uint32_t)(v >> 32));
	nbd_put32(p + 4, (uint32_t)v);
}

struct nbd_request {
	uint16_t flags;
	uint16_t type;
	uint64_t cookie;
	uint64_t offset;
	uint32_t length;
};

struct nbd_option {
	uint32_t option;
	uint32_t length;
};

/* NBD_OPT_INFO / NBD_OPT_GO payload.  @name points into the buffer and
 * is not terminated; @reqs holds @nreqs big-endian 16-bit info types. */
struct nbd_info_option {
	const uint8_t *name;
	uint32_t name_len;
	uint16_t nreqs;
	const uint8_t *reqs;
};

/* NBD_OPT_{LIST,SET}_META_CONTEXT payload; walk the queries with
 * nbd_meta_next_query(). */
struct nbd_meta_option {
	const uint8_t *name;
	uint32_t name_len;
	uint32_t nqueries;
	const uint8_t *queries;  /* nqueries x (len32, bytes) */
	size_t queries_len;
};

/* Decoders return 0, -EMSGSIZE when @n is short or a length field points
 * past the end, -EBADMSG on a wrong magic, -EINVAL on a bad field. */
int nbd_decode_client_flags(const uint8_t *b, size_t n, uint32_t *flags);
int nbd_decode_option(const uint8_t *b, size_t n, struct nbd_option *o);
int nbd_decode_info_option(const uint8_t *b, size_t n, struct nbd_info_option *o);
int nbd_decode_meta_option(const uint8_t *b, size_t n, struct nbd_meta_option *o);
/* Next query of a decoded meta option: 1 with @q/@qlen set, 0 at the end. */
int nbd_meta_next_query(const struct nbd_meta_option *o, size_t *pos, const uint8_t **q,
			uint32_t *qlen);
int nbd_decode_request(const uint8_t *b, size_t n, struct nbd_request *r);

/* Encoders fill exactly the *_SIZE bytes named above. */
void nbd_encode_hello(uint8_t b[NBD_HELLO_SIZE], uint16_t flags);
void nbd_encode_option_reply(uint8_t b[NBD_OPTION_REPLY_SIZE], uint32_t option, uint32_t type,
			     uint32_t len);
void nbd_encode_request(uint8_t b[NBD_REQUEST_SIZE], const struct nbd_request *r);
void nbd_encode_simple_reply(uint8_t b[NBD_SIMPLE_REPLY_SIZE], uint32_t error, uint64_t cookie);
void nbd_encode_chunk(uint8_t b[NBD_CHUNK_HDR_SIZE], uint16_t flags, uint16_t type,
		      uint64_t cookie, uint32_t len);

/* -errno (or errno) to the NBD error sent on the wire. */
uint32_t nbd_errno(int err);

static_assert(NBD_MAX_OPTION >= 2 * NBD_MAX_STRING + 16, "an option must hold two strings");

#endif
