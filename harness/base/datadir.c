/* datadir.c — the data folder of the running binary, installed or in the build tree. */
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <unistd.h>

#include "config.h"
#include "datadir.h"
#include "util.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct {
	char *root, *sensors, *formats, *builder, *agent, *plugin;
} d;

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
		installed = xstrdup(FAULTLINE_DATA_ABS);
	else
		installed = xasprintf("%s/%s", dir, FAULTLINE_DATA_REL);
	probe = xasprintf("%s/guests/build-image.sh", installed);
	if (access(probe, R_OK) == 0)
		d.root = canonical(installed);
	else if (in_build)
		d.root = xstrdup(FAULTLINE_SOURCE_DIR);
	else /* not there: the errors that follow name where it was looked for */
		d.root = canonical(installed);
	d.root = env_or("FAULTLINE_DATA_DIR", d.root);

	/* $FAULTLINE_SENSORS_DIR adds folders ahead of this one (sensor_search_path()) */
	d.sensors = xasprintf("%s/guests/sensors", d.root);
	d.formats = env_or("FAULTLINE_FORMATS_DIR", xasprintf("%s/guests/formats", d.root));
	d.builder = xasprintf("%s/guests/build-image.sh", d.root);
	/* The agent is built, not a source: a data folder has it, the source tree does not. */
	d.agent = xasprintf("%s/guests/faultline-agent", d.root);
	if (access(d.agent, X_OK) < 0 && in_build) {
		free(d.agent);
		d.agent = xstrdup(FAULTLINE_BUILD_DIR "/guests/faultline-agent");
	}
	d.agent = env_or("FAULTLINE_AGENT", d.agent);
	d.plugin = xasprintf("%s/guests/flcov.so", d.root);
	if (access(d.plugin, R_OK) < 0 && in_build) {
		free(d.plugin);
		d.plugin = xstrdup(FAULTLINE_BUILD_DIR "/harness/fuzz/plugin/flcov.so");
	}
	d.plugin = env_or("FAULTLINE_COVERAGE_PLUGIN", d.plugin);
}

/* The paths, found on first use (by whichever thread comes first). */
static const typeof(d) *paths(void)
{
	pthread_once(&once, find_root);
	return &d;
}

const char *datadir_root(void)
{
	return paths()->root;
}

const char *datadir_sensors(void)
{
	return paths()->sensors;
}

const char *datadir_formats(void)
{
	return paths()->formats;
}

const char *datadir_image_builder(void)
{
	return paths()->builder;
}

const char *datadir_agent(void)
{
	return paths()->agent;
}

const char *datadir_coverage_plugin(void)
{
	return paths()->plugin;
}
