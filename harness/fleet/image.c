/* image.c — kernel discovery and per-sensor image building (see image.h). */
#include "image.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "datadir.h"
#include "diskboot.h"
#include "util.h"

/* Where a kernel may be: the host's own (/boot, /lib/modules), then the one .ci/setup unpacked
 * from Debian's packages without installing them (IMAGE_KERNEL_CACHE, or
 * $FAULTLINE_KERNEL_ROOT): installing linux-image-* would regenerate the host's initramfs for
 * files that are only read here. */
static const char *kernel_roots[2];

static const char *unpacked_root(void)
{
	const char *env = getenv("FAULTLINE_KERNEL_ROOT");

	return env && *env ? env : IMAGE_KERNEL_CACHE;
}

/* A root named in the environment comes first: at equal versions it wins over the host's. */
static void init_kernel_roots(void)
{
	bool named = !streq(unpacked_root(), IMAGE_KERNEL_CACHE);

	kernel_roots[0] = named ? unpacked_root() : "";
	kernel_roots[1] = named ? "" : unpacked_root();
}

static bool exists(const char *fmt, const char *root, const char *kver)
{
	_cleanup_free_ char *p = xasprintf(fmt, root, kver);
	struct stat st;

	return stat(p, &st) == 0;
}

static bool usable(const char *root, const char *kver)
{
	return exists("%s/boot/vmlinuz-%s", root, kver) &&
	       exists("%s/lib/modules/%s/modules.dep", root, kver) &&
	       exists("%s/lib/modules/%s/build/Makefile", root, kver);
}

/* The first root that holds kver whole, "" (the host's) when none does. */
static const char *kernel_root(const char *kver)
{
	init_kernel_roots();
	for (size_t i = 0; i < ARRAY_SIZE(kernel_roots); i++)
		if (usable(kernel_roots[i], kver))
			return kernel_roots[i];
	return "";
}

/* The newest usable version under root/lib/modules into *best (kept when it is newer). */
static void newest_in(const char *root, char **best)
{
	_cleanup_free_ char *dir = xasprintf("%s/lib/modules", root);
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !usable(root, de->d_name))
			continue;
		if (!*best || strverscmp(de->d_name, *best) > 0) {
			free(*best);
			*best = xstrdup(de->d_name);
		}
	}
	closedir(d);
}

int image_kernel_discover(char **ret_kver, char **ret_error)
{
	_cleanup_free_ char *best = NULL;

	init_kernel_roots();
	for (size_t i = 0; i < ARRAY_SIZE(kernel_roots); i++)
		newest_in(kernel_roots[i], &best);
	if (!best) {
		*ret_error = xasprintf("no guest kernel with /boot/vmlinuz-V, modules and headers, "
				       "installed or unpacked in %s: run .ci/setup (it unpacks "
				       "Debian's kernel there), or install linux-image-amd64 and "
				       "linux-headers-amd64",
				       unpacked_root());
		return -ENOENT;
	}
	*ret_kver = TAKE_PTR(best);
	return 0;
}

int image_spawn(char *const argv[], char *const env[], const char *cwd, const char *log_path)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log_path ? log_path : "/dev/null",
			      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		if (cwd && chdir(cwd) < 0)
			_exit(127);
		if (env)
			execvpe(argv[0], argv, env);
		else
			execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* $FAULTLINE_BUILD in a files entry; relative paths are relative to the sensor folder. */
static char *expand_src(const struct sensor *s, const char *src, const char *build_dir)
{
	static const char var[] = "$FAULTLINE_BUILD";
	const char *at = strstr(src, var);
	_cleanup_free_ char *p = NULL;

	if (at)
		p = xasprintf("%.*s%s%s", (int)(at - src), src, build_dir, at + strlen(var));
	else
		p = xstrdup(src);
	if (p[0] == '/')
		return TAKE_PTR(p);
	return xasprintf("%s/%s", s->dir, p);
}

static void free_argv(char **argv)
{
	for (char **a = argv; a && *a; a++)
		free(*a);
	free(argv);
}

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The build runs as root on the host: it gets what the contract promises and nothing of
 * faultline's own environment (tokens, SSH agent sockets, libvirt URIs). */
