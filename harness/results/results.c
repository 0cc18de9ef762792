/* results.c — append-only, fsync'd JSON lines (see results.h). */
#include "results.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#include "util.h"

struct results {
	char *dir;
	int fd;
	pthread_mutex_t lock;
};

int results_open(const char *run_dir, struct results **ret)
{
	_cleanup_free_ char *inputs = xasprintf("%s/inputs", run_dir);
	_cleanup_free_ char *consoles = xasprintf("%s/consoles", run_dir);
	_cleanup_free_ char *path = xasprintf("%s/results.jsonl", run_dir);
	struct results *r;
	int fd, k;

	if ((k = mkdir_p(inputs)) < 0 || (k = mkdir_p(consoles)) < 0)
		return k;
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = xzalloc(sizeof(*r));
	r->dir = xstrdup(run_dir);
	r->fd = fd;
	pthread_mutex_init(&r->lock, NULL);
	*ret = r;
	return 0;
}

struct results *results_close(struct results *r)
{
	if (r) {
		close(r->fd);
		pthread_mutex_destroy(&r->lock);
		free(r->dir);
		free(r);
	}
	return NULL;
}

/* Write all of line at the end; on failure cut the file back to `good` bytes, so that a torn
 * half line never glues the next record onto itself. */
static int append_line(int fd, const char *line, size_t len, off_t good)
{
	size_t off = 0;
	int ret = 0;

	while (off < len) {
		ssize_t n = write(fd, line + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	if (ret < 0 && ftruncate(fd, good) < 0)
		return -errno;
	return ret;
}

int results_append(struct results *r, struct json_object *record)
{
	const char *s = json_object_to_json_string_ext(record, JSON_C_TO_STRING_PLAIN);
	_cleanup_free_ char *line = NULL;
	struct stat st;
	bool torn;
	char last;
	int ret;

	/* One write() per record on an O_APPEND fd: a crash never interleaves two records. What
	 * was there before it is the last good length. */
	pthread_mutex_lock(&r->lock);
	if (fstat(r->fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	/* a line left without its end (a cut that failed, a crash): this record starts anew */
	torn = st.st_size > 0 && pread(r->fd, &last, 1, st.st_size - 1) == 1 && last != '\n';
	line = xasprintf("%s%s\n", torn ? "\n" : "", s);
	ret = append_line(r->fd, line, strlen(line), st.st_size);
out:
	pthread_mutex_unlock(&r->lock);
	return ret;
}

bool results_exists(const char *run_dir)
{
	_cleanup_free_ char *jsonl = xasprintf("%s/results.jsonl", run_dir);
	_cleanup_free_ char *meta = xasprintf("%s/run.json", run_dir);

	return access(jsonl, F_OK) == 0 || access(meta, F_OK) == 0;
}

int results_write_meta(struct results *r, struct json_object *meta)
{
	_cleanup_free_ char *path = xasprintf("%s/run.json", r->dir);
	const char *s = json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PRETTY);
	_cleanup_free_ char *text = xasprintf("%s\n", s);

	return write_file_atomic(path, text, strlen(text));
}

void results_timestamp(char buf[32])
{
	results_timestamp_ago(buf, 0);
}

void results_timestamp_ago(char buf[32], uint64_t ago_ms)
{
	time_t t = time(NULL) - (time_t)(ago_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
