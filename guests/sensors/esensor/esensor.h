/* esensor.h — what the loader (esensord.c) and the BPF program (esensor.bpf.c) share: the
 * layout of the maps. Only fixed-width types: this header is compiled for both targets.
 *
 * The loader parses KSCU in user mode and writes each instance as an es_rule (fields copied
 * into fixed slots) into the inactive half of the rules map, describes that half in
 * slots[inactive], then flips active[0]: the program never sees a half-written update. */
#pragma once

#define ES_MAX_RULES 4096 /* per half of the rules map */
#define ES_MAX_FIELDS 4	  /* the largest template */
#define ES_DATA_LEN 16	  /* a comm is at most 15 bytes: longer strings never match */
#define ES_COMM_LEN 16

enum es_role { ES_ROLE_COMM, ES_ROLE_MAXUID, ES_ROLE_ACTION, ES_ROLE_PCOMM };

struct es_field {
	__u16 type;
	__u16 len;		/* as the update said */
	__u8 data[ES_DATA_LEN]; /* its first ES_DATA_LEN bytes; zeros past len */
};

struct es_rule {
	__u32 field_count; /* as the update said; the evaluator does not look (legacy logic) */
	struct es_field f[ES_MAX_FIELDS];
};

/* One half of the rules map: how many rules, and the template they were written for. */
struct es_slot {
	__u32 n;
	__u32 nfields;
	__u8 role[ES_MAX_FIELDS];
};

/* Counters the program keeps (stats map), readable without the daemon. */
enum es_stat { ES_STAT_EXECS, ES_STAT_MATCHES, ES_STAT_LOST, ES_STAT_MAX };

/* One match, sent to the daemon through the events ring buffer. */
struct es_match {
	__u32 rule;
	__u32 action;
	char comm[ES_COMM_LEN];
};
