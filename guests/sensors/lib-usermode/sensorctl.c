/* sensorctl — the client of a user-mode sensor's control socket (ctl.h).
 *
 *   sensorctl [--wait SEC] [--timeout SEC] [--no-answer-status N] SOCKET COMMAND
 *
 * Sends COMMAND ("reload", "stats", ...) and prints the one-line reply. Exit status: 0 for a
 * reply starting "ok", 1 for "rejected" (the sensor refused the update: the reason is printed),
 * 4 for any other reply, and --no-answer-status (default 3) when the sensor could not be reached
 * or closed the connection without replying: it died or hung (its supervisor's watchdog then
 * kills it) while handling the command. A deliver step passes --no-answer-status 0: the update
 * is in place either way, and whether the sensor survived it is for its supervisor's log to say,
 * not for the delivery to guess. --wait retries the connection for that long (a daemon that is
 * starting); --timeout bounds the wait for the reply (default 10 s). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"wait", required_argument, NULL, 'w'},
					   {"timeout", required_argument, NULL, 't'},
					   {"no-answer-status", required_argument, NULL, 'n'},
					   {0}};
	double wait_s = 0, timeout_s = 10;
	int no_answer = 3, c, fd;
	char reply[2048];
	size_t used = 0;
	long long deadline;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'w')
			wait_s = atof(optarg);
		else if (c == 't')
			timeout_s = atof(optarg);
		else if (c == 'n')
			no_answer = atoi(optarg);
		else
			return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "Usage: sensorctl [--wait SEC] [--timeout SEC] "
				"[--no-answer-status N] SOCKET COMMAND\n");
		return 2;
	}
	deadline = mono_ms() + (long long)(wait_s * 1000);
	while ((fd = connect_to(argv[optind])) < 0) {
		if (mono_ms() >= deadline) {
			printf("sensorctl: no answer from %s: %s\n", argv[optind], strerror(-fd));
			return no_answer;
		}
		usleep(50 * 1000);
	}
	dprintf(fd, "%s\n", argv[optind + 1]);
	deadline = mono_ms() + (long long)(timeout_s * 1000);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long long left = deadline - mono_ms();
		ssize_t n;

		if (left <= 0) {
			printf("sensorctl: no answer to '%s' in %.1f s\n", argv[optind + 1],
			       timeout_s);
			return no_answer;
		}
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = read(fd, reply + used, sizeof(reply) - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (used += (size_t)n) == sizeof(reply) - 1)
			break;
	}
	reply[used] = 0;
	if (used == 0) {
		printf("sensorctl: no answer to '%s': the sensor closed the connection (died?)\n",
		       argv[optind + 1]);
		return no_answer;
	}
	fputs(reply, stdout);
	if (reply[used - 1] != '\n')
		putchar('\n');
	if (strncmp(reply, "ok", 2) == 0)
		return 0;
	if (strncmp(reply, "rejected", 8) == 0)
		return 1;
	return 4;
}
