/* kscu.h — the legacy KSCU content interpreter in user mode (guests/formats/kscu.md).
 *
 * The same logic as the legacy build of guests/sensors/ksensor/ksensor.c, function for function
 * and with the same names, so that a report from a user-mode design names the function the
 * kernel oops names: it trusts the update (no CRC, version or length checks; instance_count,
 * inst_len and field lengths are believed) and the evaluator reads as many fields as the
 * TEMPLATE declares, whatever the instance supplied (the July 2024 bug).
 *
 * Shared by usensor, usensor-asan (same source, AddressSanitizer) and esensor's loader.
 * Ownership: ks_load() takes the update buffer (malloc'd, exactly the update's size, so that
 * AddressSanitizer sees an over-read) on success; ks_content_free() frees both. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define KS_MAGIC 0x5543534Bu
#define KS_HDR_SIZE 32
#define KS_INST_HDR 8
#define KS_FIELD_HDR 4
#define KS_COMM_LEN 16 /* TASK_COMM_LEN */
#define KS_MAX_FIELDS 4

enum ks_field_type { KS_FT_STRING = 1, KS_FT_U32 = 2 };
enum ks_role { KS_ROLE_COMM, KS_ROLE_MAXUID, KS_ROLE_ACTION, KS_ROLE_PCOMM };

struct ks_template {
	uint16_t type;
	const char *name;
	unsigned int nfields;
	uint16_t ftype[KS_MAX_FIELDS];
	uint8_t role[KS_MAX_FIELDS];
};

struct ks_field {
	uint16_t type;
	uint16_t len;
	const uint8_t *data; /* points into the content's raw buffer (or past it) */
};

struct ks_instance {
	uint16_t field_count;
	struct ks_field *fields; /* exactly field_count entries */
};

struct ks_content {
	const struct ks_template *tmpl;
	uint32_t n;
	struct ks_instance *inst;
	uint8_t *raw; /* the update as delivered */
	size_t raw_size;
};

/* What an exec looks like to the evaluator. */
struct ks_event {
	char comm[KS_COMM_LEN];
	char pcomm[KS_COMM_LEN];
	uint32_t uid;
};

/* Called for every instance that matches, with the action its action field held. */
typedef void (*ks_match_fn)(uint32_t rule, uint32_t action, const struct ks_event *ev,
			    void *userdata);

/* Build content from a raw update of size bytes. Returns 0 and takes buf, or a negative errno
 * with a one-line reason in why (the legacy build rejects only a bad magic or an unknown
 * template; anything else it believes, and may fault on). */
int ks_load(uint8_t *buf, size_t size, struct ks_content **ret, char *why, size_t why_size);
struct ks_content *ks_content_free(struct ks_content *c);

/* Evaluate every instance against ev, in order; returns the number of matches. */
unsigned ks_eval(const struct ks_content *c, const struct ks_event *ev, ks_match_fn fn,
		 void *userdata);

const struct ks_template *ks_template_find(uint16_t type);

/* Little-endian reads at any alignment. Macros, not inline functions: a sanitizer report or a
 * crash report then names the function doing the read (ks_parse_instance, ks_eval_field), as
 * the kernel build's oops does, not a helper. */
#define ks_le16(p)                                                                                 \
	({                                                                                         \
		const uint8_t *p16_ = (p);                                                         \
		(uint16_t)(p16_[0] | p16_[1] << 8);                                                \
	})
#define ks_le32(p)                                                                                 \
	({                                                                                         \
		const uint8_t *p32_ = (p);                                                         \
		(uint32_t) p32_[0] | (uint32_t)p32_[1] << 8 | (uint32_t)p32_[2] << 16 |            \
		    (uint32_t)p32_[3] << 24;                                                       \
	})
