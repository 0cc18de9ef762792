/* kscu.c — the legacy KSCU interpreter in user mode (see kscu.h).
 *
 * A line-by-line port of the legacy path of ksensor.c. What differs is only where memory comes
 * from: the update and each instance's field table are plain malloc() blocks of exactly the
 * size the data needs. A read past one of them lands wherever the heap puts it: in the next
 * chunk's header (a small integer taken as a pointer: SIGSEGV on the first dereference), in
 * another allocation (silently wrong), or, in the AddressSanitizer build, in a redzone (a
 * heap-buffer-overflow report naming the function). No guard pages here on purpose: a user-mode
 * C daemon gets whatever the allocator gives it, and the comparison is about that.
 */
#include "kscu.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Out of line and never cloned, so that a crash report names the function that faulted (the
 * same names as the kernel build's oops). */
#if defined(__clang__)
#define KS_FN __attribute__((noinline))
#else
#define KS_FN __attribute__((noinline, noipa))
#endif

static const struct ks_template ks_templates[] = {
    {.type = 1,
     .name = "exec-rule",
     .nfields = 3,
     .ftype = {KS_FT_STRING, KS_FT_U32, KS_FT_U32},
     .role = {KS_ROLE_COMM, KS_ROLE_MAXUID, KS_ROLE_ACTION}},
    {.type = 2,
     .name = "exec-rule-ext",
     .nfields = 4,
     .ftype = {KS_FT_STRING, KS_FT_U32, KS_FT_U32, KS_FT_STRING},
     .role = {KS_ROLE_COMM, KS_ROLE_MAXUID, KS_ROLE_ACTION, KS_ROLE_PCOMM}},
};

const struct ks_template *ks_template_find(uint16_t type)
{
	for (size_t i = 0; i < sizeof(ks_templates) / sizeof(ks_templates[0]); i++)
		if (ks_templates[i].type == type)
			return &ks_templates[i];
	return NULL;
}

struct ks_content *ks_content_free(struct ks_content *c)
{
	if (!c)
		return NULL;
	for (uint32_t i = 0; i < c->n; i++)
		free(c->inst[i].fields);
	free(c->inst);
	free(c->raw);
	free(c);
	return NULL;
}

/* ---- evaluation ---- */

static bool ks_match_string(const uint8_t *data, uint16_t len, const char *s)
{
	return len == strnlen(s, KS_COMM_LEN) && memcmp(data, s, len) == 0;
}

/* Test field i of an instance against the event. The caller passes every i the template
 * declares, so i may be past the instance's table: the read of fields[i] below is the July
 * 2024 out-of-bounds read. A u32 is read as 4 bytes whatever the field's len says. */
static KS_FN bool ks_eval_field(const struct ks_field *fields, unsigned int i,
				const struct ks_template *t, const struct ks_event *ev,
				uint32_t *action)
{
	const struct ks_field *f = &fields[i];
	uint16_t len = *(volatile const uint16_t *)&f->len;
	const uint8_t *data = *(const uint8_t *volatile const *)&f->data;

	switch (t->role[i]) {
	case KS_ROLE_COMM:
		return ks_match_string(data, len, ev->comm);
	case KS_ROLE_PCOMM:
		return ks_match_string(data, len, ev->pcomm);
	case KS_ROLE_MAXUID:
		return ev->uid <= ks_le32(data);
	case KS_ROLE_ACTION:
		*action = ks_le32(data);
		return true;
	}
	return false;
}

static KS_FN bool ks_match(const struct ks_instance *inst, const struct ks_template *t,
			   const struct ks_event *ev, uint32_t *action)
{
	for (unsigned int i = 0; i < t->nfields; i++)
		if (!ks_eval_field(inst->fields, i, t, ev, action))
			return false;
	return true;
}

KS_FN unsigned ks_eval(const struct ks_content *c, const struct ks_event *ev, ks_match_fn fn,
		       void *userdata)
{
	unsigned matches = 0;

	for (uint32_t i = 0; i < c->n; i++) {
		uint32_t action = 0;

		if (!ks_match(&c->inst[i], c->tmpl, ev, &action))
			continue;
		matches++;
		if (fn)
			fn(i, action, ev, userdata);
	}
	return matches;
}

/* ---- parsing ---- */

/* Parse the next instance at buf + *off and advance *off past it. Entries too short to be an
 * instance are skipped as padding, by their own inst_len, which never advances when it is 0
 * (the kernel build's soft lockup; here a daemon spinning until its watchdog fires). */
static KS_FN int ks_parse_instance(const uint8_t *buf, size_t *off, struct ks_instance *ret)
{
	const uint8_t *p, *f;
	uint32_t inst_len;
	uint16_t fc;
	struct ks_field *fields;

	for (;;) {
		p = buf + *off;
		inst_len = ks_le32(p);
		if (inst_len >= KS_INST_HDR)
			break;
		*off += inst_len;
	}
	fc = ks_le16(p + 4);
	fields = malloc((size_t)fc * sizeof(*fields));
	if (!fields && fc)
		return -ENOMEM;
	f = p + KS_INST_HDR;
	for (uint16_t i = 0; i < fc; i++) {
		fields[i].type = ks_le16(f);
		fields[i].len = ks_le16(f + 2);
		fields[i].data = f + KS_FIELD_HDR;
		f += KS_FIELD_HDR + fields[i].len;
	}
	ret->field_count = fc;
	ret->fields = fields;
	*off += inst_len;
	return 0;
}

static int grow(struct ks_content *c, uint32_t *cap)
{
	uint32_t ncap = *cap ? *cap * 2 : 8;
	struct ks_instance *ni = reallocarray(c->inst, ncap, sizeof(*ni));

	if (!ni)
		return -ENOMEM;
	c->inst = ni;
	*cap = ncap;
	return 0;
}

/* The legacy build only checks what it needs to pick a template, then believes the header's
 * instance_count and each inst_len. */
KS_FN int ks_load(uint8_t *buf, size_t size, struct ks_content **ret, char *why, size_t why_size)
{
	const struct ks_template *t;
	struct ks_content *c;
	uint32_t n, cap = 0;
	size_t off;
	int r;

	if (ks_le32(buf) != KS_MAGIC) {
		snprintf(why, why_size, "bad magic 0x%08x", ks_le32(buf));
		return -EBADMSG;
	}
	t = ks_template_find(ks_le16(buf + 6));
	if (!t) {
		snprintf(why, why_size, "unknown template type %u", ks_le16(buf + 6));
		return -EINVAL;
	}
	n = ks_le32(buf + 8);

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->tmpl = t;
	off = KS_HDR_SIZE;
	while (c->n < n) {
		if (c->n == cap) {
			r = grow(c, &cap);
			if (r < 0)
				goto fail;
		}
		r = ks_parse_instance(buf, &off, &c->inst[c->n]);
		if (r < 0)
			goto fail;
		c->n++;
	}
	c->raw = buf;
	c->raw_size = size;
	*ret = c;
	return 0;
fail:
	snprintf(why, why_size, "%s", strerror(-r));
	ks_content_free(c); /* c->raw is still NULL: the caller keeps buf */
	return r;
}
