/* covfile.c — the coverage file shared with the guest's emulator (see covfile.h). */
#include "covfile.h"

#include <ctype.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>

#include "util.h"

int covfile_parse(const void *buf, size_t len, struct covfile_view *ret)
{
	const struct covfile_header *h = buf;

	if (len < COVFILE_HEADER_SIZE || memcmp(h->magic, COVFILE_MAGIC, sizeof(h->magic)) != 0 ||
	    h->version != COVFILE_VERSION)
		return -EBADMSG;
	/* a power of two in bounds, and all of it in the file */
	if (h->map_size < COVFILE_MAP_MIN || h->map_size > COVFILE_MAP_MAX ||
	    (h->map_size & (h->map_size - 1)) != 0 || (len - COVFILE_HEADER_SIZE) / 2 < h->map_size)
		return -EBADMSG;
	if (h->n_ranges > COVFILE_MAX_RANGES || h->n_imms > COVFILE_MAX_IMMS)
		return -EBADMSG;
	for (uint32_t i = 0; i < h->n_ranges; i++)
		if (h->ranges[i].start >= h->ranges[i].end)
			return -EBADMSG;
	/* the comparison region, all of it in the file */
	if (h->max_cmps > COVFILE_MAX_CMPS ||
	    (len - COVFILE_HEADER_SIZE - 2 * (size_t)h->map_size) / sizeof(struct covfile_cmp) <
		h->max_cmps)
		return -EBADMSG;
	if (h->objects[COVFILE_OBJECTS_SIZE - 1] != 0)
		return -EBADMSG;
	*ret = (struct covfile_view){
	    .header = h,
	    .edges = (const uint8_t *)buf + COVFILE_HEADER_SIZE,
	    .blocks = (const uint8_t *)buf + COVFILE_HEADER_SIZE + h->map_size,
	    .map_size = h->map_size,
	    .n_ranges = h->n_ranges,
	    .n_imms = h->n_imms,
	    .cmps = (const struct covfile_cmp *)((const uint8_t *)buf + COVFILE_HEADER_SIZE +
						 2 * (size_t)h->map_size),
	    .max_cmps = h->max_cmps,
	    .n_cmps = h->n_cmps < h->max_cmps ? h->n_cmps : h->max_cmps,
	    .first_cmp = h->max_cmps && h->n_cmps > h->max_cmps ? h->n_cmps % h->max_cmps : 0,
	};
	return 0;
}

static int header_ranges(struct covfile_header *h, const struct covfile_range *ranges,
			 const struct covfile_object *objs, size_t n)
{
	size_t at = 0;

	if (n > COVFILE_MAX_RANGES)
		n = COVFILE_MAX_RANGES;
	memset(h->ranges, 0, sizeof(h->ranges));
	memset(h->offsets, 0, sizeof(h->offsets));
	memset(h->objects, 0, sizeof(h->objects));
	if (n)
		memcpy(h->ranges, ranges, n * sizeof(*ranges));
	for (size_t i = 0; objs && i < n; i++) {
		const char *p = objs[i].path ? objs[i].path : "";
		size_t len = strlen(p);

		/* the last byte stays NUL */
		if (at + len + 1 >= COVFILE_OBJECTS_SIZE)
			return -ENAMETOOLONG;
		memcpy(h->objects + at, p, len + 1);
		at += len + 1;
		h->offsets[i] = objs[i].offset;
	}
	h->n_ranges = (uint32_t)n;
	return 0;
}

static int pwrite_all(int fd, const void *p, size_t n, off_t at)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p = (const uint8_t *)p + w;
		n -= (size_t)w;
		at += w;
	}
	return 0;
}

int covfile_create(const char *path, uint32_t map_size, const struct covfile_range *ranges,
		   const struct covfile_object *objs, size_t n)
{
	_cleanup_free_ struct covfile_header *h = xzalloc(COVFILE_HEADER_SIZE);
	_cleanup_close_ int fd = -1;
	int r;

	if ((r = header_ranges(h, ranges, objs, n)) < 0)
		return r;
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return -errno;
	memcpy(h->magic, COVFILE_MAGIC, sizeof(h->magic));
	h->version = COVFILE_VERSION;
	h->map_size = map_size;
	if ((r = pwrite_all(fd, h, COVFILE_HEADER_SIZE, 0)) < 0)
		return r;
	if (ftruncate(fd, (off_t)COVFILE_HEADER_SIZE + 2 * (off_t)map_size) < 0)
		return -errno;
	return 0;
}

