/* image.h — the guest image of one sensor: Debian's kernel (installed, or unpacked by .ci/setup)
 * plus an initramfs holding busybox, the guest agent, the kernel modules the guest needs and the
 * sensor's files.
 *
 * The sensor's own build command runs first (on the host, against the discovered kernel's
 * headers); guests/build-image.sh then assembles the initramfs and caches it by the hash of its
 * inputs, so an unchanged sensor costs only the (incremental) sensor build.
 * Errors: *ret_error (caller frees) starts with the party at fault, "sensor error: " (its build
 * failed) or "faultline bug: ", unless it is the machine's (a folder, a package, the image
 * builder).
 * Ownership: image_free() frees what image_build() returns.
 */
#pragma once

#include "sensor.h"

struct image {
	char *kver;
	char *kernel;
	char *initrd;
	/* what the guest's kernel command line adds to faultline's own: the sensor's guest
	 * options, then the scenario's (sensor.h, struct sensor_guest); NULL: nothing */
	char *cmdline;
	/* the guest: kernel: or matrix name it was built for (kernels.h); NULL: the discovered */
	char *kernel_name;
};

/* Where .ci/setup unpacks Debian's guest kernel and headers (without installing them) when the
 * host has none installed. $FAULTLINE_KERNEL_ROOT names another such root, which then wins over
 * the host's installed kernel at equal versions. */
#define IMAGE_KERNEL_CACHE "/var/cache/faultline/kernel"

/* The newest kernel that has /boot/vmlinuz-V, modules and headers, installed or in the
 * unpacked root (see IMAGE_KERNEL_CACHE); image_build() finds it again by its version. */
int image_kernel_discover(char **ret_kver, char **ret_error);
/* Build (or reuse) the image of a sensor under STATE_DIR/images/NAME. Build output of the
 * sensor goes to STATE_DIR/build/NAME, its log to STATE_DIR/build/NAME.log. extra (may be
 * NULL) is the scenario's guest section: its modules go into the image with the sensor's (the
 * builder loads them at boot, dependencies first, and hashes them into the cache key), its
 * command line after the sensor's into image->cmdline. kroot (NULL: the discovered roots) is a
 * kernel root of kernels.h holding kver: the sensor is built against its headers, the image
 * gets its kernel and modules, under STATE_DIR/build/NAME@KVER and images/NAME@KVER. */
int image_build(const struct sensor *s, const struct sensor_guest *extra, const char *kver,
		const char *kroot, const char *state_dir, struct image **ret, char **ret_error);
struct image *image_free(struct image *img);

/* Run argv with env as its whole environment (a NULL-terminated "K=V" list; NULL: faultline's
 * own), cwd (NULL: unchanged), and stdout+stderr appended to log_path. Returns the exit status
 * (0..255) or a negative errno. */
int image_spawn(char *const argv[], char *const env[], const char *cwd, const char *log_path);
