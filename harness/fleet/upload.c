/* upload.c — faultline's storage pool on a libvirt host (see upload.h).
 *
 * Why a clone is made on the host: libvirt restores a save image only under the name and UUID
 * saved in it (a restore XML that renames the domain is refused: "Target domain name ... does
 * not match source", measured with libvirt 9.0), so a remote clone needs its own file, as a
 * local one does (snapshot.h). Sending a whole image (80 MB for a 256 MiB guest) per clone would
 * cost seconds; the host copies the template's volume (virStorageVolCreateXMLFrom) and only its
 * head, a few KB with the XML that names the domain, is downloaded, renamed and uploaded back at
 * offset 0.
 */
#include "upload.h"

#include <fcntl.h>

#include "escape.h"
#include "virt-util.h"
#include "vm-private.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(virStoragePoolPtr, virStoragePoolFree)
DEFINE_TRIVIAL_CLEANUP_FUNC(virStorageVolPtr, virStorageVolFree)
#define _cleanup_virPool_ _cleanup_(virStoragePoolFreep)
#define _cleanup_virVol_ _cleanup_(virStorageVolFreep)

struct upload_store {
	struct vm_host *host;
	virStoragePoolPtr pool;
	char *dir;
};

/* The <path> of the pool's <target>, or NULL. */
static char *store_dir(virStoragePoolPtr pool)
{
	_cleanup_free_ char *xml = virStoragePoolGetXMLDesc(pool, 0);
	const char *t, *a, *b;

	if (!xml || !(t = strstr(xml, "<target>")) || !(a = strstr(t, "<path>")) ||
	    !(b = strstr(a, "</path>")))
		return NULL;
	return xstrndup(a + 6, (size_t)(b - a - 6));
}

static virStoragePoolPtr store_define(virConnectPtr conn)
{
	static const char xml[] =
	    "<pool type='dir'><name>" UPLOAD_STORE_NAME "</name><target><path>" UPLOAD_STORE_DIR
	    "</path><permissions><mode>0711</mode></permissions></target></pool>";
	virStoragePoolPtr pool = virStoragePoolDefineXML(conn, xml, 0);

	if (pool && virStoragePoolBuild(pool, 0) < 0) {
		virStoragePoolUndefine(pool);
		virStoragePoolFree(pool);
		return NULL;
	}
	if (pool)
		virStoragePoolSetAutostart(pool, 1);
	return pool;
}

int upload_store_open(struct vm_host *h, struct upload_store **ret, char **ret_error)
{
	_cleanup_virPool_ virStoragePoolPtr pool =
	    virStoragePoolLookupByName(h->conn, UPLOAD_STORE_NAME);
	struct upload_store *p;
	char *dir;

	if (!pool && !(pool = store_define(h->conn))) {
		*ret_error = vm_last_error("cannot define the storage pool " UPLOAD_STORE_NAME
					   " at " UPLOAD_STORE_DIR);
		return -EIO;
	}
	if (virStoragePoolIsActive(pool) != 1 && virStoragePoolCreate(pool, 0) < 0) {
		*ret_error = vm_last_error("cannot start the storage pool " UPLOAD_STORE_NAME);
		return -EIO;
	}
	/* volumes a daemon has not seen yet (written while it was down) */
	if (virStoragePoolRefresh(pool, 0) < 0 || !(dir = store_dir(pool))) {
		*ret_error = vm_last_error("cannot read the storage pool " UPLOAD_STORE_NAME);
		return -EIO;
	}
	p = xzalloc(sizeof(*p));
	p->host = h;
	p->pool = TAKE_PTR(pool);
	p->dir = dir;
	*ret = p;
	return 0;
}

struct upload_store *upload_store_free(struct upload_store *p)
{
	if (!p)
		return NULL;
	virStoragePoolFree(p->pool);
	free(p->dir);
	free(p);
	return NULL;
}

const char *upload_store_dir(const struct upload_store *p)
{
	return p->dir;
}

static virStorageVolPtr vol_create(struct upload_store *p, const char *name, uint64_t size,
				   virStorageVolPtr from)
{
	_cleanup_free_ char *text = escape_xml_text_str(name);
	_cleanup_free_ char *xml =
	    xasprintf("<volume><name>%s</name><capacity unit='bytes'>%llu</capacity><allocation "
		      "unit='bytes'>0</allocation><target><format type='raw'/></target></volume>",
		      text, (unsigned long long)size);

	return from ? virStorageVolCreateXMLFrom(p->pool, xml, from, 0)
		    : virStorageVolCreateXML(p->pool, xml, 0);
}

