/* plan.c — see plan.h. */
#include "plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define LCG_MOD 2147483648ull /* 2^31: the guest's shell does the same sums in 64 bits */

/* The guest's generator, one step; what workload scripts compute with $(( )). */
static uint32_t lcg(uint32_t x)
{
	return (uint32_t)(((uint64_t)x * 1103515245ull + 12345ull) % LCG_MOD);
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int rollout_ring_sizes(const struct rollspec *spec, unsigned fleet, size_t *sizes)
{
	unsigned long long sum = 0;

	for (size_t r = 0; r < spec->n_rings; r++) {
		sizes[r] =
		    spec->rings[r].rest ? 0 : rollspec_ring_want(&spec->rings[r].size, fleet);
		sum += sizes[r];
	}
	if (sum > fleet)
		return -EINVAL;
	if (spec->n_rings && spec->rings[spec->n_rings - 1].rest)
		sizes[spec->n_rings - 1] = fleet - (size_t)sum;
	else if (sum < fleet)
		return -EINVAL;
	return 0;
}

void rollout_profile_counts(const struct rollspec *spec, unsigned fleet, size_t *counts)
{
	uint64_t total = 0, given = 0;

	for (size_t i = 0; i < spec->n_profiles; i++)
		total += spec->profiles[i].weight;
	for (size_t i = 0; i < spec->n_profiles; i++) {
		counts[i] =
		    total ? (size_t)((uint64_t)fleet * spec->profiles[i].weight / total) : 0;
		given += counts[i];
	}
	/* what the floors left, one each to the largest remainders */
	while (total && given < fleet) {
		size_t best = 0;
		uint64_t best_rem = 0;
		bool found = false;

		for (size_t i = 0; i < spec->n_profiles; i++) {
			uint64_t exact = (uint64_t)fleet * spec->profiles[i].weight;
			uint64_t rem = exact - (uint64_t)counts[i] * total;
			if (rem > 0 && (!found || rem > best_rem) &&
			    (uint64_t)counts[i] * total < exact) {
				best = i, best_rem = rem, found = true;
			}
		}
		if (!found)
			break;
		counts[best]++;
		given++;
	}
}

int rollout_plan_new(const struct rollspec *spec, unsigned fleet, uint64_t seed,
		     struct rollout_plan **ret)
{
	struct rollout_plan *p;
	_cleanup_free_ size_t *sizes = xcalloc(spec->n_rings + 1, sizeof(size_t));
	uint64_t s = seed;
	size_t k = 0;

	if (!fleet)
		fleet = spec->fleet;
	if (!fleet || !spec->n_profiles || rollout_ring_sizes(spec, fleet, sizes) < 0)
		return -EINVAL;
	p = xzalloc(sizeof(*p));
	p->n_machines = fleet;
	p->machines = xcalloc(fleet, sizeof(*p->machines));
	p->per_profile = xcalloc(spec->n_profiles, sizeof(size_t));
	rollout_profile_counts(spec, fleet, p->per_profile);
	for (size_t i = 0; i < spec->n_profiles; i++)
		for (size_t n = 0; n < p->per_profile[i]; n++)
			p->machines[k++].profile = i;
	/* Fisher-Yates with the seed */
	for (size_t i = fleet - 1; i > 0; i--) {
		size_t j = (size_t)(splitmix(&s) % (i + 1));
		size_t t = p->machines[i].profile;
		p->machines[i].profile = p->machines[j].profile;
		p->machines[j].profile = t;
	}
	p->n_rings = spec->n_rings;
	p->ring_first = xcalloc(spec->n_rings + 1, sizeof(size_t));
	for (size_t r = 0; r < spec->n_rings; r++)
		p->ring_first[r + 1] = p->ring_first[r] + sizes[r];
	for (size_t i = 0, r = 0; i < fleet; i++) {
		struct rollout_machine *m = &p->machines[i];

		while (i >= p->ring_first[r + 1])
			r++;
		m->index = (unsigned)i;
		m->ring = r;
		m->jitter = rollout_jitter_seed(seed, (unsigned)i + 1);
		snprintf(m->id, sizeof(m->id), "%s-%04u", spec->profiles[m->profile].name,
			 (unsigned)i + 1);
	}
	*ret = p;
	return 0;
}

struct rollout_plan *rollout_plan_free(struct rollout_plan *p)
{
	if (p) {
		free(p->machines);
		free(p->ring_first);
		free(p->per_profile);
		free(p);
	}
	return NULL;
}

size_t rollout_gate_allowed(const struct rollspec_ring *g, size_t n)
{
	if (!g->max_down.percent)
		return (size_t)g->max_down.value;
	/* a hair of slack so that 10% of 30 is 3, not 2.9999 */
	return (size_t)(g->max_down.value * (double)n / 100.0 + 1e-9);
}

bool rollout_gate_passes(const struct rollspec_ring *g, size_t n, size_t down)
{
	return !g->gate || down <= rollout_gate_allowed(g, n);
}

uint32_t rollout_jitter_seed(uint64_t seed, unsigned n)
{
	return lcg((uint32_t)((seed % LCG_MOD + (uint64_t)n * 7919u) % LCG_MOD));
}

size_t rollout_event_times(const struct rollspec_profile *p, uint32_t j, uint64_t *times,
			   size_t max)
{
	size_t k = 0;

	for (size_t e = 0; e < p->n_events; e++)
		for (unsigned r = 0; r < p->events[e].repeat; r++) {
			const struct rollspec_event *ev = &p->events[e];
			j = lcg(j);
			if (k < max)
				times[k] = ev->at_ms + (uint64_t)r * ev->every_ms +
					   j % (ev->jitter_ms + 1);
			k++;
		}
	return k < max ? k : max;
}

/* One profile's case in the script: make its programs, then schedule every event. */
static void script_profile(FILE *f, const struct rollspec_profile *p)
{
	fprintf(f, "%s)\n", p->name);
	for (size_t e = 0; e < p->n_events; e++)
		if (p->events[e].kind == ROLLSPEC_EXEC)
			fprintf(f, "\tprog %s\n", p->events[e].what);
	for (size_t e = 0; e < p->n_events; e++) {
		const struct rollspec_event *ev = &p->events[e];
		fprintf(f, "\tev %" PRIu64 " %" PRIu64 " %" PRIu64 " %u %s '%s'\n", ev->at_ms,
			ev->jitter_ms, ev->every_ms, ev->repeat,
			ev->kind == ROLLSPEC_EXEC ? "exec" : "open", ev->what);
	}
	fprintf(f, "\t;;\n");
}

/* Does profile p run on sensor si, as written or in a variant? */
static bool runs_on(const struct rollspec *spec, size_t p, size_t si)
{
	if (spec->profiles[p].sensor == si)
		return true;
	for (size_t v = 0; v < spec->n_variants; v++)
		if (spec->variants[v].sensor[p] == si)
			return true;
	return false;
}

char *rollout_workload_script(const struct rollspec *spec, size_t si, uint64_t seed)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		abort();
	fprintf(f,
		"#!/bin/sh\n"
		"# faultline rollout workload (generated by plan.c, rollout_workload_script): the\n"
		"# machine's profile is on the command line, its number in the case mark; the\n"
		"# jitter is the host's generator (rollout_event_times), so the host knows the "
		"times.\n"
		"profile=\n"
		"for w in $(cat /proc/cmdline); do\n"
		"\tcase $w in faultline.profile=*) profile=${w#*=} ;; esac\n"
		"done\n"
		"line=$(dmesg | grep 'faultline: case ' | tail -n 1)\n"
		"id=${line##*faultline: case }\n"
		"id=${id%%%%: delivering*}\n"
		"n=$(expr \"${id##*-}\" + 0 2>/dev/null) || n=0\n"
		"x=$(( (%llu + n * 7919) %% %llu ))\n"
		"x=$(( (x * 1103515245 + 12345) %% %llu ))\n"
		"d=/run/faultline-workload\n"
		"mkdir -p $d\n"
		"prog() { printf '#!/bin/sh\\nexit 0\\n' > $d/$1; chmod +x $d/$1; }\n"
		"# ev AT JITTER EVERY REPEAT exec|open WHAT\n"
		"ev() {\n"
		"\tr=0\n"
		"\twhile [ $r -lt $4 ]; do\n"
		"\t\tx=$(( (x * 1103515245 + 12345) %% %llu ))\n"
		"\t\tt=$(( $1 + r * $3 + x %% ($2 + 1) ))\n"
		"\t\tif [ $5 = exec ]; then\n"
		"\t\t\t(usleep $((t * 1000)); echo \"workload: exec $6 at ${t}ms\"; $d/$6) &\n"
		"\t\telse\n"
		"\t\t\t(usleep $((t * 1000)); echo \"workload: open $6 at ${t}ms\";"
		" [ -e \"$6\" ] || : > \"$6\"; exec 3<>\"$6\") &\n"
		"\t\tfi\n"
		"\t\tr=$((r + 1))\n"
		"\tdone\n"
		"}\n"
		"echo \"workload: profile ${profile:-?} machine $n\"\n"
		"case $profile in\n",
		(unsigned long long)(seed % LCG_MOD), LCG_MOD, LCG_MOD, LCG_MOD);
	for (size_t i = 0; i < spec->n_profiles; i++)
		if (runs_on(spec, i, si))
			script_profile(f, &spec->profiles[i]);
	fprintf(f, "*) echo \"workload: no profile '$profile' here\" ;;\n"
		   "esac\n"
		   "wait\n");
	fclose(f);
	return buf;
}
