/* testmode.c — the guest agent's test modes (see testmode.h). */
#include "testmode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "proto.h"

#define UNKNOWN_TYPE 0x7777

/* The value of the first AGENT_TEST_KEY word, or NULL. */
static const char *test_value(const char *cmdline, size_t *ret_n)
{
	const char *p = cmdline, *w, *v;
	size_t n;

	while (agent_cmdline_next(&p, &w, &n))
		if (agent_cmdline_key(w, n, AGENT_TEST_KEY, &v, ret_n))
			return v;
	return NULL;
}

bool agent_test_parse(const char *cmdline, uint32_t seed, struct agent_test *ret)
{
	struct agent_test t = {.rng = seed ? seed : 1};
	size_t n = 0;
	const char *p = test_value(cmdline, &n);

	while (n > 0) {
		size_t m = strcspn(p, ",");

		if (m > n)
			m = n;
		t.garbage |= m == 7 && !strncmp(p, "garbage", m);
		t.flood |= m == 5 && !strncmp(p, "flood", m);
		t.frames |= m == 6 && !strncmp(p, "frames", m);
		p += m < n ? m + 1 : m;
		n -= m < n ? m + 1 : m;
	}
	*ret = t;
	return t.garbage || t.flood || t.frames;
}

struct buf {
	uint8_t *p;
	size_t len;
	bool failed;
};

static uint8_t *grow(struct buf *b, size_t n)
{
	uint8_t *np = b->failed ? NULL : realloc(b->p, b->len + n);

	if (!np) {
		b->failed = true;
		return NULL;
	}
	b->p = np;
	b->len += n;
	return np + b->len - n;
}

/* n random bytes, none of them PROTO_MAGIC's first. */
static void random_bytes(struct agent_test *t, struct buf *b, size_t n)
{
	uint8_t *p = grow(b, n);

	for (size_t i = 0; p && i < n; i++) {
		uint32_t x = t->rng;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		t->rng = x;
		p[i] = (uint8_t)x == (PROTO_MAGIC & 0xff) ? 0 : (uint8_t)x;
	}
}

/* A frame of random payload; damage 1: bad flags, 2: bad CRC. */
static void frame(struct agent_test *t, struct buf *b, uint16_t type, uint32_t len, int damage,
		  uint32_t *seq)
{
	struct buf payload = {0};
	uint8_t *f, *dst;
	size_t size;

	random_bytes(t, &payload, len);
	if (payload.failed || proto_encode(type, (*seq)++, payload.p, len, &f, &size) < 0) {
		free(payload.p);
		b->failed = true;
		return;
	}
	if (damage == 1)
		f[6] = 1;
	else if (damage == 2)
		f[16] ^= 0xff;
	if ((dst = grow(b, size)))
		memcpy(dst, f, size);
	free(f);
	free(payload.p);
}

int agent_test_garbage(struct agent_test *t, uint64_t n, uint32_t *seq, uint8_t **ret,
		       size_t *ret_len)
{
	struct buf b = {0};
	uint8_t *h;

	random_bytes(t, &b, 64 + n % 192);
	switch (n % 10) {
	case 0: /* a header past PROTO_MAX_PAYLOAD, then bytes that are not its payload */
		if ((h = grow(&b, PROTO_HEADER_SIZE))) {
			memset(h, 0, PROTO_HEADER_SIZE);
			proto_put_u32(h, PROTO_MAGIC);
			h[4] = PROTO_HEARTBEAT;
			proto_put_u32(h + 8, (*seq)++);
			proto_put_u32(h + 12, PROTO_MAX_PAYLOAD + 1 + (uint32_t)(n % 4096));
		}
		random_bytes(t, &b, 4096);
		break;
	case 3:
		frame(t, &b, PROTO_HEARTBEAT, 16, 1, seq);
		break;
	case 6:
		frame(t, &b, PROTO_RESULT, 24, 2, seq);
		break;
	case 9:
		if (n % 50 == 9) /* large but legal, of a type the host does not know */
			frame(t, &b, UNKNOWN_TYPE, 256u << 10, 0, seq);
		break;
	}
	if (b.failed) {
		free(b.p);
		return -ENOMEM;
	}
	*ret = b.p;
	*ret_len = b.len;
	return 0;
}

int agent_test_frames(uint32_t *seq, uint8_t **ret, size_t *ret_len)
{
	size_t n = AGENT_TEST_FRAMES_BURST / PROTO_HEADER_SIZE;
	uint8_t *buf = malloc(n * PROTO_HEADER_SIZE);

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint8_t *f;
		size_t size;

		if (proto_encode(UNKNOWN_TYPE, (*seq)++, NULL, 0, &f, &size) < 0) {
			free(buf);
			return -ENOMEM;
		}
		memcpy(buf + i * PROTO_HEADER_SIZE, f, size);
		free(f);
	}
	*ret = buf;
	*ret_len = n * PROTO_HEADER_SIZE;
	return 0;
}