static void vol_delete(struct upload_store *p, const char *name)
{
	_cleanup_virVol_ virStorageVolPtr v = virStorageVolLookupByName(p->pool, name);

	if (v)
		virStorageVolDelete(v, 0);
}

/* A copy of volume from named name (replacing one of that name), made by the host. */
static virStorageVolPtr vol_copy(struct upload_store *p, virStorageVolPtr from, uint64_t size,
				 const char *name)
{
	virConnectPtr job = vm_conn_get(p->host);
	virStoragePoolPtr pool = NULL;
	virStorageVolPtr src = NULL, to;
	_cleanup_free_ char *path = NULL;

	vol_delete(p, name);
	/* the host copies for up to a second: on a connection of its own (vm_conn_get), else on
	 * the main one */
	if (job != p->host->conn && (path = virStorageVolGetPath(from)) &&
	    (pool = virStoragePoolLookupByName(job, virStoragePoolGetName(p->pool))))
		src = virStorageVolLookupByPath(job, path);
	if (!src) {
		if (pool)
			virStoragePoolFree(pool);
		pool = p->pool;
		src = from;
	}
	to = vol_create(&(struct upload_store){.host = p->host, .pool = pool}, name, size, src);
	if (src != from)
		virStorageVolFree(src);
	if (pool != p->pool)
		virStoragePoolFree(pool);
	vm_conn_put(p->host, job);
	return to;
}

struct source {
	const uint8_t *data;
	size_t left;
};

static int source_cb(virStreamPtr st, char *buf, size_t n, void *opaque)
{
	struct source *s = opaque;

	(void)st;
	n = n < s->left ? n : s->left;
	memcpy(buf, s->data, n);
	s->data += n;
	s->left -= n;
	return (int)n;
}

/* Write data at offset of volume v. */
static int vol_write(virStorageVolPtr v, uint64_t offset, const uint8_t *data, size_t size)
{
	_cleanup_virStream_ virStreamPtr st = virStreamNew(virStorageVolGetConnect(v), 0);
	struct source src = {data, size};

	if (!st || virStorageVolUpload(v, st, offset, size, 0) < 0)
		return -EIO;
	if (virStreamSendAll(st, source_cb, &src) < 0) {
		virStreamAbort(st);
		return -EIO;
	}
	return virStreamFinish(st) < 0 ? -EIO : 0;
}

struct sink {
	uint8_t *data;
	size_t len, cap;
};

static int sink_cb(virStreamPtr st, const char *buf, size_t n, void *opaque)
{
	struct sink *s = opaque;

	(void)st;
	if (s->len + n > s->cap)
		return -1;
	memcpy(s->data + s->len, buf, n);
	s->len += n;
	return (int)n;
}

/* Read size bytes from the start of volume v into buf. */
static int vol_read(virStorageVolPtr v, uint8_t *buf, size_t size)
{
	_cleanup_virStream_ virStreamPtr st = virStreamNew(virStorageVolGetConnect(v), 0);
	struct sink s = {buf, 0, size};

	if (!st || virStorageVolDownload(v, st, 0, size, 0) < 0)
		return -EIO;
	if (virStreamRecvAll(st, sink_cb, &s) < 0) {
		virStreamAbort(st);
		return -EIO;
	}
	if (virStreamFinish(st) < 0)
		return -EIO;
	return s.len == size ? 0 : -EBADMSG;
}

int upload_file(struct upload_store *p, const char *path, const char *label, char **ret_path,
		uint64_t *ret_sent, char **ret_error)
{
	_cleanup_free_ uint8_t *data = NULL;
	_cleanup_free_ char *name = NULL, *ok = NULL;
	_cleanup_virVol_ virStorageVolPtr v = NULL, done = NULL;
	char sha[65];
	size_t size;
	int r;

	if ((r = read_file(path, (size_t)1 << 31, &data, &size)) < 0) {
		*ret_error = xasprintf("cannot read %s: %s", path, strerror(-r));
		return r;
	}
	sha256_hex(data, size, sha);
	name = xasprintf("%s-%s", sha, label);
	ok = xasprintf("%s.ok", name);
	*ret_sent = 0;
	done = virStorageVolLookupByName(p->pool, ok);
	v = virStorageVolLookupByName(p->pool, name);
	if (!done || !v) {
		/* not there, or an upload that did not finish */
		virStorageVolFree(TAKE_PTR(v));
		vol_delete(p, ok);
		vol_delete(p, name);
		if (!(v = vol_create(p, name, size, NULL)) || vol_write(v, 0, data, size) < 0 ||
		    !(done = vol_create(p, ok, 0, NULL))) {
			*ret_error = vm_last_error("cannot upload the guest's files");
			vol_delete(p, name);
			return -EIO;
		}
		*ret_sent = size;
	}
	if (!(*ret_path = virStorageVolGetPath(v))) {
		*ret_error = vm_last_error("cannot find an uploaded volume");
		return -EIO;
	}
	return 0;
}

