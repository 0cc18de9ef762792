// SPDX-License-Identifier: GPL-2.0
/*
 * kref-parse.c — the parser and evaluator of the KREF reference format
 * (guests/formats/kref.yaml), compiled twice:
 *   - into the kernel module kref.ko (kref.c includes it, with the kernel's allocators);
 *   - into the host program kref-cmplog (kref-cmplog.c includes it), built with
 *     -fsanitize-coverage=trace-cmp, whose comparison operands `faultline fuzz --cmplog` uses.
 * The includer defines u8/u16/u32, KRF_ALLOC (zeroed), KRF_FREE, KRF_REGS_ALLOC/FREE,
 * KRF_CRC32 (zlib's CRC-32), KRF_REJECT(f, why) and KRF_FN.
 *
 * The file is a 24-byte header, then sections that nest (groups hold sections), then a table of
 * NUL-terminated names; see kref.yaml. The code trusts a few things it should not: the list of
 * what that leads to is in README.md beside this file, not here.
 */

#define KRF_MAGIC 0x4645524Bu /* "KREF" */
#define KRF_HDR 24
#define KRF_MAX_SECTIONS 8
#define KRF_MAX_NAMES 16
#define KRF_MAX_DEPTH 3
#define KRF_MAX_ALL 64
#define KRF_F_COMPAT 0x10
#define KRF_F_STRICT 0x20
#define KRF_SF_EXT 0x80
#define KRF_KIND_LEAF 1
#define KRF_KIND_GROUP 2
#define KRF_NREGS 8

struct krf_sec {
	u32 off; /* where the section starts in the file */
	u8 kind, sflags, target, len, n_kids;
	u16 ext, name_off, sum;
	const u8 *data;
	struct krf_sec **kids; /* NULL when the group is empty */
};

struct krf_file {
	const u8 *p;
	u32 size;
	u8 version, flags, n_sections, n_names;
	u32 strtab, entry, body_len, crc;
	struct krf_sec *top[KRF_MAX_SECTIONS];
	struct krf_sec *all[KRF_MAX_ALL];
	unsigned int n_all;
	u8 *seen;  /* strict mode: which names the sections used */
	u32 *regs; /* the evaluator's registers, KRF_NREGS of them */
	u32 acc;
	const char *why; /* why the file was rejected */
};

struct krf_kind {
	u8 kind;
	int (*run)(struct krf_file *f, struct krf_sec *s);
};

static u16 krf_le16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static u32 krf_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

/* The check a section carries over its data: a weighted sum no field of the file states. */
static KRF_FN u16 krf_sum(const u8 *data, unsigned int len)
{
	u16 sum = 0x5a5a;

	for (unsigned int i = 0; i < len; i++)
		sum += (u16)(data[i] * (i + 1));
	return sum;
}

static KRF_FN int krf_parse_sec(struct krf_file *f, u32 *pos, unsigned int depth,
				  struct krf_sec **ret)
{
	const u8 *p = f->p;
	struct krf_sec *s;
	u32 at = *pos;

	if (depth > KRF_MAX_DEPTH)
		return KRF_REJECT(f, "sections nested too deep");
	if (f->n_all == KRF_MAX_ALL)
		return KRF_REJECT(f, "too many sections");
	if (at + 3 > f->size)
		return KRF_REJECT(f, "section header past the end");
	s = KRF_ALLOC(sizeof(*s));
	if (!s)
		return -12;
	f->all[f->n_all++] = s;
	s->off = at;
	s->kind = p[at];
	if (p[at + 1] != (u8)(s->kind ^ 0xa5))
		return KRF_REJECT(f, "section kind check");
	s->sflags = p[at + 2];
	at += 3;
	if (s->sflags & KRF_SF_EXT) {
		if (at + 2 > f->size)
			return KRF_REJECT(f, "extension past the end");
		s->ext = krf_le16(p + at);
		at += 2;
	}
	if (at + 6 > f->size)
		return KRF_REJECT(f, "section fields past the end");
	s->target = p[at];
	s->name_off = krf_le16(p + at + 1);
	s->len = p[at + 3];
	s->sum = krf_le16(p + at + 4);
	at += 6;
	if (s->target >= f->n_sections)
		return KRF_REJECT(f, "target names no section");
	if (at + s->len + 1 > f->size)
		return KRF_REJECT(f, "section data past the end");
	s->data = p + at;
	at += s->len;
	if (s->sum != krf_sum(s->data, s->len))
		return KRF_REJECT(f, "section data check");
	s->n_kids = p[at++];
	if (s->n_kids) {
		s->kids = KRF_ALLOC(s->n_kids * sizeof(*s->kids));
		if (!s->kids)
			return -12;
	}
	for (unsigned int i = 0; i < s->n_kids; i++) {
		int r = krf_parse_sec(f, &at, depth + 1, &s->kids[i]);
		if (r < 0)
			return r;
	}
	*pos = at;
	*ret = s;
	return 0;
}

static KRF_FN int krf_parse_names(struct krf_file *f)
{
	u32 at = f->strtab;

	if (at < KRF_HDR || at > f->size)
		return KRF_REJECT(f, "string table outside the file");
	for (unsigned int i = 0; i < f->n_names; i++) {
		while (at < f->size && f->p[at])
			at++;
		if (at == f->size)
			return KRF_REJECT(f, "name without its NUL");
		at++;
	}
	for (unsigned int i = 0; i < f->n_all; i++) {
		u32 o = f->strtab + f->all[i]->name_off;
		u32 e = o;

		if (o >= f->size)
			return KRF_REJECT(f, "name offset outside the file");
		while (e < f->size && f->p[e])
			e++;
		if (e == f->size)
			return KRF_REJECT(f, "name offset to no string");
	}
	return 0;
}

