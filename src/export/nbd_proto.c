/* Pure encode and decode of NBD messages: see nbd_proto.h for the layouts.
 * Every decoder checks each length against what is left of its buffer
 * before it reads, so any byte string is safe input (tests/fuzz/fuzz_nbd.c). */
#include "export/nbd_proto.h"

#include <errno.h>
#include <string.h>

int nbd_decode_client_flags(const uint8_t *b, size_t n, uint32_t *flags)
{
	if (n < 4)
		return -EMSGSIZE;
	*flags = nbd_get32(b);
	if (*flags & ~(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES))
		return -EINVAL;
	return 0;
}

int nbd_decode_option(const uint8_t *b, size_t n, struct nbd_option *o)
{
	if (n < NBD_OPTION_HDR_SIZE)
		return -EMSGSIZE;
	if (nbd_get64(b) != NBD_OPT_MAGIC)
		return -EBADMSG;
	o->option = nbd_get32(b + 8);
	o->length = nbd_get32(b + 12);
	return 0;
}

/* A string field: 32-bit length then bytes, at most NBD_MAX_STRING, no NUL. */
static int decode_string(const uint8_t *b, size_t n, size_t *pos, const uint8_t **s,
			 uint32_t *len)
{
	if (n - *pos < 4)
		return -EMSGSIZE;
	*len = nbd_get32(b + *pos);
	*pos += 4;
	if (*len > n - *pos)
		return -EMSGSIZE;
	if (*len > NBD_MAX_STRING)
		return -EINVAL;
	*s = b + *pos;
	if (*len && memchr(*s, 0, *len))
		return -EINVAL;
	*pos += *len;
	return 0;
}

int nbd_decode_info_option(const uint8_t *b, size_t n, struct nbd_info_option *o)
{
	size_t pos = 0;
	int r;

	r = decode_string(b, n, &pos, &o->name, &o->name_len);
	if (r)
		return r;
	if (n - pos < 2)
		return -EMSGSIZE;
	o->nreqs = nbd_get16(b + pos);
	pos += 2;
	o->reqs = b + pos;
	/* The requests must fill the rest of the option exactly. */
	if (n - pos != 2 * (size_t)o->nreqs)
		return -EMSGSIZE;
	return 0;
}

int nbd_decode_meta_option(const uint8_t *b, size_t n, struct nbd_meta_option *o)
{
	size_t pos = 0;
	uint32_t i;
	int r;

	r = decode_string(b, n, &pos, &o->name, &o->name_len);
	if (r)
		return r;
	if (n - pos < 4)
		return -EMSGSIZE;
	o->nqueries = nbd_get32(b + pos);
	pos += 4;
	o->queries = b + pos;
	o->queries_len = n - pos;
	for (i = 0; i < o->nqueries; i++) {
		const uint8_t *q;
		uint32_t qlen;

		r = decode_string(b, n, &pos, &q, &qlen);
		if (r)
			return r;
	}
	return pos == n ? 0 : -EMSGSIZE;
}

int nbd_meta_next_query(const struct nbd_meta_option *o, size_t *pos, const uint8_t **q,
			uint32_t *qlen)
{
	if (o->queries_len - *pos < 4)
		return 0;
	return decode_string(o->queries, o->queries_len, pos, q, qlen) ? 0 : 1;
}

int nbd_decode_request(const uint8_t *b, size_t n, struct nbd_request *r)
{
	if (n < NBD_REQUEST_SIZE)
		return -EMSGSIZE;
	if (nbd_get32(b) != NBD_REQUEST_MAGIC)
		return -EBADMSG;
	r->flags = nbd_get16(b + 4);
	r->type = nbd_get16(b + 6);
	r->cookie = nbd_get64(b + 8);
	r->offset = nbd_get64(b + 16);
	r->length = nbd_get32(b + 24);
	return 0;
}

void nbd_encode_hello(uint8_t b[NBD_HELLO_SIZE], uint16_t flags)
{
	nbd_put64(b, NBD_MAGIC);
	nbd_put64(b + 8, NBD_OPT_MAGIC);
	nbd_put16(b + 16, flags);
}

void nbd_encode_option_reply(uint8_t b[NBD_OPTION_REPLY_SIZE], uint32_t option, uint32_t type,
			     uint32_t len)
{
	nbd_put64(b, NBD_REP_MAGIC);
	nbd_put32(b + 8, option);
	nbd_put32(b + 12, type);
	nbd_put32(b + 16, len);
}

void nbd_encode_request(uint8_t b[NBD_REQUEST_SIZE], const struct nbd_request *r)
{
	nbd_put32(b, NBD_REQUEST_MAGIC);
	nbd_put16(b + 4, r->flags);
	nbd_put16(b + 6, r->type);
	nbd_put64(b + 8, r->cookie);
	nbd_put64(b + 16, r->offset);
	nbd_put32(b + 24, r->length);
}

void nbd_encode_simple_reply(uint8_t b[NBD_SIMPLE_REPLY_SIZE], uint32_t error, uint64_t cookie)
{
	nbd_put32(b, NBD_SIMPLE_REPLY_MAGIC);
	nbd_put32(b + 4, error);
	nbd_put64(b + 8, cookie);
}

void nbd_encode_chunk(uint8_t b[NBD_CHUNK_HDR_SIZE], uint16_t flags, uint16_t type,
		      uint64_t cookie, uint32_t len)
{
	nbd_put32(b, NBD_STRUCTURED_REPLY_MAGIC);
	nbd_put16(b + 4, flags);
	nbd_put16(b + 6, type);
	nbd_put64(b + 8, cookie);
	nbd_put32(b + 16, len);
}

uint32_t nbd_errno(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return 0;
	case EPERM:
	case EROFS:
	case EACCES:
		return NBD_EPERM;
	case ENOMEM:
		return NBD_ENOMEM;
	case EINVAL:
		return NBD_EINVAL;
	case ENOSPC:
	case EFBIG:
	case EDQUOT:
		return NBD_ENOSPC;
	case EOVERFLOW:
		return NBD_EOVERFLOW;
	case ENOTSUP: /* == EOPNOTSUPP on Linux */
		return NBD_ENOTSUP;
	case ESHUTDOWN:
		return NBD_ESHUTDOWN;
	default:
		return NBD_EIO;
	}
}
