/* reaper.h — no guest outlives its controller, however the controller ends.
 *
 * On a clean exit or Ctrl-C the fleet destroys its guests itself. A controller killed with
 * SIGKILL (or crashing) cannot, and QEMU processes started by libvirt are not its children:
 * they would run on. reaper_start() forks a small watcher that waits for the controller to go
 * away (the end of a pipe only the controller holds) and then kills every QEMU process whose
 * guest name carries the controller's pid (fl-PID-...), and removes the controller's work dir
 * (its save images and content partitions: hundreds of MB that nobody else would remove).
 */
#pragma once

/* Start the watcher; call before any thread exists. work_dir: the controller's own work dir
 * (a flat folder of files), removed when the controller is gone; NULL: none. Returns 0 or a
 * negative errno. */
int reaper_start(const char *work_dir);
