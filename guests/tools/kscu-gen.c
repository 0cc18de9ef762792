/* kscu-gen — write a valid KSCU content file (guests/formats/kscu.md) from a short description.
 *
 *   kscu-gen --builtin basic|ext -o FILE
 *   kscu-gen --template 1 --rule NAME,MAXUID,ACTION [--rule ...] -o FILE
 *   kscu-gen --template 2 --rule NAME,MAXUID,ACTION,PARENT [--rule ...] -o FILE
 *
 * The output is always well formed (counts, lengths and CRC consistent): malformed content is the
 * mutation engine's job, which starts from these seeds. Output is deterministic, so the committed
 * seeds under scenarios/content/ are checked byte for byte by a unit test.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define KSCU_MAGIC 0x5543534Bu
#define KSCU_VERSION 1
#define KSCU_HDR_SIZE 32
#define KSCU_MAX_RULES 256
#define KSCU_MAX_NAME 255

enum { FT_STRING = 1, FT_U32 = 2 };

struct rule {
	char name[KSCU_MAX_NAME + 1];
	uint32_t maxuid;
	uint32_t action;
	char parent[KSCU_MAX_NAME + 1];
};

struct buf {
	uint8_t *data;
	size_t len, cap;
};

static void buf_put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (!b->data) {
			fprintf(stderr, "kscu-gen: out of memory\n");
			exit(1);
		}
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void buf_u16(struct buf *b, uint16_t v)
{
	uint8_t p[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	buf_put(b, p, 2);
}

static void buf_u32(struct buf *b, uint32_t v)
{
	uint8_t p[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	buf_put(b, p, 4);
}

static void put_u32_at(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void field_string(struct buf *b, const char *s)
{
	buf_u16(b, FT_STRING);
	buf_u16(b, (uint16_t)strlen(s));
	buf_put(b, s, strlen(s));
}

static void field_u32(struct buf *b, uint32_t v)
{
	buf_u16(b, FT_U32);
	buf_u16(b, 4);
	buf_u32(b, v);
}

/* Encode one instance: inst_len is patched once the fields are written. */
static void instance(struct buf *b, unsigned template_type, const struct rule *r)
{
	size_t start = b->len;

	buf_u32(b, 0);
	buf_u16(b, template_type == 2 ? 4 : 3);
	buf_u16(b, 0);
	field_string(b, r->name);
	field_u32(b, r->maxuid);
	field_u32(b, r->action);
	if (template_type == 2)
		field_string(b, r->parent);
	put_u32_at(b->data + start, (uint32_t)(b->len - start));
}

static void encode(struct buf *out, unsigned template_type, const struct rule *rules, size_t n)
{
	struct buf payload = {0};
	uint8_t hdr[KSCU_HDR_SIZE] = {0};
	uint32_t crc;

	for (size_t i = 0; i < n; i++)
		instance(&payload, template_type, &rules[i]);
	crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), payload.data, (uInt)payload.len);
	put_u32_at(hdr, KSCU_MAGIC);
	hdr[4] = KSCU_VERSION;
	hdr[6] = (uint8_t)template_type;
	put_u32_at(hdr + 8, (uint32_t)n);
	put_u32_at(hdr + 12, (uint32_t)payload.len);
	put_u32_at(hdr + 16, crc);
	buf_put(out, hdr, sizeof(hdr));
	if (payload.len)
		buf_put(out, payload.data, payload.len);
	free(payload.data);
}

static int parse_u32(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > UINT32_MAX || s[0] == '-')
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int copy_name(char *dst, const char *s, size_t n)
{
	if (n == 0 || n > KSCU_MAX_NAME)
		return -EINVAL;
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
}

/* NAME,MAXUID,ACTION[,PARENT] */
static int parse_rule(const char *spec, unsigned template_type, struct rule *ret)
{
	char tmp[1024], *parts[5];
	size_t np = 0;
	struct rule r = {0};

	if (strlen(spec) >= sizeof(tmp))
		return -EINVAL;
	strcpy(tmp, spec);
	for (char *p = tmp, *s; (s = strsep(&p, ",")) && np < 5;)
		parts[np++] = s;
	if (np != (template_type == 2 ? 4u : 3u))
		return -EINVAL;
	if (copy_name(r.name, parts[0], strlen(parts[0])) < 0 ||
	    parse_u32(parts[1], &r.maxuid) < 0 || parse_u32(parts[2], &r.action) < 0)
		return -EINVAL;
	if (template_type == 2 && copy_name(r.parent, parts[3], strlen(parts[3])) < 0)
		return -EINVAL;
	*ret = r;
	return 0;
}