static char **build_env(const char *root, const char *kver, const char *arch, const char *build_dir)
{
	static const char *const keep[] = {"HOME", "LANG"};
	const char *path = getenv("PATH");
	char **env = xcalloc(ARRAY_SIZE(keep) + 8, sizeof(char *));
	size_t n = 0;

	env[n++] = xasprintf("PATH=%s", path && *path ? path : DEFAULT_PATH);
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		if (getenv(keep[i]))
			env[n++] = xasprintf("%s=%s", keep[i], getenv(keep[i]));
	env[n++] = xasprintf("FAULTLINE_BUILD=%s", build_dir);
	env[n++] = xasprintf("FAULTLINE_KVER=%s", kver);
	env[n++] = xasprintf("FAULTLINE_KBUILD=%s/lib/modules/%s/build", root, kver);
	env[n++] = xasprintf("FAULTLINE_ARCH=%s", arch);
	if (streq(arch, "arm64")) { /* what kbuild and a cross build read */
		env[n++] = xstrdup("ARCH=arm64");
		env[n++] = xstrdup("CROSS_COMPILE=" IMAGE_ARM64_CROSS);
		env[n++] = xasprintf("FAULTLINE_CROSS_ROOT=%s/cross", root);
	}
	return env;
}

static int run_sensor_build(const struct sensor *s, const char *root, const char *kver,
			    const char *arch, const char *build_dir, const char *log,
			    char **ret_error)
{
	char **env;
	char *argv[] = {"/bin/sh", "-c", s->build_command, NULL};
	int r;

	if (!s->build_command)
		return 0;
	env = build_env(root, kver, arch, build_dir);
	r = image_spawn(argv, env, s->dir, log);
	free_argv(env);
	if (r != 0) {
		*ret_error = xasprintf("sensor error: building %s failed (%s %d), see %s", s->name,
				       r < 0 ? "error" : "exit status", r, log);
		return -EIO;
	}
	return 0;
}

/* The image builder's command line (free with free_argv): build-image.sh, or for a full system
 * build-debian.sh, whose bootstrapped package sets are kept in STATE_DIR/images/_systems. */
static char **builder_argv(const struct sensor *s, const struct sensor_guest *g, const char *root,
			   const char *kver, const char *arch, const char *conf_path,
			   const char *out, const char *build_dir, const char *state_dir)
{
	bool arm64 = streq(arch, "arm64");
	size_t n = 0, n_modules = 0;
	char **argv;

	for (char **m = g->modules; m && *m; m++)
		n_modules++;
	argv = xcalloc(20 + 2 * s->n_files + 2 * n_modules, sizeof(char *));
	if (g->system) {
		argv[n++] = xasprintf("%s/guests/build-debian.sh", datadir_root());
		argv[n++] = xstrdup("--system");
		argv[n++] = xstrdup(g->system);
		argv[n++] = xstrdup("--base-cache");
		argv[n++] = xasprintf("%s/images/_systems", state_dir);
	} else {
		argv[n++] = xstrdup(datadir_image_builder());
		if (g->disk) { /* an initramfs that mounts the user's disk and runs its init */
			argv[n++] = xstrdup("--switch-root");
			argv[n++] = xstrdup("/dev/vda");
		}
	}
	argv[n++] = xstrdup("--kver");
	argv[n++] = xstrdup(kver);
	argv[n++] = xstrdup("--kernel-root");
	argv[n++] = xstrdup(root);
	argv[n++] = xstrdup("--agent");
	argv[n++] = arm64 ? xasprintf("%s-arm64", datadir_agent()) : xstrdup(datadir_agent());
	if (arm64) { /* fetch-kernel.sh --arch arm64 unpacks it there */
		argv[n++] = xstrdup("--busybox");
		argv[n++] = xasprintf("%s/cross/bin/busybox", root);
	}
	argv[n++] = xstrdup("--conf");
	argv[n++] = xstrdup(conf_path);
	argv[n++] = xstrdup("--out");
	argv[n++] = xstrdup(out);
	for (size_t i = 0; i < s->n_files; i++) {
		_cleanup_free_ char *src = expand_src(s, s->files[i].src, build_dir);
		argv[n++] = xstrdup("--file");
		argv[n++] = xasprintf("%s=%s", src, s->files[i].dst);
	}
	for (char **m = g->modules; m && *m; m++) {
		argv[n++] = xstrdup("--module");
		argv[n++] = xstrdup(*m);
	}
	if (g->system && s->package) {
		argv[n++] = xstrdup("--deb");
		argv[n++] = expand_src(s, s->package, build_dir);
	}
	return argv;
}

