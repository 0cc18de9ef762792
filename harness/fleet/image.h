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
	/* guest: {system: NAME} (guests/build-debian.sh): the system's name and its root disk,
	 * a qcow2 every guest boots from through its own overlay (root=/dev/vda); NULL both for
	 * the initramfs */
	char *system;
	char *root_disk;
	/* guest: {disk: PATH}: system is "disk", root_disk the user's image (never written: the
	 * guests boot from overlays), root_format "qcow2" or "raw" (static); booted by an
	 * initramfs that mounts it (build-image.sh --switch-root) */
	const char *root_format;
	/* guest: {disk: PATH}, its firmware given or found from the disk (diskboot.h): the ROM
	 * (static) that boots the disk by its own boot loader, IMAGE_OVMF (a GPT image with an
	 * EFI system partition) or IMAGE_SEABIOS (an MBR with boot code); kernel, initrd and
	 * cmdline then go unused. NULL: faultline's kernel boots the guest */
	const char *firmware;
	/* the guest: kernel: or matrix name it was built for (kernels.h); NULL: the discovered */
	char *kernel_name;
	/* "amd64" or "arm64" (static): the guest's architecture, which its domain is built for */
	const char *arch;
	/* the sensor's build folder ($FAULTLINE_BUILD in its files) */
	char *build_dir;
};

/* The host file that the sensor's files: put at guest path dst in img (caller frees); NULL when
 * none does (a file the sensor's start or package makes). */
char *image_host_file(const struct sensor *s, const struct image *img, const char *dst);

/* The cross compiler's prefix for arm64 guests (package gcc-aarch64-linux-gnu): sensor builds
 * get it as CROSS_COMPILE, the arm64 agent is built with it (guests/meson.build). */
#define IMAGE_ARM64_CROSS "aarch64-linux-gnu-"
/* The UEFI firmware of firmware: uefi guests (package ovmf), a ROM with its variables built in */
#define IMAGE_OVMF "/usr/share/ovmf/OVMF.fd"
/* The PC BIOS of firmware: bios guests that boot by their own loader (package seabios, which
 * QEMU loads anyway: named so that the domain says it boots by the disk) */
#define IMAGE_SEABIOS "/usr/share/seabios/bios-256k.bin"

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
 * gets its kernel and modules, under STATE_DIR/build/NAME@KVER and images/NAME@KVER.
 * arch (NULL: amd64) "arm64" builds an arm64 initramfs guest from an arm64 kernel root
 * (kernels_get(..., "arm64", ...), required): the sensor's build gets FAULTLINE_ARCH=arm64,
 * ARCH=arm64 and CROSS_COMPILE, the image the arm64 agent and the root's busybox. A full
 * system that extra names and the sensor does not (guest: {system: NAME}) adds @NAME to NAME. */
int image_build(const struct sensor *s, const struct sensor_guest *extra, const char *kver,
		const char *kroot, const char *arch, const char *state_dir, struct image **ret,
		char **ret_error);
struct image *image_free(struct image *img);

/* Run argv with env as its whole environment (a NULL-terminated "K=V" list; NULL: faultline's
 * own), cwd (NULL: unchanged), and stdout+stderr appended to log_path. Returns the exit status
 * (0..255) or a negative errno. */
int image_spawn(char *const argv[], char *const env[], const char *cwd, const char *log_path);
