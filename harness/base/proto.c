/* proto.c — frame encoding and a resynchronising stream decoder. No allocation policy beyond
 * malloc: this file is also linked into the static guest agent, which has no util.c. */
#include "proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct proto_decoder {
	uint8_t *buf;
	size_t len, cap;
};

void proto_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void proto_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t proto_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t proto_get_u64(const uint8_t *p)
{
	return (uint64_t)proto_get_u32(p) | (uint64_t)proto_get_u32(p + 4) << 32;
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t payload_crc(const void *payload, uint32_t len)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), payload, len);
}

const char *proto_type_name(uint16_t type)
{
	static const char *const names[] = {
	    [PROTO_HELLO] = "HELLO",   [PROTO_READY] = "READY",	  [PROTO_HEARTBEAT] = "HEARTBEAT",
	    [PROTO_UPDATE] = "UPDATE", [PROTO_RESULT] = "RESULT", [PROTO_MARK] = "MARK",
	    [PROTO_ERROR] = "ERROR",
	};
	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "UNKNOWN";
}

int proto_encode(uint16_t type, uint32_t seq, const void *payload, uint32_t len, uint8_t **ret_buf,
		 size_t *ret_size)
{
	uint8_t *buf;

	if (len > PROTO_MAX_PAYLOAD)
		return -EMSGSIZE;
	buf = malloc(PROTO_HEADER_SIZE + (size_t)len);
	if (!buf)
		return -ENOMEM;
	proto_put_u32(buf, PROTO_MAGIC);
	buf[4] = (uint8_t)type;
	buf[5] = (uint8_t)(type >> 8);
	buf[6] = buf[7] = 0;
	proto_put_u32(buf + 8, seq);
	proto_put_u32(buf + 12, len);
	proto_put_u32(buf + 16, payload_crc(payload, len));
	if (len)
		memcpy(buf + PROTO_HEADER_SIZE, payload, len);
	*ret_buf = buf;
	*ret_size = PROTO_HEADER_SIZE + (size_t)len;
	return 0;
}

struct proto_decoder *proto_decoder_new(void)
{
	return calloc(1, sizeof(struct proto_decoder));
}

struct proto_decoder *proto_decoder_free(struct proto_decoder *d)
{
	if (d) {
		free(d->buf);
		free(d);
	}
	return NULL;
}

void proto_decoder_feed(struct proto_decoder *d, const void *data, size_t size)
{
	if (d->len + size > d->cap) {
		size_t cap = d->cap ? d->cap : 4096;
		while (cap < d->len + size)
			cap *= 2;
		uint8_t *nb = realloc(d->buf, cap);
		if (!nb)
			abort(); /* both sides treat OOM as fatal */
		d->buf = nb;
		d->cap = cap;
	}
	memcpy(d->buf + d->len, data, size);
	d->len += size;
}

static void consume(struct proto_decoder *d, size_t n)
{
	memmove(d->buf, d->buf + n, d->len - n);
	d->len -= n;
}

/* Drop bytes up to the next possible magic (at least one byte, so that we make progress). */
static void resync(struct proto_decoder *d)
{
	size_t i;

	for (i = 1; i + 4 <= d->len; i++)
		if (proto_get_u32(d->buf + i) == PROTO_MAGIC)
			break;
	if (i + 4 > d->len)
		i = d->len >= 3 ? d->len - 3 : 1; /* keep a possible partial magic */
	if (i > d->len)
		i = d->len;
	consume(d, i);
}

int proto_decoder_next(struct proto_decoder *d, struct proto_frame *ret)
{
	uint32_t len, crc;
	uint16_t flags;

	if (d->len < 4)
		return 0;
	if (proto_get_u32(d->buf) != PROTO_MAGIC) {
		resync(d);
		return -EBADMSG;
	}
	if (d->len < PROTO_HEADER_SIZE)
		return 0;
	len = proto_get_u32(d->buf + 12);
	flags = get_u16(d->buf + 6);
	if (len > PROTO_MAX_PAYLOAD) {
		resync(d);
		return -EMSGSIZE;
	}
	if (flags != 0) {
		resync(d);
		return -EPROTO;
	}
	if (d->len < PROTO_HEADER_SIZE + (size_t)len)
		return 0;
	crc = proto_get_u32(d->buf + 16);
	if (crc != payload_crc(d->buf + PROTO_HEADER_SIZE, len)) {
		consume(d, PROTO_HEADER_SIZE + (size_t)len);
		return -EILSEQ;
	}
	ret->payload = malloc((size_t)len + 1);
	if (!ret->payload)
		abort();
	memcpy(ret->payload, d->buf + PROTO_HEADER_SIZE, len);
	ret->payload[len] = 0;
	ret->type = get_u16(d->buf + 4);
	ret->seq = proto_get_u32(d->buf + 8);
	ret->len = len;
	consume(d, PROTO_HEADER_SIZE + (size_t)len);
	return 1;
}

void proto_frame_finish(struct proto_frame *f)
{
	free(f->payload);
	f->payload = NULL;
}