/* A full system runs a probe's commands as dynamically linked programs, each exec costing
 * several times busybox's under TCG: on a loaded 2-core host (load 16) one probe took 15-20 s
 * right after the system came up, 5 times the default. There the probe gets the longest timeout
 * a sensor may set: a blind sensor still fails it at once (the counter did not grow), only a
 * hung probe waits that long. */
#define SYSTEM_PROBE_TIMEOUT_MS 60000

/* A user's disk image (guest: {disk: PATH}): its format by its first bytes, qcow2 or else raw;
 * an image that cannot be read is the scenario's fault, named before any guest boots. */
static int disk_format(const char *path, const char *at, const char **ret, char **ret_error)
{
	static const char qcow2_magic[4] = {'Q', 'F', 'I', (char)0xfb};
	char head[4];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		*ret_error =
		    xasprintf("scenario error: %s: guest disk %s: %s", at, path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode) || read(fd, head, sizeof(head)) != (ssize_t)sizeof(head)) {
		*ret_error = xasprintf("scenario error: %s: guest disk %s is not a disk image file",
				       at, path);
		return -EINVAL;
	}
	*ret = memcmp(head, qcow2_magic, sizeof(head)) == 0 ? "qcow2" : "raw";
	return 0;
}

/* How a user's disk boots (diskboot.h): its first MiB, read as the guest sees it (qemu-img
 * reads a qcow2's), probed; a disk that cannot boot the way the scenario asks, or at all, is
 * the scenario's fault, located at its firmware: or disk: key. */
static int disk_boot(const struct sensor_guest *g, const char *fmt, const char *build_dir,
		     enum diskboot_how *ret, char **ret_error)
{
	/* its own name: shards on one state dir read it before the build lock */
	_cleanup_free_ char *head_path = xasprintf("%s/disk-head.%d.raw", build_dir, (int)getpid());
	_cleanup_free_ char *in = xasprintf("if=%s", g->disk), *out = xasprintf("of=%s", head_path);
	_cleanup_free_ char *count = xasprintf("count=%u", DISKBOOT_HEAD / 65536);
	char *argv[] = {"qemu-img", "dd",  "-f", (char *)fmt, "-O", "raw",
			"bs=65536", count, in,	 out,	      NULL};
	_cleanup_free_ uint8_t *head = NULL;
	_cleanup_free_ char *why = NULL;
	size_t size = 0;
	struct diskboot_probe p;
	int r;

	unlink(head_path);
	r = image_spawn(argv, NULL, NULL, NULL);
	if (r != 0 || (r = read_file(head_path, DISKBOOT_HEAD, &head, &size)) < 0) {
		*ret_error = xasprintf("scenario error: %s: guest disk %s cannot be read (qemu-img "
				       "dd -f %s failed)",
				       g->disk_at, g->disk, fmt);
		return -EINVAL;
	}
	unlink(head_path);
	diskboot_probe(head, size, &p);
	if ((r = diskboot_choose(&p, g->firmware, ret, &why)) < 0)
		*ret_error =
		    xasprintf("scenario error: %s: guest disk %s %s", g->disk_at, g->disk, why);
	return r;
}

/* build-debian.sh's exit status when dpkg would not install the sensor's package */
#define BUILDER_PACKAGE_FAILED 3

/* An arm64 guest under TCG runs its shell several times slower than an amd64 one (its boot:
 * 36 s of guest time against 7 on a loaded host): a probe there gets the longest timeout too. */
static char *agent_conf(const struct sensor *s, const struct sensor_guest *g, bool arm64)
{
	struct sensor scaled = *s; /* only read, and only the timeout differs */

	if ((g->system || arm64) && scaled.probe_timeout_ms < SYSTEM_PROBE_TIMEOUT_MS)
		scaled.probe_timeout_ms = SYSTEM_PROBE_TIMEOUT_MS;
	return sensor_agent_conf(&scaled);
}

