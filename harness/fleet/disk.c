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

int disk_make(const char *path, char **ret_error)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
	int fd, status;
	pid_t pid;

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
	pid = fork();
	if (pid < 0) {
		unlink(tmp);
		*ret_error = xasprintf("host error: cannot fork mkfs.ext4: %s", strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		/* no lazy init: the guest should not spend its boots zeroing inode tables */
		execlp("mkfs.ext4", "mkfs.ext4", "-q", "-F", "-L", DISK_LABEL, "-E",
		       "lazy_itable_init=0,lazy_journal_init=0", tmp, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		unlink(tmp);
		*ret_error = xasprintf("host error: mkfs.ext4 %s failed (status %d%s)", tmp,
				       WIFEXITED(status) ? WEXITSTATUS(status) : -1,
				       WIFEXITED(status) && WEXITSTATUS(status) == 127
					   ? ": is e2fsprogs installed?"
					   : "");
		return -EIO;
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		*ret_error = xasprintf("host error: cannot rename %s: %s", tmp, strerror(e));
		return -e;
	}
	return 0;
}

/* qemu-img create -f qcow2 OPTS... PATH [SIZE], through PATH.tmp renamed on success, made
 * readable by QEMU. what names the file in the error ("an overlay on BASE"). */
static int qemu_img_create(const char *const opts[5], const char *size, const char *path,
			   const char *what, char **ret_error)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
	const char *argv[16] = {"qemu-img", "create", "-q", "-f", "qcow2"};
	size_t n = 5;
	int status, fd;
	pid_t pid;

	for (size_t i = 0; opts[i]; i++)
		argv[n++] = opts[i];
	argv[n++] = tmp;
	argv[n++] = size;
	pid = fork();
	if (pid < 0) {
		*ret_error = xasprintf("host error: cannot fork qemu-img: %s", strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		execvp("qemu-img", (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		unlink(tmp);
		*ret_error = xasprintf("host error: qemu-img create of %s failed (status %d%s)",
				       what, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
				       WIFEXITED(status) && WEXITSTATUS(status) == 127
					   ? ": is qemu-utils installed?"
					   : "");
		return -EIO;
	}
	fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		share_with_qemu(fd);
		close(fd);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		*ret_error = xasprintf("host error: cannot rename %s: %s", tmp, strerror(e));
		return -e;
	}
	return 0;
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
