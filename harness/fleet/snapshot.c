/* snapshot.c — clone a libvirt QEMU save image under a new domain name and UUID.
 *
 * Why: libvirt restores a save image only under the name and UUID it was saved with, and two
 * domains of one connection cannot share them, so one saved guest could feed only one guest at
 * a time and every case would wait for the previous guest's 1-2 s destroy. The image is a small
 * header, the domain XML (plus a cookie) in a fixed-size, NUL-padded area, then QEMU's migration
 * stream, which does not carry the name or UUID. Rewriting both in the XML area, with a name of
 * the same length, gives an image libvirt restores as a different domain.
 *
 * Header (libvirt's virQEMUSaveHeader, version 2): char magic[16] "LibvirtQemudSave",
 * u32 version, u32 data_len (bytes of the XML area), u32 was_running, u32 compressed,
 * u32 cookie_offset, u32 unused[14]; the XML area follows at byte 92. Native endianness.
 */
#include "snapshot.h"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include "util.h"

#define SAVE_MAGIC "LibvirtQemudSave"
#define HEADER_SIZE SNAPSHOT_HEADER_SIZE
#define MAX_XML_AREA (16u * 1024 * 1024)

static int read_exact(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EBADMSG;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_exact(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Replace every occurrence of `from` by `to` (same length) in buf[0..n). Returns the count. */
static size_t replace_all(uint8_t *buf, size_t n, const char *from, const char *to)
{
	size_t len = strlen(from), count = 0;
	uint8_t *p = buf, *end = buf + n;

	while ((p = memmem(p, (size_t)(end - p), from, len))) {
		memcpy(p, to, len);
		p += len;
		count++;
	}
	return count;
}

int snapshot_head_size(const uint8_t header[SNAPSHOT_HEADER_SIZE], uint64_t file_size, size_t *ret)
{
	uint32_t version, data_len;

	memcpy(&version, header + 16, 4);
	memcpy(&data_len, header + 20, 4);
	if (memcmp(header, SAVE_MAGIC, 16) != 0 || version != 2 || data_len > MAX_XML_AREA ||
	    HEADER_SIZE + (uint64_t)data_len > file_size)
		return -EBADMSG; /* not a save image we know how to edit */
	*ret = HEADER_SIZE + data_len;
	return 0;
}

int snapshot_rename_head(uint8_t *head, size_t size, const char *old_name, const char *old_uuid,
			 const char *new_name, const char *new_uuid)
{
	if (strlen(old_name) != strlen(new_name) || strlen(old_uuid) != strlen(new_uuid))
		return -EINVAL;
	/* the name must be found: otherwise libvirt's format changed and we would restore a
	 * second domain under the first one's name */
	if (size < HEADER_SIZE ||
	    replace_all(head + HEADER_SIZE, size - HEADER_SIZE, old_name, new_name) == 0 ||
	    replace_all(head + HEADER_SIZE, size - HEADER_SIZE, old_uuid, new_uuid) == 0)
		return -EBADMSG;
	return 0;
}

int snapshot_clone(const char *src, const char *dst, const char *old_name, const char *old_uuid,
		   const char *new_name, const char *new_uuid)
{
	_cleanup_close_ int in = -1, out = -1;
	_cleanup_free_ uint8_t *head = NULL;
	_cleanup_free_ char *tmp = NULL;
	uint8_t header[HEADER_SIZE];
	size_t head_size;
	struct stat st;
	int r;

	if (strlen(old_name) != strlen(new_name) || strlen(old_uuid) != strlen(new_uuid))
		return -EINVAL;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0)
		return -errno;
	if ((r = read_exact(in, header, sizeof(header))) < 0 ||
	    (r = snapshot_head_size(header, (uint64_t)st.st_size, &head_size)) < 0)
		return r;
	head = xmalloc(head_size);
	memcpy(head, header, HEADER_SIZE);
	if ((r = read_exact(in, head + HEADER_SIZE, head_size - HEADER_SIZE)) < 0 ||
	    (r = snapshot_rename_head(head, head_size, old_name, old_uuid, new_name, new_uuid)) < 0)
		return r;

	tmp = xasprintf("%s.tmp", dst);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		return -errno;
	if ((r = write_exact(out, head, head_size)) < 0)
		goto fail;
	for (off_t left = st.st_size - (off_t)head_size; left > 0;) {
		ssize_t n = sendfile(out, in, NULL, (size_t)left);
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			goto fail;
		}
		left -= n;
	}
	if (rename(tmp, dst) < 0) {
		r = -errno;
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	return r;
}

int snapshot_stamp(const char *path, struct snapshot_stamp *ret)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	*ret = (struct snapshot_stamp){.dev = st.st_dev,
				       .ino = st.st_ino,
				       .size = st.st_size,
				       .mtime = st.st_mtim,
				       .ctime = st.st_ctim};
	return 0;
}

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

int snapshot_check(const char *path, const struct snapshot_stamp *stamp, char **ret_reason)
{
	struct snapshot_stamp now;
	int r = snapshot_stamp(path, &now);

	if (r < 0) {
		*ret_reason = xasprintf("save image %s is gone: %s", path, strerror(-r));
		return r;
	}
	if (now.dev != stamp->dev || now.ino != stamp->ino)
		*ret_reason = xasprintf("save image %s was replaced by another file", path);
	else if (now.size != stamp->size)
		*ret_reason = xasprintf("save image %s changed size since it was written: %lld "
					"bytes, written with %lld",
					path, (long long)now.size, (long long)stamp->size);
	else if (!same_time(now.mtime, stamp->mtime) || !same_time(now.ctime, stamp->ctime))
		*ret_reason = xasprintf("save image %s was modified since it was written", path);
	else
		return 0;
	return -ESTALE;
}
