/* hosts.c — one host of the fleet, connected (see hosts.h). */
#include "hosts.h"

#include "upload.h"
#include "util.h"

/* The sensors' images as the host sees them: uploaded into its pool. */
static int upload_images(struct fleet_host *h, const struct fleet_sensor *sensors, size_t n,
			 char **ret_error)
{
	uint64_t start = now_ms();

	h->sensors = xcalloc(n, sizeof(*h->sensors));
	for (size_t i = 0; i < n; i++) {
		const struct image *src = sensors[i].image;
		struct image *img = xzalloc(sizeof(*img));
		uint64_t sent = 0;
		int r;

		h->sensors[i] = (struct fleet_sensor){.name = sensors[i].name, .image = img};
		img->cmdline = src->cmdline ? xstrdup(src->cmdline) : NULL;
		if ((r = upload_file(h->upload, src->kernel, "vmlinuz", &img->kernel, &sent,
				     ret_error)) < 0)
			return r;
		h->sent_bytes += sent;
		if ((r = upload_file(h->upload, src->initrd, "initrd.img", &img->initrd, &sent,
				     ret_error)) < 0)
			return r;
		h->sent_bytes += sent;
	}
	h->upload_ms = now_ms() - start;
	return 0;
}

int fleet_host_connect(struct fleet_host *h, const struct fleet_sensor *sensors, size_t n,
		       const char *work_dir, char **ret_error)
{
	int r;

	h->sent_bytes = h->upload_ms = 0;
	if (!h->vm && (r = vm_host_open(h->uri, &h->vm, ret_error)) < 0)
		return r;
	if (vm_host_embedded(h->vm)) {
		/* it shares our files: today's paths, unchanged */
		h->sensors = xmemdup(sensors, n * sizeof(*sensors));
		h->dir = xstrdup(work_dir);
		return 0;
	}
	/* guests of this controller from a connection that dropped (the daemon came back) */
	vm_host_reap_orphans(h->vm);
	r = upload_pool_open(h->vm, &h->upload, ret_error);
	if (r == 0)
		r = upload_images(h, sensors, n, ret_error);
	if (r == 0)
		h->dir = xstrdup(upload_pool_dir(h->upload));
	if (r < 0) {
		_cleanup_free_ char *why = *ret_error;
		*ret_error = xasprintf("%s: %s", h->uri, why);
		fleet_host_disconnect(h, n);
	}
	return r;
}

void fleet_host_disconnect(struct fleet_host *h, size_t n_sensors)
{
	if (h->upload)
		for (size_t i = 0; h->sensors && i < n_sensors; i++)
			image_free((struct image *)h->sensors[i].image);
	free(TAKE_PTR(h->sensors));
	free(TAKE_PTR(h->dir));
	h->upload = upload_pool_free(h->upload);
	h->vm = vm_host_close(h->vm);
}

unsigned fleet_host_slots(struct fleet_host *h)
{
	unsigned cpus;

	if (h->slots)
		return h->slots;
	return h->vm && vm_host_cpus(h->vm, &cpus) == 0 ? cpus : 1;
}