char *upload_new_path(struct upload_store *p, const char *name, char **ret_error)
{
	_cleanup_virVol_ virStorageVolPtr v = NULL;
	char *path;

	vol_delete(p, name);
	if (!(v = vol_create(p, name, 0, NULL)) || !(path = virStorageVolGetPath(v))) {
		*ret_error = vm_last_error("cannot make a file in the storage pool");
		return NULL;
	}
	return path;
}

int upload_stamp(struct upload_store *p, const char *path, struct snapshot_stamp *ret)
{
	_cleanup_virVol_ virStorageVolPtr v = virStorageVolLookupByPath(p->host->conn, path);
	virStorageVolInfo info;

	/* GetInfo reads the file again: a size libvirt wrote behind the pool's back shows */
	if (!v || virStorageVolGetInfo(v, &info) < 0)
		return -ENOENT;
	*ret = (struct snapshot_stamp){.size = (off_t)info.capacity};
	return 0;
}

int upload_check(struct upload_store *p, const char *path, const struct snapshot_stamp *stamp,
		 char **ret_reason)
{
	struct snapshot_stamp now;

	if (upload_stamp(p, path, &now) < 0) {
		*ret_reason = xasprintf("save image %s on %s is gone", path, p->host->uri);
		return -ENOENT;
	}
	if (now.size == stamp->size)
		return 0;
	*ret_reason = xasprintf("save image %s on %s changed size since it was written: %lld "
				"bytes, written with %lld",
				path, p->host->uri, (long long)now.size, (long long)stamp->size);
	return -ESTALE;
}

int upload_clone(struct upload_store *p, const char *src, const char *dst, const char *old_name,
		 const char *old_uuid, const char *new_name, const char *new_uuid)
{
	_cleanup_virVol_ virStorageVolPtr from = virStorageVolLookupByPath(p->host->conn, src);
	_cleanup_virVol_ virStorageVolPtr to = NULL;
	_cleanup_free_ uint8_t *head = NULL;
	const char *name = strrchr(dst, '/') ? strrchr(dst, '/') + 1 : dst;
	uint8_t header[SNAPSHOT_HEADER_SIZE];
	virStorageVolInfo info;
	size_t size;
	int r;

	if (!from || virStorageVolGetInfo(from, &info) < 0)
		return -ENOENT;
	if ((r = vol_read(from, header, sizeof(header))) < 0 ||
	    (r = snapshot_head_size(header, info.capacity, &size)) < 0)
		return r;
	head = xmalloc(size);
	if ((r = vol_read(from, head, size)) < 0 ||
	    (r = snapshot_rename_head(head, size, old_name, old_uuid, new_name, new_uuid)) < 0)
		return r;
	if (!(to = vol_copy(p, from, info.capacity, name)))
		return -EIO;
	if ((r = vol_write(to, 0, head, size)) < 0)
		virStorageVolDelete(to, 0);
	return r;
}

int upload_copy(struct upload_store *p, const char *src, const char *name, char **ret_path)
{
	_cleanup_virVol_ virStorageVolPtr from = virStorageVolLookupByPath(p->host->conn, src);
	_cleanup_virVol_ virStorageVolPtr to = NULL;
	virStorageVolInfo info;
	char *path;

	if (!from || virStorageVolGetInfo(from, &info) < 0)
		return -ENOENT;
	if (!(to = vol_copy(p, from, info.capacity, name)) || !(path = virStorageVolGetPath(to)))
		return -EIO;
	*ret_path = path;
	return 0;
}

void upload_remove(struct upload_store *p, const char *path)
{
	_cleanup_free_ char *ok = xasprintf("%s.ok", path);
	_cleanup_virVol_ virStorageVolPtr v = virStorageVolLookupByPath(p->host->conn, path);
	_cleanup_virVol_ virStorageVolPtr done = virStorageVolLookupByPath(p->host->conn, ok);

	if (done) /* an uploaded file's mark first: it is never whole without it */
		virStorageVolDelete(done, 0);
	if (v)
		virStorageVolDelete(v, 0);
}
