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
void fleet_host_disconnect(struct fleet_host *h, size_t n_sensors);
/* The host's slots: h->slots, else its CPU count (virNodeGetInfo), else 1. */
unsigned fleet_host_slots(struct fleet_host *h);
