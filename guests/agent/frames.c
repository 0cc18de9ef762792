/* frames.c — see frames.h. */
#include "frames.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t agent_sanitize(const uint8_t *p, size_t n, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return 0;
	for (size_t i = 0; i < n && o + 1 < size; i++)
		out[o++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	out[o] = 0;
	return o;
}

void agent_decode_error(int r, struct agent_action *ret)
{
	const char *what;

	switch (r) {
	case -EBADMSG:
		what = "bad frame magic, skipped to the next magic";
		break;
	case -EMSGSIZE:
		what = "frame payload larger than the protocol maximum";
		break;
	case -EPROTO:
		what = "frame flags not zero";
		break;
	case -EILSEQ:
		what = "frame payload CRC mismatch, frame dropped";
		break;
	default:
		what = "malformed frame";
		break;
	}
	ret->kind = AGENT_ACT_ERROR;
	ret->err = r < 0 ? -r : EPROTO;
	snprintf(ret->text, sizeof(ret->text), "%s", what);
}

static void store_action(const struct proto_frame *f, bool busy, struct agent_action *ret)
{
	ret->kind = AGENT_ACT_STORE;
	ret->err = busy ? EBUSY : 0;
	ret->data = f->payload;
	ret->len = f->len;
	if (busy)
		snprintf(ret->text, sizeof(ret->text),
			 "STORE seq %u refused: an update, the sensor start or the remediation is "
			 "in flight",
			 f->seq);
}

static void remedy_action(const struct proto_frame *f, struct agent_action *ret)
{
	ret->kind = AGENT_ACT_REMEDY;
	if (proto_remedy_decode(f->payload, f->len, &ret->remedy, &ret->data, &ret->len) == 0)
		return;
	ret->err = EBADMSG;
	if (f->len < 4)
		snprintf(ret->text, sizeof(ret->text), "%u bytes, shorter than the action", f->len);
	else
		snprintf(ret->text, sizeof(ret->text), "action %u with %u bytes of content",
			 proto_get_u32(f->payload), f->len - 4);
}

void agent_frame_action(const struct proto_frame *f, bool busy, struct agent_action *ret)
{
	ret->remedy = 0;
	ret->watch_mode = ret->watch_arg = 0;
	ret->data = NULL;
	ret->len = 0;
	ret->err = 0;
	ret->text[0] = 0;
	switch (f->type) {
	case PROTO_STORE:
		store_action(f, busy, ret);
		return;
	case PROTO_REMEDY:
		remedy_action(f, ret);
		return;
	case PROTO_UPDATE:
		if (busy) {
			ret->kind = AGENT_ACT_ERROR;
			ret->err = EBUSY;
			snprintf(ret->text, sizeof(ret->text),
				 "UPDATE seq %u refused: another update or the sensor start is in "
				 "flight",
				 f->seq);
			return;
		}
		ret->kind = AGENT_ACT_UPDATE;
		return;
	case PROTO_WATCH:
		/* a payload of another size is a plain WATCH: the host only asks for the state */
		ret->kind = AGENT_ACT_WATCH;
		if (f->len == PROTO_WATCH_ARGS_SIZE) {
			ret->watch_mode = proto_get_u32(f->payload);
			ret->watch_arg = proto_get_u32(f->payload + 4);
		}
		return;
	case PROTO_MARK:
		ret->kind = AGENT_ACT_MARK;
		agent_sanitize(f->payload, f->len, ret->text, AGENT_MARK_MAX + 1);
		return;
	default:
		ret->kind = AGENT_ACT_ERROR;
		ret->err = EPROTO;
		snprintf(ret->text, sizeof(ret->text),
			 "unexpected frame type %u (%s) from the host", f->type,
			 proto_type_name(f->type));
		return;
	}
}

int agent_payload(int32_t a, const int32_t *b, const char *text, uint8_t **ret, size_t *ret_len)
{
	size_t tl = text ? strnlen(text, AGENT_TEXT_MAX) : 0;
	size_t hl = b ? 8 : 4;
	uint8_t *p = malloc(hl + tl + 1);

	if (!p)
		return -ENOMEM;
	proto_put_u32(p, (uint32_t)a);
	if (b)
		proto_put_u32(p + 4, (uint32_t)*b);
	if (tl)
		memcpy(p + hl, text, tl);
	*ret = p;
	*ret_len = hl + tl;
	return 0;
}