int covfile_reset(const char *path, const struct covfile_range *ranges,
		  const struct covfile_object *objs, size_t n)
{
	_cleanup_free_ void *buf = NULL, *zero = NULL;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ struct covfile_header *h = xzalloc(sizeof(*h));
	struct covfile_view v;
	int r;

	if ((r = header_ranges(h, ranges, objs, n)) < 0)
		return r;
	if ((r = covfile_read(path, &buf, &v)) < 0)
		return r;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	/* the maps first, then the ranges: the emulator writes blocks and imms meanwhile, so only
	 * the fields that are ours are written */
	zero = xzalloc(2 * v.map_size);
	h->generation = v.header->generation + 1;
	if ((r = pwrite_all(fd, zero, 2 * v.map_size, COVFILE_HEADER_SIZE)) < 0 ||
	    (r = pwrite_all(fd, &h->execs, sizeof(h->execs),
			    offsetof(struct covfile_header, execs))) < 0 ||
	    (r = pwrite_all(fd, &h->n_cmps, sizeof(h->n_cmps),
			    offsetof(struct covfile_header, n_cmps))) < 0 ||
	    (r = pwrite_all(fd, &h->generation, sizeof(h->generation),
			    offsetof(struct covfile_header, generation))) < 0)
		return r;
	/* the objects before the ranges that use them */
	if ((r = pwrite_all(fd, h->offsets, sizeof(h->offsets) + sizeof(h->objects),
			    offsetof(struct covfile_header, offsets))) < 0 ||
	    (r = pwrite_all(fd, h->ranges, sizeof(h->ranges),
			    offsetof(struct covfile_header, ranges))) < 0)
		return r;
	return pwrite_all(fd, &h->n_ranges, sizeof(h->n_ranges),
			  offsetof(struct covfile_header, n_ranges));
}

int covfile_read(const char *path, void **ret_buf, struct covfile_view *ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ void *buf = NULL;
	struct stat st;
	size_t got = 0;
	int r;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < (off_t)COVFILE_HEADER_SIZE ||
	    st.st_size > (off_t)(COVFILE_HEADER_SIZE + 2 * COVFILE_MAP_MAX +
				 COVFILE_MAX_CMPS * sizeof(struct covfile_cmp)))
		return -EBADMSG;
	/* malloc's alignment suits the header's uint64_t fields */
	buf = xmalloc((size_t)st.st_size);
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, (uint8_t *)buf + got, (size_t)st.st_size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EBADMSG;
		got += (size_t)n;
	}
	if ((r = covfile_parse(buf, got, ret)) < 0)
		return r;
	*ret_buf = TAKE_PTR(buf);
	return 0;
}

size_t covfile_ranges_from_modules(const char *text, const char *only, struct covfile_range *ret,
				   size_t max)
{
	size_t n = 0;

	for (const char *line = text; line && *line && n < max;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		_cleanup_free_ char *copy = xstrndup(line, len);
		char name[64], addr[32];
		unsigned long long size, start;

		line = eol ? eol + 1 : NULL;
		/* "ksensor 16384 0 - Live 0xffffffffc0000000 (O)" */
		if (sscanf(copy, "%63s %llu %*s %*s %*s %31s", name, &size, addr) != 3 || !size)
			continue;
		if (only) {
			_cleanup_free_ char *list = xasprintf(",%s,", only);
			_cleanup_free_ char *key = xasprintf(",%s,", name);
			if (!strstr(list, key))
				continue;
		}
		start = strtoull(addr, NULL, 16);
		if (!start || start + size < start)
			continue; /* hidden address (kptr_restrict) or nonsense */
		ret[n++] = (struct covfile_range){.start = start, .end = start + size};
	}
	return n;
}

/* 1 to 16 hex digits at *p, stopping at stop: the value, *p past the stop character. */
static bool hex_field(const char **p, char stop, uint64_t *ret)
{
	uint64_t v = 0;
	size_t n = 0;

	for (; isxdigit((unsigned char)**p) && n < 16; (*p)++, n++)
		v = v << 4 | (uint64_t)(isdigit((unsigned char)**p)
					    ? **p - '0'
					    : (tolower((unsigned char)**p) - 'a' + 10));
	if (!n || **p != stop)
		return false;
	(*p)++;
	*ret = v;
	return true;
}

/* One maps line (len bytes, no newline) into *ret: false when it is not an executable mapping
 * of a file. */
static bool maps_line(const char *l, size_t len, struct covfile_map *ret)
{
	_cleanup_free_ char *copy = xstrndup(l, len);
	const char *p = copy, *path;
	uint64_t start, end, offset;

	if (!hex_field(&p, '-', &start) || !hex_field(&p, ' ', &end) || start >= end)
		return false;
	/* "r-xp ": four permission characters, the third 'x' */
	if (strlen(p) < 5 || p[2] != 'x' || p[4] != ' ')
		return false;
	p += 5;
	if (!hex_field(&p, ' ', &offset))
		return false;
	/* the device and the inode, then spaces up to the path */
	for (int field = 0; field < 2; field++) {
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	path = p;
	if (path[0] != '/' || strlen(path) >= COVFILE_PATH_MAX)
		return false;
	*ret = (struct covfile_map){.range = {start, end}, .offset = offset};
	memcpy(ret->path, path, strlen(path) + 1);
	return true;
}

size_t covfile_maps_parse(const char *text, struct covfile_map *ret, size_t max)
{
	size_t n = 0;

	for (const char *line = text; line && *line && n < max;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);

		if (maps_line(line, len, &ret[n]))
			n++;
		line = eol ? eol + 1 : NULL;
	}
	return n;
}
