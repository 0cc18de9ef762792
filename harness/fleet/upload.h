/* upload.h — files of a libvirt host that is not this process's embedded driver (a remote
 * host, or a local daemon), kept in a libvirt storage pool faultline uses there (the store; not the
 * guest pool of pool.h), through libvirt itself: no shared file system.
 *
 * The store is a dir pool named "faultline": used as it is when the host has one (its folder
 * wherever the host's administrator put it), otherwise defined, built and started at
 * UPLOAD_STORE_DIR. Guest images (kernel, initramfs) are uploaded once per host: a volume's name
 * carries the SHA-256 of its content, and a second volume NAME.ok, written after the upload
 * finished, says it is whole; a later run (or a host that rejoins) reuses it. Saved guests are
 * written there by libvirt itself (vm_save to a path upload_new_path() gave), and cloned there
 * (upload_clone): the host copies the image and only the bytes that name the domain travel.
 *
 * Thread-safety: libvirt's (callers use names of their own). Ownership: the caller owns
 * the store (upload_store_free) and the strings returned; the vm_host must outlive the store.
 */
#pragma once

#include <stdint.h>

#include "snapshot.h"
#include "vm.h"

#define UPLOAD_STORE_NAME "faultline"
#define UPLOAD_STORE_DIR "/var/lib/libvirt/faultline"

struct upload_store;

/* Find or make the store on h. On failure *ret_error says why (caller frees). */
int upload_store_open(struct vm_host *h, struct upload_store **ret, char **ret_error);
struct upload_store *upload_store_free(struct upload_store *p);
/* The store's folder on the host. */
const char *upload_store_dir(const struct upload_store *p);

/* The host's path of local file `path` in the store, uploading it unless a whole copy is there.
 * label ends the volume's name (e.g. "vmlinuz"). *ret_sent: bytes sent (0: reused). */
int upload_file(struct upload_store *p, const char *path, const char *label, char **ret_path,
		uint64_t *ret_sent, char **ret_error);

/* A new empty file in the store named name (replacing one of that name), for libvirt to write
 * (vm_save). Returns its host path (caller frees) or NULL with *ret_error set. */
char *upload_new_path(struct upload_store *p, const char *name, char **ret_error);
/* The stamp of a store file (its size: the host's files cannot be stat()ed from here), and the
 * check that it is still that file; as snapshot_stamp() and snapshot_check(). */
int upload_stamp(struct upload_store *p, const char *path, struct snapshot_stamp *ret);
int upload_check(struct upload_store *p, const char *path, const struct snapshot_stamp *stamp,
		 char **ret_reason);
/* snapshot_clone() on the host: dst (a path in the store) becomes a copy of src that restores
 * as new_name / new_uuid. Same returns. */
int upload_clone(struct upload_store *p, const char *src, const char *dst, const char *old_name,
		 const char *old_uuid, const char *new_name, const char *new_uuid);
/* A copy of store file src, made on the host, named name; *ret_path: its path (caller frees). */
int upload_copy(struct upload_store *p, const char *src, const char *name, char **ret_path);
/* Delete a store file (a missing one is fine), with its upload's mark. */
void upload_remove(struct upload_store *p, const char *path);
