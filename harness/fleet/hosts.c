/* hosts.c — one host of the fleet, connected (see hosts.h). */
#include "hosts.h"

#include "upload.h"
#include "util.h"

void fleet_host_images_free(struct fleet_sensor *fs, size_t n)
{
	for (size_t i = 0; fs && i < n; i++)
		image_free((struct image *)fs[i].image);
	free(fs);
}

int fleet_host_images(struct fleet_host *h, const struct fleet_sensor *sensors, size_t n,
		      struct fleet_sensor **ret, uint64_t *ret_sent, char **ret_error)
{
	struct fleet_sensor *fs = xcalloc(n, sizeof(*fs));
	uint64_t sent = 0;
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		const struct image *src = sensors[i].image;
		struct image *img = xzalloc(sizeof(*img));
		uint64_t k = 0, i2 = 0;

		fs[i] = sensors[i];
		fs[i].image = img;
		img->cmdline = src->cmdline ? xstrdup(src->cmdline) : NULL;
		/* not sent: the pool refuses full systems on remote hosts (pool.c) */
		img->root_disk = src->root_disk ? xstrdup(src->root_disk) : NULL;
		img->root_format = src->root_format;
		r = upload_file(h->upload, src->kernel, "vmlinuz", &img->kernel, &k, ret_error);
		if (r == 0)
			r = upload_file(h->upload, src->initrd, "initrd.img", &img->initrd, &i2,
					ret_error);
		sent += k + i2;
	}
	if (r < 0) {
		fleet_host_images_free(fs, n);
		return r;
	}
	*ret = fs;
	if (ret_sent)
		*ret_sent = sent;
	return 0;
}

/* The sensors' images as the host sees them: uploaded into its pool. */
static int upload_images(struct fleet_host *h, const struct fleet_sensor *sensors, size_t n,
			 char **ret_error)
{
	uint64_t start = now_ms();
	int r = fleet_host_images(h, sensors, n, &h->sensors, &h->sent_bytes, ret_error);

	if (r == 0)
		h->n_sensors = n;
	h->upload_ms = now_ms() - start;
	return r;
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
		h->n_sensors = n;
		h->dir = xstrdup(work_dir);
		return 0;
	}
	/* guests of this controller from a connection that dropped (the daemon came back) */
	vm_host_reap_orphans(h->vm);
	r = upload_store_open(h->vm, &h->upload, ret_error);
	if (r == 0)
		r = upload_images(h, sensors, n, ret_error);
	if (r == 0)
		h->dir = xstrdup(upload_store_dir(h->upload));
	if (r < 0) {
		_cleanup_free_ char *why = *ret_error;
		*ret_error = xasprintf("%s: %s", h->uri, why);
		fleet_host_disconnect(h);
	}
	return r;
}

void fleet_host_disconnect(struct fleet_host *h)
{
	if (h->upload)
		fleet_host_images_free(TAKE_PTR(h->sensors), h->n_sensors);
	free(TAKE_PTR(h->sensors));
	h->n_sensors = 0;
	free(TAKE_PTR(h->dir));
	h->upload = upload_store_free(h->upload);
	h->vm = vm_host_close(h->vm);
}

unsigned fleet_host_slots(struct fleet_host *h)
{
	unsigned cpus;

	if (h->slots)
		return h->slots;
	return h->vm && vm_host_cpus(h->vm, &cpus) == 0 ? cpus : 1;
}