/* Runs that share a state dir at once (shards on one machine) build a sensor's image one after
 * the other: the sensor's build and the builder write the same folders. The lock goes with the
 * descriptor, so a killed build holds it no longer. */
static int lock_build(const char *state_dir, const char *name, int *ret_fd, char **ret_error)
{
	_cleanup_free_ char *path = xasprintf("%s/build/%s.lock", state_dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		int r = -errno;
		*ret_error = xasprintf("cannot lock %s: %s", path, strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int image_build(const struct sensor *s, const struct sensor_guest *extra, const char *kver,
		const char *kroot, const char *arch, const char *state_dir, struct image **ret,
		char **ret_error)
{
	bool arm64 = arch && streq(arch, "arm64");
	_cleanup_free_ char *agent =
	    arm64 ? xasprintf("%s-arm64", datadir_agent()) : xstrdup(datadir_agent());
	_cleanup_close_ int lock = -1;
	/* a kernel of its own: its own build and image folders, so that a matrix's cells do not
	 * rebuild each other's */
	_cleanup_free_ char *name =
	    xasprintf("%s%s%s%s%s", s->name, kroot ? "@" : "", kroot ? kver : "",
		      /* a system the sensor does not name itself (a scenario's or a rollout
		       * profile's): folders of its own, beside the sensor's initramfs */
		      extra && extra->system && !s->guest.system ? "@" : "",
		      extra && extra->system && !s->guest.system ? extra->system : "");
	_cleanup_free_ char *build_dir = xasprintf("%s/build/%s", state_dir, name);
	_cleanup_free_ char *log = xasprintf("%s/build/%s.log", state_dir, name);
	_cleanup_free_ char *out = xasprintf("%s/images/%s", state_dir, name);
	const char *disk_fmt = NULL;
	enum diskboot_how boot = DISKBOOT_KERNEL;
	_cleanup_free_ char *conf_path = xasprintf("%s/sensor.conf", build_dir);
	_cleanup_free_ char *conf = NULL;
	_cleanup_(sensor_guest_finish) struct sensor_guest guest = {0};
	const char *root;
	char **argv = NULL;
	int r;

	if ((r = mkdir_p(build_dir)) < 0 || (r = mkdir_p(out)) < 0) {
		*ret_error = xasprintf("cannot create %s: %s", build_dir, strerror(-r));
		return r;
	}
	if (arm64 && !kroot) {
		*ret_error = xstrdup("scenario error: an arm64 guest needs a kernel by name "
				     "(matrix: {kernel: [debian-12], arch: [arm64]})");
		return -EINVAL;
	}
	if (arm64 && access(agent, X_OK) < 0) {
		*ret_error = xasprintf("the arm64 guest agent %s was not built: install "
				       "gcc-aarch64-linux-gnu (.ci/setup does) and build again",
				       agent);
		return -ENOENT;
	}
	if (access(agent, X_OK) < 0) {
		*ret_error = xasprintf("faultline bug: guest agent %s missing (build with ninja -C "
				       "build, or install again)",
				       agent);
		return -ENOENT;
	}
	sensor_guest_merge(&s->guest, extra, &guest);
	if (arm64 && (guest.system || guest.disk)) {
		*ret_error = xstrdup("scenario error: arm64 guests are initramfs guests only; a "
				     "full system (guest: system: or disk:) is amd64");
		return -EOPNOTSUPP;
	}
	if (guest.disk && ((r = disk_format(guest.disk, guest.disk_at, &disk_fmt, ret_error)) < 0 ||
			   (r = disk_boot(&guest, disk_fmt, build_dir, &boot, ret_error)) < 0))
		return r;
	if (boot == DISKBOOT_UEFI && access(IMAGE_OVMF, R_OK) < 0) {
		*ret_error = xasprintf("guest firmware uefi needs OVMF (%s): install the package "
				       "ovmf (.ci/setup does)",
				       IMAGE_OVMF);
		return -ENOENT;
	}
	if (guest.disk) { /* the initramfs that boots it is not the sensor's own image */
		free(out);
		out = xasprintf("%s/images/%s@disk", state_dir, name);
		if ((r = mkdir_p(out)) < 0) {
			*ret_error = xasprintf("cannot create %s: %s", out, strerror(-r));
			return r;
		}
	}
	if (s->package && !guest.system && !guest.disk) {
		*ret_error =
		    xasprintf("sensor error: %s names a package; a package is installed in "
			      "a full system only: expected guest: {system: debian-12}",
			      s->name);
		return -EINVAL;
	}

	if ((r = lock_build(state_dir, name, &lock, ret_error)) < 0)
		return r;
	/* none whole: the host's paths, which the build and the builder then name as missing */
	root = kroot ? kroot : kernel_root(kver);
	unlink(log);
	r = run_sensor_build(s, root, kver, arm64 ? "arm64" : "amd64", build_dir, log, ret_error);
	if (r < 0)
		return r;
	conf = agent_conf(s, &guest, arm64);
	r = write_file_atomic(conf_path, conf, strlen(conf));
	if (r < 0) {
		*ret_error = xasprintf("cannot write %s: %s", conf_path, strerror(-r));
		return r;
	}
	argv = builder_argv(s, &guest, root, kver, arm64 ? "arm64" : "amd64", conf_path, out,
			    build_dir, state_dir);
	r = image_spawn(argv, NULL, NULL, log);
	free_argv(argv);
	if (r == BUILDER_PACKAGE_FAILED && guest.system && s->package) {
		_cleanup_free_ char *deb = expand_src(s, s->package, build_dir);
		*ret_error =
		    xasprintf("sensor error: the package of %s (%s) does not install on %s, "
			      "see %s",
			      s->name, deb, guest.system, log);
		return -EIO;
	}
	if (r != 0) {
		*ret_error = xasprintf("building the guest %s of %s failed, see %s",
				       guest.system ? guest.system : "image", s->name, log);
		return -EIO;
	}

	struct image *img = xzalloc(sizeof(*img));
	img->kver = xstrdup(kver);
	img->kernel = xasprintf("%s/vmlinuz", out);
	img->initrd = xasprintf("%s/initrd.img", out);
	img->cmdline = TAKE_PTR(guest.cmdline);
	img->arch = arm64 ? "arm64" : "amd64";
	img->build_dir = xstrdup(build_dir);
	if (arm64) { /* the virt machine's serial port is a PL011; the last console= wins */
		char *cl = xasprintf("console=ttyAMA0,115200%s%s", img->cmdline ? " " : "",
				     img->cmdline ? img->cmdline : "");
		free(img->cmdline);
		img->cmdline = cl;
	}
	if (guest.system) {
		/* the initramfs mounts /dev/vda itself; root= tells systemd what its root is */
		char *cl = xasprintf("root=/dev/vda rw%s%s", img->cmdline ? " " : "",
				     img->cmdline ? img->cmdline : "");
		free(img->cmdline);
		img->cmdline = cl;
		img->system = TAKE_PTR(guest.system);
		img->root_disk = xasprintf("%s/root.qcow2", out);
		img->root_format = "qcow2";
	} else if (guest.disk) {
		char *cl = xasprintf("root=/dev/vda rw%s%s", img->cmdline ? " " : "",
				     img->cmdline ? img->cmdline : "");
		free(img->cmdline);
		img->cmdline = cl;
		img->system = boot == DISKBOOT_KERNEL
				  ? xstrdup("disk")
				  : xasprintf("disk-%s", diskboot_how_name(boot));
		img->root_disk = TAKE_PTR(guest.disk);
		img->root_format = disk_fmt;
		img->firmware = boot == DISKBOOT_UEFI	? IMAGE_OVMF
				: boot == DISKBOOT_BIOS ? IMAGE_SEABIOS
							: NULL;
	}
	*ret = img;
	return 0;
}

struct image *image_free(struct image *img)
{
	if (img) {
		free(img->kver);
		free(img->kernel);
		free(img->initrd);
		free(img->cmdline);
		free(img->system);
		free(img->root_disk);
		free(img->kernel_name);
		free(img->build_dir);
		free(img);
	}
	return NULL;
}

char *image_host_file(const struct sensor *s, const struct image *img, const char *dst)
{
	for (size_t i = 0; img->build_dir && i < s->n_files; i++)
		if (streq(s->files[i].dst, dst))
			return expand_src(s, s->files[i].src, img->build_dir);
	return NULL;
}
