/* reaper.c — kill a dead controller's guests (see reaper.h). */
#include "reaper.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>

#include "util.h"

/* Does /proc/PID/cmdline hold "guest=fl-CONTROLLER-" (QEMU's -name guest=NAME,...)? */
static bool is_our_guest(const char *pid, const char *needle)
{
	_cleanup_free_ char *path = xasprintf("/proc/%s/cmdline", pid);
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;

	if (read_file(path, 1 << 20, &data, &size) < 0)
		return false;
	return memmem(data, size, needle, strlen(needle)) != NULL;
}

static void kill_guests(pid_t controller)
{
	_cleanup_free_ char *needle = xasprintf("guest=fl-%d-", (int)controller);
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9' &&
		    is_our_guest(de->d_name, needle))
			kill((pid_t)atoi(de->d_name), SIGKILL);
	closedir(d);
}

/* A controller that ended cleanly removed it already: then this finds nothing. */
static void remove_work_dir(const char *dir)
{
	DIR *d;
	struct dirent *de;

	if (!dir || !(d = opendir(dir)))
		return;
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(dir);
}

static void guard_controller(int fd, pid_t controller, const char *work_dir)
{
	char c;

	/* the terminal's Ctrl-C is for the controller, which cleans up itself */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	prctl(PR_SET_NAME, "faultline-reap");
	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	/* end of file: the controller is gone, one way or another */
	kill_guests(controller);
	remove_work_dir(work_dir);
	_exit(0);
}

int reaper_start(const char *work_dir)
{
	int p[2];
	pid_t controller = getpid(), pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		close(p[1]);
		guard_controller(p[0], controller, work_dir);
	}
	/* the controller keeps only the write end, open until it exits */
	close(p[0]);
	return 0;
}
