/* proto.c — frame encoding and a resynchronising stream decoder. No allocation policy beyond
 * malloc: this file is also linked into the static guest agent, which has no util.c. */
#include "proto.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef PROTO_CRC32_BUILTIN
#include <zlib.h>
#endif

/* The unread bytes are buf[off, off + len): a frame taken is an offset moved, and the bytes
 * before off are given back once per feed, not once per frame (moving the rest of a 1 MiB read
 * after each 20-byte frame made decoding quadratic: 0.3 s of a flooding guest's megabyte). */
struct proto_decoder {
	uint8_t *buf;
	size_t off, len, cap;
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

#ifdef PROTO_CRC32_BUILTIN
/* zlib's CRC-32, bit by bit: the cross-built agents (guests/meson.build) link no zlib of their
 * architecture, and frames are small */
static uint32_t payload_crc(const void *payload, uint32_t len)
{
	const uint8_t *p = payload;
	uint32_t c = 0xffffffffu;

	for (uint32_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}
#else
static uint32_t payload_crc(const void *payload, uint32_t len)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), payload, len);
}
#endif

const char *proto_type_name(uint16_t type)
{
	static const char *const names[] = {
	    [PROTO_HELLO] = "HELLO",	     [PROTO_READY] = "READY",
	    [PROTO_HEARTBEAT] = "HEARTBEAT", [PROTO_UPDATE] = "UPDATE",
	    [PROTO_RESULT] = "RESULT",	     [PROTO_MARK] = "MARK",
	    [PROTO_ERROR] = "ERROR",	     [PROTO_WATCH] = "WATCH",
	    [PROTO_WATCHED] = "WATCHED",     [PROTO_STORE] = "STORE",
	    [PROTO_STORED] = "STORED",	     [PROTO_REMEDY_ASK] = "REMEDY_ASK",
	    [PROTO_REMEDY] = "REMEDY",	     [PROTO_MODULES] = "MODULES",
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

/* Give back the bytes already read, when they are at least as many as the unread ones that must
 * move for it: every byte moved is paid for by one consumed, so decoding stays linear however
 * the caller interleaves feeds and reads (a caller that reads every frame before the next feed
 * compacts once per feed). */
static void compact(struct proto_decoder *d)
{
	if (d->off == 0 || d->off < d->len)
		return;
	if (d->len)
		memmove(d->buf, d->buf + d->off, d->len);
	d->off = 0;
}

void proto_decoder_feed(struct proto_decoder *d, const void *data, size_t size)
{
	compact(d);
	if (d->off + d->len + size > d->cap) {
		size_t cap = d->cap ? d->cap : 4096;
		while (cap < d->off + d->len + size)
			cap *= 2;
		uint8_t *nb = realloc(d->buf, cap);
		if (!nb)
			abort(); /* both sides treat OOM as fatal */
		d->buf = nb;
		d->cap = cap;
	}
	if (size)
		memcpy(d->buf + d->off + d->len, data, size);
	d->len += size;
}

static void consume(struct proto_decoder *d, size_t n)
{
	d->off += n;
	d->len -= n;
	if (d->len == 0)
		d->off = 0;
}

/* Drop bytes up to the next possible magic (at least one byte, so that we make progress). */
static void resync(struct proto_decoder *d)
{
	const uint8_t *p = d->buf + d->off;
	size_t i;

	for (i = 1; i + 4 <= d->len; i++)
		if (proto_get_u32(p + i) == PROTO_MAGIC)
			break;
	if (i + 4 > d->len)
		i = d->len >= 3 ? d->len - 3 : 1; /* keep a possible partial magic */
	if (i > d->len)
		i = d->len;
	consume(d, i);
}

int proto_decoder_next(struct proto_decoder *d, struct proto_frame *ret)
{
	const uint8_t *p;
	uint32_t len, crc;
	uint16_t flags;

	if (d->len < 4)
		return 0;
	p = d->buf + d->off;
	if (proto_get_u32(p) != PROTO_MAGIC) {
		resync(d);
		return -EBADMSG;
	}
	if (d->len < PROTO_HEADER_SIZE)
		return 0;
	len = proto_get_u32(p + 12);
	flags = get_u16(p + 6);
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
	crc = proto_get_u32(p + 16);
	if (crc != payload_crc(p + PROTO_HEADER_SIZE, len)) {
		consume(d, PROTO_HEADER_SIZE + (size_t)len);
		return -EILSEQ;
	}
	ret->payload = malloc((size_t)len + 1);
	if (!ret->payload)
		abort();
	memcpy(ret->payload, p + PROTO_HEADER_SIZE, len);
	ret->payload[len] = 0;
	ret->type = get_u16(p + 4);
	ret->seq = proto_get_u32(p + 8);
	ret->len = len;
	consume(d, PROTO_HEADER_SIZE + (size_t)len);
	return 1;
}

void proto_frame_finish(struct proto_frame *f)
{
	free(f->payload);
	f->payload = NULL;
}

/* ---- WATCHED ---- */

/* The numbers of struct proto_watch (all int64_t) by their key: one table for both directions. */
static const struct {
	const char *key;
	size_t offset;
} watch_numbers[] = {
    {"log", offsetof(struct proto_watch, log)},
    {"probe", offsetof(struct proto_watch, probe)},
    {"pid_at_delivery", offsetof(struct proto_watch, pid_at_delivery)},
    {"pid_at_end", offsetof(struct proto_watch, pid_at_end)},
    {"pid_changes", offsetof(struct proto_watch, pid_changes)},
    {"died_lines", offsetof(struct proto_watch, died_lines)},
    {"first_death_ms", offsetof(struct proto_watch, first_death_ms)},
    {"log_bytes", offsetof(struct proto_watch, log_bytes)},
    {"log_scanned", offsetof(struct proto_watch, log_scanned)},
    {"probes", offsetof(struct proto_watch, probes)},
    {"probe_failures", offsetof(struct proto_watch, probe_failures)},
    {"probe_status", offsetof(struct proto_watch, probe_status)},
    {"loss_ms", offsetof(struct proto_watch, loss_ms)},
    {"restored_ms", offsetof(struct proto_watch, restored_ms)},
    {"window_ms", offsetof(struct proto_watch, window_ms)},
    {"unit_restarts", offsetof(struct proto_watch, unit_restarts)},
};

static int64_t *watch_number(struct proto_watch *w, size_t i)
{
	return (int64_t *)((char *)w + watch_numbers[i].offset);
}

static void watch_none(struct proto_watch *w)
{
	memset(w, 0, sizeof(*w));
	w->first_death_ms = w->probe_status = w->loss_ms = w->restored_ms = -1;
	w->unit_restarts = -1;
}

/* A text value on one line: a newline would end it early, so it becomes a space. */
static void put_text(FILE *f, const char *key, const char *v)
{
	fprintf(f, "%s=", key);
	for (size_t i = 0; i < PROTO_WATCH_TEXT_MAX && v[i]; i++)
		fputc(v[i] == '\n' ? ' ' : v[i], f);
	fputc('\n', f);
}

int proto_watch_encode(const struct proto_watch *w, const void *log, size_t log_len, uint8_t **ret,
		       size_t *ret_len)
{
	size_t size = 0;
	char *text = NULL;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		return -ENOMEM;
	put_text(f, "process", w->process);
	for (size_t i = 0; i < sizeof(watch_numbers) / sizeof(watch_numbers[0]); i++)
		fprintf(f, "%s=%" PRId64 "\n", watch_numbers[i].key,
			*(const int64_t *)((const char *)w + watch_numbers[i].offset));
	put_text(f, "probe_output", w->probe_output);
	put_text(f, "unit", w->unit);
	put_text(f, "unit_state", w->unit_state);
	fputc('\n', f);
	if (log_len)
		fwrite(log, 1, log_len < PROTO_WATCH_LOG_MAX ? log_len : PROTO_WATCH_LOG_MAX, f);
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	*ret = (uint8_t *)text;
	*ret_len = size;
	return 0;
}

static int set_number(const char *v, size_t n, int64_t *ret)
{
	char buf[24], *end;
	long long x;

	if (n == 0 || n >= sizeof(buf))
		return -EBADMSG;
	memcpy(buf, v, n);
	buf[n] = 0;
	errno = 0;
	x = strtoll(buf, &end, 10);
	if (errno || *end || !(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')))
		return -EBADMSG;
	*ret = x;
	return 0;
}

static void set_text(char *dst, const char *v, size_t n)
{
	if (n >= PROTO_WATCH_TEXT_MAX)
		n = PROTO_WATCH_TEXT_MAX - 1;
	memcpy(dst, v, n);
	dst[n] = 0;
	for (size_t i = 0; i < n; i++)
		if (!dst[i])
			dst[i] = ' ';
}

/* One "key=value" line into w: 0 or -EBADMSG. */
static int watch_line(struct proto_watch *w, const char *l, size_t len)
{
	const char *eq = memchr(l, '=', len), *v;
	size_t klen, vlen;
	int64_t x;

	if (!eq || eq == l)
		return -EBADMSG;
	klen = (size_t)(eq - l);
	v = eq + 1;
	vlen = len - klen - 1;
#define IS(k) (klen == strlen(k) && memcmp(l, k, klen) == 0)
	if (IS("process")) {
		set_text(w->process, v, vlen);
		return 0;
	}
	if (IS("unit")) {
		set_text(w->unit, v, vlen);
		return 0;
	}
	if (IS("unit_state")) {
		set_text(w->unit_state, v, vlen);
		return 0;
	}
	if (IS("probe_output")) {
		set_text(w->probe_output, v, vlen);
		return 0;
	}
	for (size_t i = 0; i < sizeof(watch_numbers) / sizeof(watch_numbers[0]); i++) {
		if (!IS(watch_numbers[i].key))
			continue;
		if (set_number(v, vlen, &x) < 0)
			return -EBADMSG;
		*watch_number(w, i) = x;
		return 0;
	}
#undef IS
	return 0; /* a newer agent's key */
}

int proto_watch_decode(const uint8_t *payload, size_t len, struct proto_watch *ret,
		       const uint8_t **ret_log, size_t *ret_log_len)
{
	struct proto_watch w;
	size_t off = 0;

	watch_none(&w);
	for (;;) {
		const char *l = (const char *)payload + off;
		const char *nl = off < len ? memchr(l, '\n', len - off) : NULL;
		size_t n;

		if (!nl)
			return -EBADMSG; /* no empty line: the header was cut */
		n = (size_t)(nl - l);
		off += n + 1;
		if (n == 0)
			break;
		if (watch_line(&w, l, n) < 0)
			return -EBADMSG;
	}
	w.log = !!w.log;
	w.probe = !!w.probe;
	*ret = w;
	*ret_log = payload + off;
	*ret_log_len = len - off;
	return 0;
}

int proto_remedy_decode(const uint8_t *p, size_t len, uint32_t *ret_action,
			const uint8_t **ret_data, size_t *ret_len)
{
	uint32_t action;

	if (len < 4)
		return -EBADMSG;
	action = proto_get_u32(p);
	switch (action) {
	case PROTO_REMEDY_NONE:
	case PROTO_REMEDY_DELETE:
		if (len != 4)
			return -EBADMSG;
		break;
	case PROTO_REMEDY_ROLLBACK:
		if (len == 4)
			return -EBADMSG;
		break;
	default:
		return -EBADMSG;
	}
	*ret_action = action;
	*ret_data = len > 4 ? p + 4 : NULL;
	*ret_len = len - 4;
	return 0;
}
