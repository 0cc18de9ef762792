/* vm-conn.c — a remote host's connections for long calls (see vm_conn_get in vm-private.h). */
#include "util.h"
#include "vm-private.h"

virConnectPtr vm_conn_get(struct vm_host *h)
{
	virConnectPtr c = NULL;

	if (vm_host_embedded(h))
		return h->conn;
	pthread_mutex_lock(&h->jobs_lock);
	while (!c && h->n_jobs > 0) {
		c = h->jobs[--h->n_jobs];
		if (virConnectIsAlive(c) != 1) /* the daemon went away since */
			virConnectClose(TAKE_PTR(c));
	}
	h->refs++;
	pthread_mutex_unlock(&h->jobs_lock);
	/* one that does not open (the host is going away) leaves the call to the main one, whose
	 * failure is reported as the host's */
	if (!c && !(c = virConnectOpen(h->uri))) {
		vm_host_unref(h);
		return h->conn;
	}
	return c;
}

void vm_conn_put(struct vm_host *h, virConnectPtr c)
{
	if (!c || c == h->conn)
		return;
	pthread_mutex_lock(&h->jobs_lock);
	if (h->refs > 1 && virConnectIsAlive(c) == 1) {
		h->jobs = xreallocarray(h->jobs, h->n_jobs + 1, sizeof(*h->jobs));
		h->jobs[h->n_jobs++] = TAKE_PTR(c);
	}
	pthread_mutex_unlock(&h->jobs_lock);
	if (c)
		virConnectClose(c);
	vm_host_unref(h);
}

void vm_host_unref(struct vm_host *h)
{
	bool last;

	pthread_mutex_lock(&h->jobs_lock);
	last = --h->refs == 0;
	pthread_mutex_unlock(&h->jobs_lock);
	if (!last)
		return;
	for (size_t i = 0; i < h->n_jobs; i++)
		virConnectClose(h->jobs[i]);
	free(h->jobs);
	pthread_mutex_destroy(&h->jobs_lock);
	free(h->uri);
	free(h->log_dir);
	free(h->run_dir);
	free(h);
}
