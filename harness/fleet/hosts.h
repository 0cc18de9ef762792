/* hosts.h — connect one host of the fleet (struct fleet_host, fleet.h): open its libvirt
 * connection, and for a host other than the embedded driver, find or make faultline's storage
 * pool there and upload the sensors' guest images into it (once per content: upload.h), so that
 * the host needs no file system shared with the controller.
 *
 * Ownership: a connected host owns its connection, pool and image copies until
 * fleet_host_disconnect(); uri is the caller's.
 */
#pragma once

#include "fleet.h"

/* Connect h (h->vm may already be an open connection to adopt, e.g. the embedded driver),
 * destroying what an earlier connection of this controller left on it. On failure h is left
 * disconnected and *ret_error says why (caller frees). */
int fleet_host_connect(struct fleet_host *h, const struct fleet_sensor *sensors, size_t n,
		       const char *work_dir, char **ret_error);
void fleet_host_disconnect(struct fleet_host *h);
/* The images of sensors as connected remote host h sees them, uploaded into its pool unless
 * there already: a copy of sensors (caller frees with fleet_host_images_free()), *ret_sent the
 * bytes sent (may be NULL). */
int fleet_host_images(struct fleet_host *h, const struct fleet_sensor *sensors, size_t n,
		      struct fleet_sensor **ret, uint64_t *ret_sent, char **ret_error);
void fleet_host_images_free(struct fleet_sensor *fs, size_t n);
/* The host's slots: h->slots, else its CPU count (virNodeGetInfo), else 1. */
unsigned fleet_host_slots(struct fleet_host *h);
