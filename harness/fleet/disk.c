/* disk.c — see disk.h. */
#include "disk.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "util.h"

/* QEMU opens the partition as the user libvirt runs it as (libvirt-qemu for the embedded
 * driver, which is told not to relabel files: vm.c): that group may read and write it. Where
 * there is no such group (not root, another libvirt), the file stays the caller's own. */
static void share_with_qemu(int fd)
{
	struct group *g = getgrnam("libvirt-qemu");

	if (g && fchown(fd, (uid_t)-1, g->gr_gid) == 0)
		fchmod(fd, 0660);
}

static off_t disk_size(void)
{
	const char *env = getenv("FAULTLINE_DISK_MIB");
	unsigned long mib = env ? strtoul(env, NULL, 10) : 0;

	return (off_t)(mib >= 3 && mib <= 1024 ? mib : DISK_SIZE_MIB) << 20;
}

/* Run argv to its end, stdin and stdout on /dev/null (its errors go to the controller's stderr).
 * what names it in *ret_error: "host error: WHAT failed (status N)", with a hint at package when
 * it was not found. Returns 0, -EIO when it failed, or -errno when it could not be started. */
static int run_tool(const char *const argv[], const char *what, const char *package,
		    char **ret_error)
{
	int status, code;
	pid_t pid = fork();

	if (pid < 0) {
		int e = errno;

		*ret_error = xasprintf("host error: cannot fork %s: %s", argv[0], strerror(e));
		return -e;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (code != 0) {
		_cleanup_free_ char *hint =
		    code == 127 ? xasprintf(": is %s installed?", package) : xstrdup("");

		*ret_error = xasprintf("host error: %s failed (status %d%s)", what, code, hint);
		return -EIO;
	}
	return 0;
}

/* tmp renamed to path; tmp removed when that fails. */
static int into_place(const char *tmp, const char *path, char **ret_error)
{
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		*ret_error = xasprintf("host error: cannot rename %s: %s", tmp, strerror(e));
		return -e;
	}
	return 0;
}

int disk_make(const char *path, char **ret_error)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
	_cleanup_free_ char *what = xasprintf("mkfs.ext4 %s", tmp);
	/* no lazy init: the guest should not spend its boots zeroing inode tables */
	const char *const argv[] = {"mkfs.ext4",
				    "-q",
				    "-F",
				    "-L",
				    DISK_LABEL,
				    "-E",
				    "lazy_itable_init=0,lazy_journal_init=0",
				    tmp,
				    NULL};
	int fd, r;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, disk_size()) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		*ret_error = xasprintf("host error: cannot create %s: %s", tmp, strerror(e));
		return -e;
	}
	share_with_qemu(fd);
	close(fd);
	r = run_tool(argv, what, "e2fsprogs", ret_error);
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	return into_place(tmp, path, ret_error);
}

/* qemu-img create -f qcow2 OPTS... PATH [SIZE], through PATH.tmp renamed on success, made
 * readable by QEMU. what names the file in the error ("an overlay on BASE"). */
static int qemu_img_create(const char *const opts[5], const char *size, const char *path,
			   const char *what, char **ret_error)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
	_cleanup_free_ char *failed = xasprintf("qemu-img create of %s", what);
	const char *argv[16] = {"qemu-img", "create", "-q", "-f", "qcow2"};
	size_t n = 5;
	int fd, r;

	for (size_t i = 0; opts[i]; i++)
		argv[n++] = opts[i];
	argv[n++] = tmp;
	argv[n++] = size;
	r = run_tool(argv, failed, "qemu-utils", ret_error);
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		share_with_qemu(fd);
		close(fd);
	}
	return into_place(tmp, path, ret_error);
}

int disk_overlay(const char *base, const char *base_format, const char *path, char **ret_error)
{
	const char *const opts[5] = {"-F", base_format, "-b", base, NULL};
	_cleanup_free_ char *what = xasprintf("an overlay on %s", base);

	return qemu_img_create(opts, NULL, path, what, ret_error);
}

/* Copy the data segments of in to out (which is as long as in, all holes). */
static int copy_data(int in, int out, off_t size)
{
	off_t pos = 0;

	while (pos < size) {
		off_t data = lseek(in, pos, SEEK_DATA), hole;

		if (data < 0)
			return errno == ENXIO ? 0 : -errno;
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		for (off_t at = data; at < hole;) {
			loff_t from = at, to = at;
			ssize_t n = copy_file_range(in, &from, out, &to, (size_t)(hole - at), 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return n < 0 ? -errno : -EIO;
			at += n;
		}
		pos = hole;
	}
	return 0;
}

int disk_copy(const char *src, const char *dst)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", dst);
	_cleanup_close_ int in = -1, out = -1;
	struct stat st;
	int r;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0)
		return -errno;
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		return -errno;
	share_with_qemu(out);
	r = ftruncate(out, st.st_size) < 0 ? -errno : copy_data(in, out, st.st_size);
	if (r == 0 && rename(tmp, dst) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int disk_refill(const char *src, const char *dst)
{
	_cleanup_close_ int in = -1, out = -1;
	struct stat st;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CLOEXEC);
	if (out < 0)
		return -errno;
	/* emptied first: the holes of src are holes (zeros) again in dst */
	if (ftruncate(out, 0) < 0 || ftruncate(out, st.st_size) < 0)
		return -errno;
	return copy_data(in, out, st.st_size);
}

int disk_state_file(const char *path, char **ret_error)
{
	const char *const opts[5] = {NULL};

	unlink(path);
	return qemu_img_create(opts, "1M", path, path, ret_error);
}