static KRF_FN int krf_parse(struct krf_file *f)
{
	const u8 *p = f->p;
	u32 at = KRF_HDR;

	if (f->size < KRF_HDR)
		return KRF_REJECT(f, "shorter than the header");
	if (krf_le32(p) != KRF_MAGIC)
		return KRF_REJECT(f, "bad magic");
	f->version = p[4];
	f->flags = p[5];
	f->n_sections = p[6];
	f->n_names = p[7];
	f->strtab = krf_le32(p + 8);
	f->entry = krf_le32(p + 12);
	f->body_len = krf_le32(p + 16);
	f->crc = krf_le32(p + 20);
	if (f->version < 1 || f->version > 3)
		return KRF_REJECT(f, "unknown version");
	if (f->n_sections < 1 || f->n_sections > KRF_MAX_SECTIONS)
		return KRF_REJECT(f, "section count");
	if (f->n_names > KRF_MAX_NAMES)
		return KRF_REJECT(f, "name count");
	if (f->body_len != f->size - KRF_HDR)
		return KRF_REJECT(f, "body length");
	if (KRF_CRC32(p + KRF_HDR, f->body_len) != f->crc)
		return KRF_REJECT(f, "CRC");
	for (unsigned int i = 0; i < f->n_sections; i++) {
		int r = krf_parse_sec(f, &at, 0, &f->top[i]);
		if (r < 0)
			return r;
	}
	if (at != f->strtab)
		return KRF_REJECT(f, "string table not after the sections");
	return krf_parse_names(f);
}

/* Strict mode remembers the names used; compat mode shares the baseline's and keeps none. */
static KRF_FN int krf_set_mode(struct krf_file *f)
{
	if (f->flags & KRF_F_COMPAT)
		f->seen = NULL;
	else if (!(f->seen = KRF_ALLOC(f->size)))
		return -12;
	if (f->flags & KRF_F_STRICT)
		for (unsigned int i = 0; i < f->n_all; i++)
			f->seen[f->strtab + f->all[i]->name_off] = 1;
	return 0;
}

/* A leaf's data is a program of (op, arg) pairs: 0x1X load, 0x2X add, 0x3X xor with a
 * register, 0x8X and above store the accumulator in register op - 0x80. */
static KRF_FN int krf_run_ops(struct krf_file *f, struct krf_sec *s)
{
	for (unsigned int i = 0; i + 1 < s->len; i += 2) {
		u8 op = s->data[i], arg = s->data[i + 1];

		if (op & 0x80)
			f->regs[op - 0x80] = f->acc;
		else if ((op >> 4) == 1)
			f->acc = arg;
		else if ((op >> 4) == 2)
			f->acc += arg;
		else if ((op >> 4) == 3)
			f->acc ^= f->regs[arg % KRF_NREGS];
	}
	return 0;
}

static int krf_run_group(struct krf_file *f, struct krf_sec *s);

static const struct krf_kind krf_kinds[] = {
	{KRF_KIND_LEAF, krf_run_ops},
	{KRF_KIND_GROUP, krf_run_group},
};

static KRF_FN const struct krf_kind *krf_kind_find(u8 kind)
{
	for (unsigned int i = 0; i < sizeof(krf_kinds) / sizeof(krf_kinds[0]); i++)
		if (krf_kinds[i].kind == kind)
			return &krf_kinds[i];
	return NULL;
}

static KRF_FN int krf_dispatch(struct krf_file *f, struct krf_sec *s)
{
	const struct krf_kind *k = krf_kind_find(s->kind);

	return k->run(f, s);
}

static KRF_FN int krf_run_group(struct krf_file *f, struct krf_sec *s)
{
	for (unsigned int i = 0; i < s->n_kids; i++) {
		int r = krf_dispatch(f, s->kids[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Evaluation starts at the entry section; a group starts at its first member. */
static KRF_FN int krf_enter(struct krf_file *f)
{
	struct krf_sec *s = NULL;

	for (unsigned int i = 0; i < f->n_all && !s; i++)
		if (f->all[i]->off == f->entry)
			s = f->all[i];
	if (!s)
		return KRF_REJECT(f, "entry names no section");
	if (s->kind == KRF_KIND_GROUP)
		s = s->kids[0];
	f->acc = s->len;
	return 0;
}

/* Parse and run a whole file: 0 when it loads, -EINVAL (f->why) when rejected. */
static KRF_FN int krf_load(struct krf_file *f)
{
	int r;

	if ((r = krf_parse(f)) < 0 || (r = krf_set_mode(f)) < 0 || (r = krf_enter(f)) < 0)
		return r;
	for (unsigned int i = 0; i < f->n_sections; i++)
		if ((r = krf_dispatch(f, f->top[i])) < 0)
			return r;
	return 0;
}

static void krf_release(struct krf_file *f)
{
	for (unsigned int i = 0; i < f->n_all; i++) {
		KRF_FREE(f->all[i]->kids);
		KRF_FREE(f->all[i]);
	}
	KRF_FREE(f->seen);
	f->n_all = 0;
	f->seen = NULL;
}