/* The committed seeds. "kstrigger" is the script the reference sensors' trigger runs; the
 * second rule of basic never matches in the guest. ext carries two parent names because the
 * trigger's parent is either the agent or a shell, depending on how /bin/sh runs it. */
static const struct {
	const char *name;
	unsigned template_type;
	const char *rules[4];
} builtins[] = {
    {"basic", 1, {"kstrigger,65535,0", "sshd,0,1"}},
    {"ext", 2, {"kstrigger,65535,0,faultline-agent", "kstrigger,65535,0,sh", "cron,0,1,init"}},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: kscu-gen --builtin NAME -o FILE\n"
		   "       kscu-gen --template 1|2 --rule NAME,MAXUID,ACTION[,PARENT]... -o FILE\n"
		   "Write a valid KSCU content file (see guests/formats/kscu.md).\n\n"
		   "  -b, --builtin NAME   a built-in seed: basic (template 1), ext (template 2)\n"
		   "  -t, --template N     template type: 1 exec-rule, 2 exec-rule-ext\n"
		   "  -r, --rule SPEC      one instance; template 2 needs the parent name too\n"
		   "  -o, --output FILE    where to write ('-' for stdout)\n"
		   "  -h, --help           this text\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"builtin", required_argument, NULL, 'b'}, {"template", required_argument, NULL, 't'},
	    {"rule", required_argument, NULL, 'r'},    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},	       {0},
	};
	const char *builtin = NULL, *output = NULL, *specs[KSCU_MAX_RULES];
	struct rule rules[KSCU_MAX_RULES];
	unsigned template_type = 1;
	size_t nspecs = 0, nrules = 0;
	struct buf out = {0};
	uint32_t t;
	FILE *f;
	int c;

	while ((c = getopt_long(argc, argv, "b:t:r:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			builtin = optarg;
			break;
		case 't':
			if (parse_u32(optarg, &t) < 0 || (t != 1 && t != 2)) {
				fprintf(stderr, "kscu-gen: --template must be 1 or 2, not '%s'\n",
					optarg);
				return 2;
			}
			template_type = t;
			break;
		case 'r':
			if (nspecs == KSCU_MAX_RULES) {
				fprintf(stderr, "kscu-gen: at most %d rules\n", KSCU_MAX_RULES);
				return 2;
			}
			specs[nspecs++] = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !output || (!builtin && nspecs == 0) || (builtin && nspecs)) {
		usage(stderr);
		return 2;
	}
	if (builtin) {
		size_t i;

		for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
			if (strcmp(builtins[i].name, builtin) == 0)
				break;
		if (i == sizeof(builtins) / sizeof(builtins[0])) {
			fprintf(stderr, "kscu-gen: no built-in seed '%s' (basic, ext)\n", builtin);
			return 2;
		}
		template_type = builtins[i].template_type;
		for (const char *const *r = builtins[i].rules; *r; r++)
			specs[nspecs++] = *r;
	}
	for (size_t i = 0; i < nspecs; i++) {
		if (parse_rule(specs[i], template_type, &rules[nrules++]) < 0) {
			fprintf(stderr,
				"kscu-gen: bad rule '%s' (want NAME,MAXUID,ACTION%s; names 1-%d "
				"bytes)\n",
				specs[i], template_type == 2 ? ",PARENT" : "", KSCU_MAX_NAME);
			return 2;
		}
	}
	encode(&out, template_type, rules, nrules);

	f = strcmp(output, "-") == 0 ? stdout : fopen(output, "wb");
	if (!f) {
		fprintf(stderr, "kscu-gen: cannot open %s: %s\n", output, strerror(errno));
		return 1;
	}
	if (fwrite(out.data, 1, out.len, f) != out.len || (f != stdout ? fclose(f) : fflush(f))) {
		fprintf(stderr, "kscu-gen: cannot write %s: %s\n", output, strerror(errno));
		return 1;
	}
	free(out.data);
	return 0;
}
