/* snapshot.h — copies of one saved guest that libvirt can restore side by side.
 *
 * A guest booted once to "sensor loaded, agent ready" and saved with libvirt (vm_save) is the
 * template; snapshot_clone() writes a copy that restores as a different domain (new name of the
 * same length, new UUID), so that several guests can start from identical state at once and a
 * guest being destroyed does not hold up the next one.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* The fixed header of a libvirt QEMU save image; the domain XML area follows it. */
#define SNAPSHOT_HEADER_SIZE 92

/* Copy the save image src to dst, renaming the domain. Returns 0, -EINVAL (name or UUID
 * lengths differ), -EBADMSG (not a libvirt QEMU save image of a known version, or the name is
 * not in it), or another negative errno. dst is written via a temporary and renamed. */
int snapshot_clone(const char *src, const char *dst, const char *old_name, const char *old_uuid,
		   const char *new_name, const char *new_uuid);

/* The part of a save image that names the domain, for a clone made where the image is (a
 * remote host, upload.h): from its header, the bytes of header and XML area. 0, or -EBADMSG
 * (not a save image of a known version). */
int snapshot_head_size(const uint8_t header[SNAPSHOT_HEADER_SIZE], uint64_t file_size, size_t *ret);
/* Rename the domain in that part (as snapshot_clone does). 0, -EINVAL, or -EBADMSG. */
int snapshot_rename_head(uint8_t *head, size_t size, const char *old_name, const char *old_uuid,
			 const char *new_name, const char *new_uuid);

/* What a save image was when faultline wrote it. A file truncated, overwritten or replaced since
 * may restore as a damaged guest whose faults would be blamed on the sensor, so every restore
 * and clone checks it first (a read, as a restore does, changes none of these). */
struct snapshot_stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

int snapshot_stamp(const char *path, struct snapshot_stamp *ret);
/* 0 when path is the stamped file, unchanged; otherwise -ESTALE or the -errno of stat, and
 * *ret_reason (caller frees) says what changed, for the infra-error record. */
int snapshot_check(const char *path, const struct snapshot_stamp *stamp, char **ret_reason);
