/* datadir.c — the data folder of the running binary, installed or in the build tree. */
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <unistd.h>

#include "config.h"
#include "datadir.h"
#include "util.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char *root, *sensors, *formats, *builder, *agent;

/* Whether PATH is DIR or below it, a whole path component at a time. */
static bool path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static char *canonical(const char *p)
{
	char *r = realpath(p, NULL);
	return r ? r : xstrdup(p);
}

/* The folder of the running binary, resolved; NULL without /proc. */
static char *exe_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	return xstrdup(dirname(exe));
}

static char *env_or(const char *name, char *fallback)
{
	const char *e = getenv(name);

	if (e && *e) {
		free(fallback);
		return xstrdup(e);
	}
	return fallback;
}

static void find_root(void)
{
	_cleanup_free_ char *dir = exe_dir(), *build = canonical(FAULTLINE_BUILD_DIR);
	_cleanup_free_ char *installed = NULL, *probe = NULL;
	bool in_build = dir && path_within(dir, build);

	/* Relative to the binary first: a copy installed (or staged) anywhere finds its own data,
	 * even below the build dir. The configured prefix is the fallback without /proc. */
	if (!dir || FAULTLINE_DATA_REL[0] == '/')
		installed = xstrdup(dir ? FAULTLINE_DATA_REL : FAULTLINE_DATA_ABS);
	else
		installed = xasprintf("%s/%s", dir, FAULTLINE_DATA_REL);
	probe = xasprintf("%s/guests/build-image.sh", installed);
	if (access(probe, R_OK) == 0)
		root = canonical(installed);
	else if (in_build)
		root = xstrdup(FAULTLINE_SOURCE_DIR);
	else /* not there: the errors that follow name where it was looked for */
		root = canonical(installed);
	root = env_or("FAULTLINE_DATA_DIR", root);

	sensors = env_or("FAULTLINE_SENSORS_DIR", xasprintf("%s/guests/sensors", root));
	formats = env_or("FAULTLINE_FORMATS_DIR", xasprintf("%s/guests/formats", root));
	builder = xasprintf("%s/guests/build-image.sh", root);
	/* The agent is built, not a source: a data folder has it, the source tree does not. */
	agent = xasprintf("%s/guests/faultline-agent", root);
	if (access(agent, X_OK) < 0 && in_build) {
		free(agent);
		agent = xstrdup(FAULTLINE_BUILD_DIR "/guests/faultline-agent");
	}
	agent = env_or("FAULTLINE_AGENT", agent);
}

const char *datadir_root(void)
{
	pthread_once(&once, find_root);
	return root;
}

const char *datadir_sensors(void)
{
	pthread_once(&once, find_root);
	return sensors;
}

const char *datadir_formats(void)
{
	pthread_once(&once, find_root);
	return formats;
}

const char *datadir_image_builder(void)
{
	pthread_once(&once, find_root);
	return builder;
}

const char *datadir_agent(void)
{
	pthread_once(&once, find_root);
	return agent;
}
