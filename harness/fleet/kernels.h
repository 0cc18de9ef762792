/* kernels.h — guest kernels by name: `guest: {kernel: debian-11 | debian-12 | debian-13 |
 * VERSION | PATH}` resolved to a kernel root (boot/vmlinuz-V, lib/modules/V with its build
 * headers) that image_build() reads.
 *
 * A Debian name or version is fetched by guests/fetch-kernel.sh from the Debian archive this
 * host's apt uses (derived from /etc/apt/sources.list.d/ and /etc/apt/sources.list), with a
 * private apt configuration, into STATE_DIR/kernels/VERSION ($FAULTLINE_KERNELS_DIR/VERSION when
 * set: a cache shared by state dirs, as the vm tests share the default's): downloaded and unpacked,
 * never installed; cached by version. A name (debian-12) is asked of the archive (the suite, its
 * -updates and -security: the newest kernel a machine that takes security updates runs) when its
 * last answer is older than FAULTLINE_KERNEL_MAX_AGE seconds (default a day); offline, the
 * version it meant last is used and the note says so. A PATH is a kernel root
 * already unpacked (its newest usable version is taken). Errors: *ret_error (caller frees) says
 * which kernel, package or archive failed. Ownership: strings returned are the caller's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* What a kernel name means, before anything is fetched. */
struct kernels_ref {
	const char *suite; /* bullseye, bookworm, trixie; NULL for a PATH */
	char *kver;	   /* a VERSION given (e.g. 5.10.0-32-amd64); NULL: the suite's current */
	char *root;	   /* a PATH given; NULL otherwise */
};

/* Parse a kernel name: debian-11|12|13, a version whose major.minor is one of those releases'
 * (5.10, 6.1, 6.12), or a path (one containing '/'). -EINVAL with *ret_error saying what is
 * accepted. */
int kernels_ref_parse(const char *name, struct kernels_ref *ret, char **ret_error);
void kernels_ref_finish(struct kernels_ref *r);

/* The Debian archive's base URI in apt sources text: deb822 (.sources) when deb822, else
 * one-line (.list). The first "deb" entry for a suite of Debian (bullseye, bookworm, trixie,
 * sid, or one of their -updates/-backports; not -security) wins. -ENOENT when none. */
int kernels_archive_parse(const char *text, bool deb822, char **ret_uri);
/* The same over the host's apt configuration (dir: NULL for /etc/apt): sources.list.d/ in
 * name order, then sources.list. */
int kernels_archive(const char *dir, char **ret_uri, char **ret_error);
/* The Debian security archive's base URI (the first entry for a SUITE-security of Debian), in
 * text or in the host's apt configuration: -ENOENT when none (no error text: it is optional). */
int kernels_security_parse(const char *text, bool deb822, char **ret_uri);
int kernels_security(const char *dir, char **ret_uri);

/* Resolve name (fetching it when needed) into the kernel version and the root holding it. arch:
 * "amd64" or "arm64", the Debian architecture of the packages fetched (an arm64 root also holds
 * the guest's busybox in ROOT/cross; a PATH is taken as it is). */
int kernels_get(const char *name, const char *arch, const char *state_dir, char **ret_kver,
		char **ret_root, char **ret_note, char **ret_error);
/* What the fetcher's log says of a name's resolution, for the user: the last "offline: ..."
 * (the archive unreachable, the remembered version used), "unavailable: ..." (the newest version
 * listed but not fetched, the remembered one used) or "SUITE (ARCH) now means V (was W)" line,
 * without the program's name; NULL when none. ret_note of kernels_get() (may be NULL). */
char *kernels_note(const char *log);

/* The newest usable kernel version under root (boot/vmlinuz-V, modules, headers): -ENOENT when
 * none. */
int kernels_newest_in(const char *root, char **ret_kver);
