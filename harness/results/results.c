/* results.c — append-only, fsync'd JSON lines (see results.h). */
#include "results.h"

#include <fcntl.h>
#include <pthread.h>
#include <time.h>

#include "util.h"

struct results {
	char *dir;
	int fd;
	pthread_mutex_t lock;
};

/* RUN_DIR/NAME opened for appending. */
static int open_log(const char *run_dir, const char *name, struct results **ret)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", run_dir, name);
	struct results *r;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = xzalloc(sizeof(*r));
	r->dir = xstrdup(run_dir);
	r->fd = fd;
	pthread_mutex_init(&r->lock, NULL);
	*ret = r;
	return 0;
}

int results_open(const char *run_dir, struct results **ret)
{
	_cleanup_free_ char *inputs = xasprintf("%s/inputs", run_dir);
	_cleanup_free_ char *consoles = xasprintf("%s/consoles", run_dir);
	int k;

	if ((k = mkdir_p(inputs)) < 0 || (k = mkdir_p(consoles)) < 0)
		return k;
	return open_log(run_dir, "results.jsonl", ret);
}

int results_open_log(const char *run_dir, const char *name, struct results **ret)
{
	int k = mkdir_p(run_dir);

	return k < 0 ? k : open_log(run_dir, name, ret);
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

int results_append(struct results *r, struct json_object *record)
{
	const char *s = json_object_to_json_string_ext(record, JSON_C_TO_STRING_PLAIN);
	_cleanup_free_ char *line = xasprintf("%s\n", s);
	size_t len = strlen(line), off = 0;
	int ret = 0;

	/* One write() per record on an O_APPEND fd: a crash never interleaves two records. */
	pthread_mutex_lock(&r->lock);
	while (off < len) {
		ssize_t n = write(r->fd, line + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (ret == 0 && fsync(r->fd) < 0)
		ret = -errno;
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int results_write_meta(struct results *r, const struct run_meta *meta)
{
	_cleanup_free_ char *path = xasprintf("%s/run.json", r->dir);
	json_object *o = run_meta_to_json(meta);
	_cleanup_free_ char *text =
	    xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));

	json_object_put(o);
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
