/* disk.h — the content partition of a persistence run (boot loops).
 *
 * A guest of a scenario with `persistence: on` gets a small raw ext4 image as /dev/vda, which
 * its init mounts on /persist: the sensor stores its content there and loads it at every boot.
 * Every guest has a partition of its own, copied from a base (a fresh boot) or from its
 * template's partition frozen when the template was saved (snapshot isolation), so no case sees
 * another's disk. A raw copy rather than a qcow2 overlay: 16 MiB, mostly holes, copies in a few
 * ms; it needs no qemu-img and no storage driver, and a guest's writes cannot reach the base.
 *
 * A full system (guest: {system: ...}) boots from a qcow2 overlay of its image's root disk
 * (disk_overlay()); a clone copies its template's overlay like a partition.
 *
 * Ownership: paths are the caller's; the files are the caller's to unlink.
 */
#pragma once

#define DISK_SIZE_MIB 16
#define DISK_LABEL "FLPERSIST"

/* Make an empty ext4 partition at path (written via a temporary, then renamed), of
 * DISK_SIZE_MIB, or FAULTLINE_DISK_MIB (3 to 1024) from the environment: faultline's own tests
 * fill a small one. On failure *ret_error says why (caller frees). */
int disk_make(const char *path, char **ret_error);
/* A full system's root disk for one guest: a new qcow2 at path whose backing file is base
 * (base_format: qcow2 or raw; the guest never writes it). Made via a temporary and renamed; QEMU's
 * group may write it. On failure *ret_error says why (caller frees). */
int disk_overlay(const char *base, const char *base_format, const char *path, char **ret_error);
/* Copy src to dst, keeping holes (written via a temporary, then renamed). 0 or -errno. */
int disk_copy(const char *src, const char *dst);
/* Make dst, a partition a paused QEMU holds open, the same bytes as src again, in place (the
 * guest's device keeps its file; QEMU has no cache of its own for a raw file). 0 or -errno. */
int disk_refill(const char *src, const char *dst);
/* An empty qcow2 file at path for a warm guest's saved state (vm.h, vm_warm_export), QEMU's group
 * may write it. On failure *ret_error says why (caller frees). */
int disk_state_file(const char *path, char **ret_error);
