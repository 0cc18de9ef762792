/* vm.c — guests over libvirt: transient domains, console and channel streams, lifecycle events.
 *
 * Threads: callers drive a vm from their own thread; every stream and lifecycle callback runs
 * on the single libvirt event-loop thread started on first use. A vm is reference counted because
 * stream callbacks may still be queued when its owner destroys it: the owner's reference and one
 * per registered callback (dropped by libvirt's free function) keep the memory valid.
 * How a guest ended, told from what the callbacks here recorded, is vm-end.c's business.
 *
 * Every guest is a persistent domain, defined before it starts and undefined by vm_destroy
 * after its streams are closed, because of a lock-order inversion in libvirt (9.0 at least).
 * libvirt keeps, in each domain object, a table of the console and channel streams open on
 * it, with a lock. Aborting one of those streams takes the stream's lock, then the table's, to
 * leave the table; disposing of the domain object (virChrdevFree, when its last reference
 * goes) takes the table's lock, then each listed stream's, to unhook it. Run at the same time,
 * the two deadlock (a run hung in vm_destroy for good, its pty lock file left in /var/lock) or
 * crash (the abort had already cleared the stream). A transient domain's object is disposed
 * once the domain has stopped, on whichever libvirt thread drops the last reference: when the
 * guest stopped by itself (QEMU exited or was killed) that is libvirt's "qemu-event" thread,
 * at a moment we can neither see nor wait for (the STOPPED event goes out before the object
 * leaves the domain list, and other jobs may hold references after that). The FORCE flags do
 * not help: every console or channel stream goes into the table. A persistent domain's object
 * outlives the guest, whoever stops it: it is disposed only when vm_destroy undefines it, after
 * the streams are aborted, so no stream of ours is ever listed in a table being disposed.
 * tests/vm/stress-teardown.sh makes the race certain (tests/vm/teardown-shim.c) and checks it.
 */
#include "vm.h"

#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "escape.h"
#include "util.h"
#include "virt-util.h"
#include "vm-private.h"

/* A guest that floods its console must not fill the disk: past CONSOLE_MAX bytes a console log
 * is cut down to its last quarter (where a report that ends the case is), with a line that says
 * so. The serial line gives a guest about 64 KiB/s, so that takes minutes: FAULTLINE_CONSOLE_MAX
 * (bytes) lowers the bound for faultline's own tests. A callback reads at most CONSOLE_BATCH
 * bytes before it lets the event loop serve the other streams: one flooding guest must not
 * starve every guest's heartbeats. */
#define CONSOLE_MAX (8u << 20)
#define CONSOLE_BATCH (128u << 10)

/* vm_destroy's watchdog, the last line should libvirt ever hang in a teardown again: after
 * TEARDOWN_MS (FAULTLINE_TEARDOWN_MS, for tests) the caller goes on and the teardown is left
 * to its thread. A destroy normally takes 1.4-1.8 s; libvirt itself gives up on a domain's job
 * after 30 s and on a QEMU that does not die after 15 s. */
#define TEARDOWN_MS 90000

static pthread_once_t loop_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vm *registry;
static volatile bool cancelled;

static void silent_error(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err; /* errors are fetched with virGetLastErrorMessage() where they matter */
}

static void *loop_thread(void *arg)
{
	(void)arg;
	for (;;)
		if (virEventRunDefaultImpl() < 0)
			usleep(10000);
	return NULL;
}

static void loop_start(void)
{
	pthread_t t;

	virSetErrorFunc(NULL, silent_error);
	virEventRegisterDefaultImpl();
	if (pthread_create(&t, NULL, loop_thread, NULL) != 0)
		abort();
	pthread_detach(t);
}

char *vm_last_error(const char *what)
{
	const char *msg = virGetLastErrorMessage();
	return xasprintf("libvirt error: %s: %s", what, msg ? msg : "unknown error");
}

static void vm_unref(struct vm *vm)
{
	bool last;

	pthread_mutex_lock(&vm->lock);
	last = --vm->refs == 0;
	pthread_mutex_unlock(&vm->lock);
	if (!last)
		return;
	vm_events_finish(&vm->events);
	proto_decoder_free(vm->dec);
	if (vm->console_fd >= 0)
		close(vm->console_fd);
	free(vm->out);
	free(vm->name);
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->cond);
	free(vm);
}

static void unref_cb(void *opaque)
{
	vm_unref(opaque);
}

/* Called with vm->lock held. A frame that finds the queue full is dropped and counted
 * (vm-events.h): nobody waits for it. */
static void push_event(struct vm *vm, const struct vm_event *ev)
{
	struct vm_event e = *ev;

	e.at_ms = now_ms();
	if (vm_events_push(&vm->events, &e))
		pthread_cond_broadcast(&vm->cond);
}

static void push_simple(struct vm *vm, enum vm_event_type type, int error)
{
	struct vm_event ev = {.type = type, .error = error};
	push_event(vm, &ev);
}

/* The vm of domain `name` on connection conn: hosts of one fleet have guests of the same name. */
static struct vm *registry_find(virConnectPtr conn, const char *name)
{
	struct vm *vm;

	for (vm = registry; vm; vm = vm->next_registered)
		if (vm->host->conn == conn && streq(vm->name, name))
			return vm;
	return NULL;
}

static int lifecycle_cb(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	struct vm *vm;

	(void)opaque;
	pthread_mutex_lock(&registry_lock);
	vm = registry_find(conn, virDomainGetName(dom));
	if (vm) {
		pthread_mutex_lock(&vm->lock);
		if (event == VIR_DOMAIN_EVENT_CRASHED) {
			vm->crash_seen = true;
			push_simple(vm, VM_EVENT_CRASHED, detail);
		} else if (event == VIR_DOMAIN_EVENT_STOPPED) {
			vm->stop_seen = true;
			vm->stop_detail = detail;
			push_simple(vm, VM_EVENT_STOPPED, detail);
		} else if (event == VIR_DOMAIN_EVENT_SHUTDOWN) {
			/* QEMU says whether the guest asked for it; STOPPED follows */
			vm->shutdown_seen = true;
			vm->shutdown_detail = detail;
			pthread_cond_broadcast(&vm->cond);
		}
		pthread_mutex_unlock(&vm->lock);
	}
	pthread_mutex_unlock(&registry_lock);
	return 0;
}

/* A remote host's connection dropped (keepalive, EOF): every guest on it is lost to us. */
static void close_cb(virConnectPtr conn, int reason, void *opaque)
{
	struct vm_host *h = opaque;

	(void)conn;
	pthread_mutex_lock(&registry_lock);
	h->lost_reason = reason;
	h->lost = true;
	for (struct vm *vm = registry; vm; vm = vm->next_registered) {
		if (vm->host != h)
			continue;
		pthread_mutex_lock(&vm->lock);
		vm->host_lost = true;
		push_simple(vm, VM_EVENT_HOST_LOST, reason);
		pthread_mutex_unlock(&vm->lock);
	}
	pthread_mutex_unlock(&registry_lock);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* a full disk loses console bytes, not the run; the record says so
				 */
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Cut a flooded console log down to its tail. Called with vm->lock held. */
static void console_cut(struct vm *vm)
{
	off_t size = lseek(vm->console_fd, 0, SEEK_END), most = (off_t)vm->console_max / 4;
	size_t keep = (size_t)(size < most ? (size > 0 ? size : 0) : most);
	_cleanup_free_ char *tail = xmalloc(keep ? keep : 1);
	_cleanup_free_ char *note = NULL;
	ssize_t n = keep ? pread(vm->console_fd, tail, keep, size - (off_t)keep) : 0;

	if (n < 0 || ftruncate(vm->console_fd, 0) < 0)
		return; /* not ours to cut (a FIFO, a device): leave it */
	note = xasprintf("[faultline: the guest flooded its console: %lld bytes dropped here, the "
			 "last %zd kept]\n",
			 (long long)(size - n), n);
	write_all(vm->console_fd, note, strlen(note));
	write_all(vm->console_fd, tail, (size_t)n);
	vm->console_bytes = strlen(note) + (uint64_t)n;
}

/* Look for the panic marker in the previous tail + this chunk. Called with vm->lock held. */
static void scan_console(struct vm *vm, const char *buf, size_t n)
{
	size_t tl = strlen(vm->tail), keep = sizeof(vm->tail) - 1;
	char *joined = xmalloc(tl + n + 1);

	memcpy(joined, vm->tail, tl);
	memcpy(joined + tl, buf, n);
	joined[tl + n] = 0;
	if (!vm->panicked && memmem(joined, tl + n, PANIC_MARKER, strlen(PANIC_MARKER))) {
		vm->panicked = true;
		push_simple(vm, VM_EVENT_CRASHED, -1);
	}
	if (tl + n > keep)
		memcpy(vm->tail, joined + tl + n - keep, keep), vm->tail[keep] = 0;
	else
		memcpy(vm->tail, joined, tl + n + 1);
	/* NUL bytes in the chunk would cut the tail short; that only delays detection to pvpanic */
	free(joined);
}

static void console_cb(virStreamPtr st, int events, void *opaque)
{
	struct vm *vm = opaque;
	char buf[8192];

	pthread_mutex_lock(&vm->lock);
	if (vm->dead) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	for (size_t got = 0; got < CONSOLE_BATCH;) {
		int n = virStreamRecv(st, buf, sizeof(buf));
		if (n > 0) {
			got += (size_t)n;
			vm->console_last_ms = now_ms();
			if (vm->console_fd >= 0) {
				write_all(vm->console_fd, buf, (size_t)n);
				vm->console_bytes += (size_t)n;
				if (vm->console_bytes > vm->console_max)
					console_cut(vm);
			}
			scan_console(vm, buf, (size_t)n);
			continue;
		}
		if (n == -2)
			break;
		/* EOF or error: the guest is gone, or the stream is; vm_stopped_by_guest tells */
		virStreamEventRemoveCallback(st);
		vm->console_eof = true;
		push_simple(vm, VM_EVENT_CONSOLE_EOF, 0);
		break;
	}
	(void)events;
	pthread_mutex_unlock(&vm->lock);
}

static void flush_out(struct vm *vm, virStreamPtr st)
{
	while (vm->out_len > 0) {
		int n = virStreamSend(st, (const char *)vm->out, vm->out_len);
		if (n == -2)
			break;
		if (n < 0) {
			vm->out_len = 0;
			vm->channel_eof = true;
			push_simple(vm, VM_EVENT_CHANNEL_EOF, -EIO);
			break;
		}
		memmove(vm->out, vm->out + n, vm->out_len - (size_t)n);
		vm->out_len -= (size_t)n;
	}
	int want = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;
	if (vm->out_len > 0)
		want |= VIR_STREAM_EVENT_WRITABLE;
	virStreamEventUpdateCallback(st, want);
}

static void channel_cb(virStreamPtr st, int events, void *opaque)
{
	struct vm *vm = opaque;
	char buf[65536];
	bool eof = false;

	pthread_mutex_lock(&vm->lock);
	if (vm->dead) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	if (events & VIR_STREAM_EVENT_WRITABLE)
		flush_out(vm, st);
	/* bounded, like the console: a guest that floods the channel gets called again */
	for (size_t got = 0; got < 16 * sizeof(buf);) {
		int n = virStreamRecv(st, buf, sizeof(buf));
		if (n > 0) {
			proto_decoder_feed(vm->dec, buf, (size_t)n);
			got += (size_t)n;
			continue;
		}
		eof = n != -2;
		break;
	}
	for (;;) {
		struct vm_event ev = {.type = VM_EVENT_FRAME};
		int r = proto_decoder_next(vm->dec, &ev.frame);
		if (r == 0)
			break;
		if (r < 0) {
			ev.type = VM_EVENT_PROTO_ERROR;
			ev.error = r;
		}
		push_event(vm, &ev);
	}
	if (eof) {
		virStreamEventRemoveCallback(st);
		vm->channel_eof = true;
		push_simple(vm, VM_EVENT_CHANNEL_EOF, 0);
	}
	pthread_mutex_unlock(&vm->lock);
}

/* The embedded driver has no daemon, so no virtlogd: QEMU writes its own logs. Ownership of the
 * kernel and initrd is left alone: several guests share them, and libvirt relabelling a file
 * while another guest starts races (they are world-readable). */
static const char embed_qemu_conf[] = "# written by faultline; rewritten when it differs\n"
				      "stdio_handler = \"file\"\n"
				      "dynamic_ownership = 0\n"
				      "remember_owner = 0\n";

static int prepare_embed_root(const char *uri)
{
	const char *root = strstr(uri, "root=");
	_cleanup_free_ char *dir = NULL, *etc = NULL, *conf = NULL, *log = NULL;
	_cleanup_free_ uint8_t *old = NULL;
	size_t size;
	int r;

	if (!startswith(uri, "qemu:///embed") || !root)
		return 0;
	dir = xstrndup(root + 5, strcspn(root + 5, "&"));
	etc = xasprintf("%s/etc", dir);
	conf = xasprintf("%s/qemu.conf", etc);
	if ((r = mkdir_p(etc)) < 0)
		return r;
	/* libvirt's own warnings go to a file in the root instead of our user's terminal */
	log = xasprintf("3:file:%s/libvirt.log", dir);
	setenv("LIBVIRT_LOG_OUTPUTS", log, 0);
	if (read_file(conf, 65536, &old, &size) == 0 && streq((char *)old, embed_qemu_conf))
		return 0;
	return write_file_atomic(conf, embed_qemu_conf, strlen(embed_qemu_conf));
}

/* Where the embedded driver keeps a domain's files: ROOT/SUB (log/qemu, run/qemu). */
static char *embed_dir(const char *uri, const char *sub)
{
	const char *root = strstr(uri, "root=");

	if (!startswith(uri, "qemu:///embed") || !root)
		return NULL;
	return xasprintf("%.*s/%s", (int)strcspn(root + 5, "&"), root + 5, sub);
}

int vm_host_open(const char *uri, struct vm_host **ret, char **ret_error)
{
	_cleanup_virConnect_ virConnectPtr conn = NULL;
	struct vm_host *h;
	int r;

	r = prepare_embed_root(uri);
	pthread_once(&loop_once, loop_start);
	if (r < 0) {
		if (ret_error)
			*ret_error =
			    xasprintf("cannot prepare embedded root for %s: %s", uri, strerror(-r));
		return r;
	}
	conn = virConnectOpen(uri);
	if (!conn) {
		if (ret_error)
			*ret_error = vm_last_error(uri);
		return -EIO;
	}
	h = xzalloc(sizeof(*h));
	pthread_mutex_init(&h->jobs_lock, NULL);
	h->refs = 1;
	h->uri = xstrdup(uri);
	h->log_dir = embed_dir(uri, "log/qemu");
	h->run_dir = embed_dir(uri, "run/qemu");
	h->lifecycle_id =
	    virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
					     VIR_DOMAIN_EVENT_CALLBACK(lifecycle_cb), NULL, NULL);
	/* only remote drivers have a connection that can drop */
	h->close_cb = virConnectRegisterCloseCallback(conn, close_cb, h, NULL) == 0;
	h->conn = TAKE_PTR(conn);
	*ret = h;
	return 0;
}

struct vm_host *vm_host_close(struct vm_host *h)
{
	if (!h)
		return NULL;
	if (h->lifecycle_id >= 0)
		virConnectDomainEventDeregisterAny(h->conn, h->lifecycle_id);
	if (h->close_cb)
		virConnectUnregisterCloseCallback(h->conn, close_cb);
	virConnectClose(h->conn);
	vm_host_unref(h);
	return NULL;
}

bool vm_host_embedded(const struct vm_host *h)
{
	return startswith(h->uri, "qemu:///embed");
}

const char *vm_host_uri(const struct vm_host *h)
{
	return h->uri;
}

bool vm_host_lost(struct vm_host *h)
{
	pthread_mutex_lock(&registry_lock);
	bool lost = h->lost;
	pthread_mutex_unlock(&registry_lock);
	/* the close callback comes from the event loop: a call that just failed may be first */
	return lost || virConnectIsAlive(h->conn) == 0;
}

int vm_host_cpus(struct vm_host *h, unsigned *ret)
{
	virNodeInfo info;

	if (virNodeGetInfo(h->conn, &info) < 0 || info.cpus == 0)
		return -EIO;
	*ret = info.cpus;
	return 0;
}

void vm_host_cancel_all(void)
{
	cancelled = true;
	pthread_mutex_lock(&registry_lock);
	for (struct vm *vm = registry; vm; vm = vm->next_registered) {
		pthread_mutex_lock(&vm->lock);
		pthread_cond_broadcast(&vm->cond);
		pthread_mutex_unlock(&vm->lock);
	}
	pthread_mutex_unlock(&registry_lock);
}

bool vm_host_cancelled(void)
{
	return cancelled;
}

/* Domain names are "fl-<controller pid>-<rest>": a domain whose controller is gone is ours to
 * reap (a controller killed with SIGKILL cannot clean up after itself). Guests are persistent
 * (see the top of this file), so a killed controller leaves definitions behind even when its
 * QEMU processes were killed: this process's pid may be a dead one's again, and a definition
 * under it would take the name of this process's first guest. */
int vm_host_reap_orphans(struct vm_host *h)
{
	virDomainPtr *doms = NULL;
	int n, reaped = 0;

	n = virConnectListAllDomains(h->conn, &doms, 0);
	if (n < 0)
		return -EIO;
	for (int i = 0; i < n; i++) {
		_cleanup_virDomain_ virDomainPtr dom = doms[i];
		const char *name = virDomainGetName(dom);
		long pid;
		char *end;

		if (!name || !startswith(name, "fl-"))
			continue;
		pid = strtol(name + 3, &end, 10);
		if (end == name + 3 || *end != '-' || pid <= 0 ||
		    (pid != getpid() && (kill((pid_t)pid, 0) == 0 || errno != ESRCH)))
			continue;
		if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) == 0)
			reaped++;
		virDomainUndefine(dom);
	}
	free(doms);
	return reaped;
}

/* The kernel, initrd and command line of a directly booted guest, up to </os>. */
static void domain_xml_kernel(FILE *f, const struct vm_config *cfg)
{
	escape_xml_text(f, cfg->kernel);
	fputs("</kernel>\n    <initrd>", f);
	escape_xml_text(f, cfg->initrd);
	fputs("</initrd>\n    <cmdline>", f);
	escape_xml_text(f, cfg->cmdline);
	if (cfg->cmdline_extra && *cfg->cmdline_extra) {
		fputc(' ', f);
		escape_xml_text(f, cfg->cmdline_extra);
	}
	fputs("</cmdline>\n  </os>\n", f);
}

static char *domain_xml(const struct vm_config *cfg)
{
	bool arm64 = cfg->arch && streq(cfg->arch, "arm64");
	char *xml = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&xml, &size);

	if (!f)
		abort();
	fprintf(f, "<domain type='%s'%s>\n  <name>", streq(cfg->accel, "kvm") ? "kvm" : "qemu",
		cfg->qemu_args ? " xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'" : "");
	escape_xml_text(f, cfg->name);
	fprintf(f, "</name>\n  <memory unit='MiB'>%u</memory>\n  <vcpu>1</vcpu>\n",
		cfg->memory_mib);
	fprintf(f, "  <os>\n    <type arch='%s' machine='%s'>hvm</type>\n",
		arm64 ? "aarch64" : "x86_64", arm64 ? "virt" : "pc");
	if (cfg->firmware) { /* the disk's own loader: no kernel of ours, no command line */
		fputs("    <loader readonly='yes' type='rom'>", f);
		escape_xml_text(f, cfg->firmware);
		fputs("</loader>\n    <boot dev='hd'/>\n  </os>\n", f);
	} else {
		fputs("    <kernel>", f);
		domain_xml_kernel(f, cfg);
	}
	/* arm64: no ACPI without UEFI (the kernel reads the device tree QEMU makes), and no
	 * pvpanic (Debian's arm64 kernels lack the driver; libvirt 9.0 has no pvpanic-pci): a
	 * panic shows on the console and its reset (panic=-1) ends the domain */
	fputs(arm64 ? "  <cpu mode='custom' match='exact'><model>cortex-a57</model></cpu>\n"
		    : "  <features><acpi/></features>\n",
	      f);
	fputs("  <clock offset='utc'/>\n"
	      /* A panic pauses the guest (pvpanic) so the console can be drained; a reset or
	       * poweroff ends the domain so that nothing reboots behind our back. */
	      "  <on_poweroff>destroy</on_poweroff>\n"
	      "  <on_reboot>destroy</on_reboot>\n"
	      "  <on_crash>preserve</on_crash>\n"
	      "  <devices>\n"
	      "    <serial type='pty'><target port='0'/></serial>\n"
	      "    <console type='pty'><target type='serial' port='0'/></console>\n"
	      "    <channel type='unix'><target type='virtio' name='" PROTO_CHANNEL_NAME
	      "'/></channel>\n"
	      "    <controller type='usb' model='none'/>\n"
	      "    <memballoon model='none'/>\n",
	      f);
	if (!arm64)
		fputs("    <panic model='isa'><address type='isa' iobase='0x505'/></panic>\n", f);
	if (cfg->disk) {
		/* unsafe: the guest's flushes need not reach the host's disk, only QEMU's file
		 * (which outlives QEMU): a case's partition never outlives the run */
		fprintf(f,
			"    <disk type='file' device='disk'><driver name='qemu' type='%s' "
			"cache='unsafe'/><source file='",
			cfg->disk_qcow2 ? "qcow2" : "raw");
		escape_xml_attr(f, cfg->disk);
		fputs("'/><target dev='vda' bus='virtio'/></disk>\n", f);
	}
	fputs("  </devices>\n", f);
	if (cfg->qemu_args) {
		fputs("  <qemu:commandline>\n", f);
		for (const char *const *a = cfg->qemu_args; *a; a++) {
			fputs("    <qemu:arg value='", f);
			escape_xml_attr(f, *a);
			fputs("'/>\n", f);
		}
		fputs("  </qemu:commandline>\n", f);
	}
	fputs("</domain>\n", f);
	fclose(f);
	return xml;
}

static void registry_add(struct vm *vm)
{
	pthread_mutex_lock(&registry_lock);
	vm->next_registered = registry;
	registry = vm;
	pthread_mutex_unlock(&registry_lock);
}

static void registry_remove(struct vm *vm)
{
	pthread_mutex_lock(&registry_lock);
	for (struct vm **p = &registry; *p; p = &(*p)->next_registered)
		if (*p == vm) {
			*p = vm->next_registered;
			break;
		}
	pthread_mutex_unlock(&registry_lock);
}

/* libvirt locks a console's pty with a lock file in /var/lock, machine-wide, for as long as a
 * controller has the console open. A guest that stopped by itself has freed its pty while its
 * controller (this one for a few seconds, or another process on the machine for as long as it
 * likes) still holds the lock, and the kernel gives the lowest free pty number to the next
 * QEMU: every new guest would get the locked pty. So once the guest that got it is destroyed,
 * the controller takes that number itself (a pty of its own, kept open) and the next guest gets
 * another. msg is libvirt's error, which names the pty. Returns whether it took it. */
static bool plug_pty(const char *msg)
{
	static pthread_mutex_t plug_lock = PTHREAD_MUTEX_INITIALIZER;
	static int plugs[16], n_plugs;
	const char *dev = msg ? strstr(msg, "'/dev/pts/") : NULL;
	int fds[64], n = 0, want = dev ? atoi(dev + 10) : -1, got = -1;

	if (want < 0)
		return false;
	pthread_mutex_lock(&plug_lock);
	while (n_plugs < (int)ARRAY_SIZE(plugs) && n < (int)ARRAY_SIZE(fds)) {
		int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		char name[64];

		if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0 ||
		    ptsname_r(fd, name, sizeof(name)) != 0) {
			if (fd >= 0)
				close(fd);
			break;
		}
		if (startswith(name, "/dev/pts/") && atoi(name + 9) == want) {
			got = plugs[n_plugs++] = fd;
			break;
		}
		fds[n++] = fd; /* a lower number was free: hold it until we have ours */
	}
	while (n > 0)
		close(fds[--n]);
	pthread_mutex_unlock(&plug_lock);
	return got >= 0;
}

static int open_console(struct vm *vm, virStreamPtr st)
{
	const char *msg;

	if (virDomainOpenConsole(vm->dom, NULL, st, VIR_DOMAIN_CONSOLE_FORCE) == 0)
		return 0;
	msg = virGetLastErrorMessage();
	return msg && strstr(msg, "is locked by lock file") ? -EADDRINUSE : -ENOTCONN;
}

static int open_stream(struct vm *vm, bool channel, char **ret_error)
{
	_cleanup_virStream_ virStreamPtr st = virStreamNew(vm->host->conn, VIR_STREAM_NONBLOCK);
	int r;

	if (!st) {
		*ret_error = vm_last_error("virStreamNew");
		return -EIO;
	}
	if (channel)
		r = virDomainOpenChannel(vm->dom, PROTO_CHANNEL_NAME, st, VIR_DOMAIN_CHANNEL_FORCE);
	else
		r = open_console(vm, st);
	if (r < 0) {
		*ret_error =
		    vm_last_error(channel ? "virDomainOpenChannel" : "virDomainOpenConsole");
		return r == -EADDRINUSE ? r : -ENOTCONN;
	}
	/* the callback's reference, dropped by unref_cb when libvirt lets go of it */
	pthread_mutex_lock(&vm->lock);
	vm->refs++;
	pthread_mutex_unlock(&vm->lock);
	if (virStreamEventAddCallback(
		st, VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP,
		channel ? channel_cb : console_cb, vm, unref_cb) < 0) {
		vm_unref(vm);
		*ret_error = vm_last_error("virStreamEventAddCallback");
		virStreamAbort(st);
		return -EIO;
	}
	if (channel)
		vm->channel = TAKE_PTR(st);
	else
		vm->console = TAKE_PTR(st);
	return 0;
}

/* A bound from the environment (faultline's own tests lower them), else its default. */
static uint64_t env_bound(const char *name, uint64_t min, uint64_t fallback)
{
	const char *e = getenv(name);
	char *end;
	unsigned long long v = e ? strtoull(e, &end, 10) : 0;

	if (!e || end == e || *end || v < min)
		return fallback;
	return v;
}

static struct vm *vm_new(struct vm_host *h, const char *name)
{
	pthread_condattr_t ca;
	struct vm *vm = xzalloc(sizeof(*vm));

	vm->host = h;
	vm->name = xstrdup(name);
	vm->refs = 1;
	vm->console_fd = -1;
	vm->console_max = env_bound("FAULTLINE_CONSOLE_MAX", 4096, CONSOLE_MAX);
	vm->dec = proto_decoder_new();
	if (!vm->dec)
		abort();
	pthread_mutex_init(&vm->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&vm->cond, &ca);
	pthread_condattr_destroy(&ca);
	registry_add(vm);
	return vm;
}

/* The domain exists (paused): open console and channel. */
static int attach(struct vm *vm, const char *console_log, char **ret_error)
{
	int r = vm_set_console_log(vm, console_log);

	if (r < 0) {
		*ret_error = xasprintf("cannot open console log %s: %s", console_log, strerror(-r));
		return r;
	}
	r = open_stream(vm, false, ret_error);
	if (r == 0)
		r = open_stream(vm, true, ret_error);
	return r;
}

/* vm_start and vm_restore try again, a few times, when the new guest was given a pty another
 * controller holds locked: the guest is destroyed, its pty plugged (plug_pty), and the next
 * one gets another. */
#define PTY_TRIES 3

static int start_once(struct vm_host *h, const struct vm_config *cfg, const char *xml,
		      struct vm **ret, char **ret_error)
{
	_cleanup_vm_ struct vm *vm = NULL;
	int r;

	if (cancelled)
		return -ECANCELED;
	vm = vm_new(h, cfg->name);
	/* persistent: see the top of this file */
	vm->dom = virDomainDefineXML(h->conn, xml);
	/* Paused first: a pty console drops whatever the guest prints before it is opened. */
	if (!vm->dom || virDomainCreateWithFlags(vm->dom, VIR_DOMAIN_START_PAUSED) < 0) {
		*ret_error = vm_last_error("cannot create domain");
		return -EIO;
	}
	r = attach(vm, cfg->console_log, ret_error);
	if (r == 0 && !cfg->paused)
		r = vm_resume(vm, ret_error);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(vm);
	return 0;
}

int vm_start(struct vm_host *h, const struct vm_config *cfg, struct vm **ret, char **ret_error)
{
	_cleanup_free_ char *xml = domain_xml(cfg);
	int r = -EADDRINUSE;

	for (int i = 0; i < PTY_TRIES && r == -EADDRINUSE; i++) {
		if (i > 0)
			free(TAKE_PTR(*ret_error));
		r = start_once(h, cfg, xml, ret, ret_error);
		if (r == -EADDRINUSE && !plug_pty(*ret_error))
			break;
	}
	return r == -EADDRINUSE ? -ENOTCONN : r;
}

/* The saved domain XML with its disk's source file replaced by disk (escaped). NULL when the
 * XML has no file-backed disk. */
static char *xml_with_disk(const char *xml, const char *disk)
{
	const char *d = strstr(xml, "<disk "), *src, *end;
	char *out = NULL;
	size_t size = 0;
	FILE *f;

	if (!d || !(src = strstr(d, "<source file=")) || !(end = strchr(src + 14, src[13])))
		return NULL;
	f = open_memstream(&out, &size);
	if (!f)
		abort();
	fwrite(xml, 1, (size_t)(src + 14 - xml), f);
	escape_xml_attr(f, disk);
	fputs(end, f);
	fclose(f);
	return out;
}

static int restore_once(struct vm_host *h, const char *state_path, const char *name,
			const char *disk, const char *console_log, struct vm **ret,
			char **ret_error)
{
	_cleanup_vm_ struct vm *vm = NULL;
	_cleanup_free_ char *xml = NULL;
	int r;

	if (cancelled)
		return -ECANCELED;
	vm = vm_new(h, name);
	/* persistent (see the top of this file): defined from the image, restored into that */
	xml = virDomainSaveImageGetXMLDesc(h->conn, state_path, 0);
	if (xml && disk) {
		char *moved = xml_with_disk(xml, disk);
		if (!moved) {
			*ret_error =
			    xasprintf("faultline bug: saved guest %s has no disk", state_path);
			return -EIO;
		}
		free(xml);
		xml = moved;
	}
	if (!xml || !(vm->dom = virDomainDefineXML(h->conn, xml))) {
		*ret_error = vm_last_error("cannot restore saved guest");
		return -EIO;
	}
	if (!streq_ptr(virDomainGetName(vm->dom), name)) {
		*ret_error = xasprintf("libvirt error: restored guest not found: %s holds %s",
				       state_path, virDomainGetName(vm->dom));
		return -EIO;
	}
	virConnectPtr job = vm_conn_get(h);
	r = virDomainRestoreFlags(job, state_path, disk ? xml : NULL, VIR_DOMAIN_SAVE_PAUSED);
	if (r < 0)
		*ret_error = vm_last_error("cannot restore saved guest");
	vm_conn_put(h, job);
	if (r < 0)
		return -EIO;
	r = attach(vm, console_log, ret_error);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(vm);
	return 0;
}

int vm_restore(struct vm_host *h, const char *state_path, const char *name, const char *disk,
	       const char *console_log, struct vm **ret, char **ret_error)
{
	int r = -EADDRINUSE;

	for (int i = 0; i < PTY_TRIES && r == -EADDRINUSE; i++) {
		if (i > 0)
			free(TAKE_PTR(*ret_error));
		r = restore_once(h, state_path, name, disk, console_log, ret, ret_error);
		if (r == -EADDRINUSE && !plug_pty(*ret_error))
			break;
	}
	return r == -EADDRINUSE ? -ENOTCONN : r;
}

int vm_resume(struct vm *vm, char **ret_error)
{
	if (virDomainResume(vm->dom) < 0) {
		*ret_error = vm_last_error("cannot resume domain");
		return -EIO;
	}
	return 0;
}

int vm_save(struct vm *vm, const char *path, char **ret_uuid, char **ret_error)
{
	char uuid[VIR_UUID_STRING_BUFLEN];

	if (virDomainGetUUIDString(vm->dom, uuid) < 0) {
		*ret_error = vm_last_error("cannot read the domain's UUID");
		return -EIO;
	}
	virConnectPtr job = vm_conn_get(vm->host);
	virDomainPtr dom = job == vm->host->conn ? vm->dom : virDomainLookupByUUIDString(job, uuid);
	int r = dom ? virDomainSave(dom, path) : -1;

	if (r < 0)
		*ret_error = vm_last_error("cannot save guest");
	if (dom != vm->dom)
		virDomainFree(dom);
	vm_conn_put(vm->host, job);
	if (r < 0)
		return -EIO;
	*ret_uuid = xstrdup(uuid);
	return 0;
}

int vm_cpu_time_ms(struct vm *vm, uint64_t *ret)
{
	virDomainInfo info;

	/* a stopped guest's domain stays defined (see the top of this file) with no vCPU time */
	if (virDomainGetInfo(vm->dom, &info) < 0 || info.state == VIR_DOMAIN_SHUTOFF)
		return -EIO;
	*ret = info.cpuTime / 1000000;
	return 0;
}

int vm_set_console_log(struct vm *vm, const char *path)
{
	int fd = -1;

	off_t size = 0;

	if (path) {
		/* read access too: a flooded log is cut down to its tail (console_cut) */
		fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		size = lseek(fd, 0, SEEK_END);
	}
	pthread_mutex_lock(&vm->lock);
	if (vm->console_fd >= 0)
		close(vm->console_fd);
	vm->console_fd = fd;
	vm->console_bytes = size > 0 ? (uint64_t)size : 0;
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

int vm_send(struct vm *vm, uint16_t type, const void *payload, uint32_t len)
{
	static uint32_t seq;
	uint8_t *buf;
	size_t size;
	int r;

	r = proto_encode(type, __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED), payload, len, &buf,
			 &size);
	if (r < 0)
		return r;
	pthread_mutex_lock(&vm->lock);
	if (!vm->channel || vm->dead) {
		pthread_mutex_unlock(&vm->lock);
		free(buf);
		return -ENOTCONN;
	}
	vm->out = xrealloc(vm->out, vm->out_len + size);
	memcpy(vm->out + vm->out_len, buf, size);
	vm->out_len += size;
	free(buf);
	/* The event thread does the sending, when the stream is writable. */
	virStreamEventUpdateCallback(vm->channel,
				     VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_WRITABLE |
					 VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP);
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

int vm_wait_locked(struct vm *vm, uint64_t deadline_ms)
{
	struct timespec ts = {.tv_sec = (time_t)(deadline_ms / 1000),
			      .tv_nsec = (long)(deadline_ms % 1000) * 1000000};

	return pthread_cond_timedwait(&vm->cond, &vm->lock, &ts) == ETIMEDOUT ? -ETIMEDOUT : 0;
}

int vm_next_event(struct vm *vm, uint64_t deadline_ms, struct vm_event *ret)
{
	bool waited = false;
	int r;

	pthread_mutex_lock(&vm->lock);
	for (;;) {
		if (cancelled) {
			r = -ECANCELED;
			break;
		}
		/* an event that came at or after the deadline waits for the caller's timeout */
		r = vm_events_pop(&vm->events, deadline_ms, ret);
		if (r != -EAGAIN)
			break;
		if (waited) {
			r = -ETIMEDOUT;
			break;
		}
		waited = vm_wait_locked(vm, deadline_ms) == -ETIMEDOUT;
	}
	pthread_mutex_unlock(&vm->lock);
	return r;
}

uint64_t vm_frames_dropped(struct vm *vm)
{
	uint64_t n;

	pthread_mutex_lock(&vm->lock);
	n = vm->events.dropped;
	pthread_mutex_unlock(&vm->lock);
	return n;
}

const char *vm_name(const struct vm *vm)
{
	return vm->name;
}

uint64_t vm_console_last_ms(struct vm *vm)
{
	uint64_t t;

	pthread_mutex_lock(&vm->lock);
	t = vm->console_last_ms;
	pthread_mutex_unlock(&vm->lock);
	return t;
}

static void close_stream(virStreamPtr st)
{
	if (!st)
		return;
	virStreamEventRemoveCallback(st);
	virStreamAbort(st);
	virStreamFree(st);
}

/* What vm_destroy hands to libvirt, on a thread of its own (the watchdog, TEARDOWN_MS). */
struct teardown {
	struct vm *vm; /* a reference of the thread's own */
	virStreamPtr console, channel;
	virDomainPtr dom;
};

static void *teardown_thread(void *arg)
{
	struct teardown *t = arg;
	struct vm *vm = t->vm;

	/* The streams first, while the domain is still defined, so that libvirt cannot dispose
	 * of its object under them (see the top of this file); then the guest; then the
	 * definition, which disposes of the object, its stream table empty by then. */
	close_stream(t->console);
	close_stream(t->channel);
	if (t->dom) {
		unsigned char uuid[VIR_UUID_BUFLEN];
		virConnectPtr job = vm_conn_get(vm->host);
		virDomainPtr dom = t->dom;

		if (job != vm->host->conn && virDomainGetUUID(t->dom, uuid) == 0)
			dom = virDomainLookupByUUID(job, uuid);
		if (!dom) /* gone already, or the host: as the main connection would say */
			dom = t->dom;
		virDomainDestroy(dom); /* fails harmlessly when it already stopped */
		virDomainUndefine(dom);
		if (dom != t->dom)
			virDomainFree(dom);
		virDomainFree(t->dom);
		vm_conn_put(vm->host, job);
	}
	free(t);
	pthread_mutex_lock(&vm->lock);
	vm->torn_down = true;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	vm_unref(vm);
	return NULL;
}

int vm_destroy(struct vm *vm)
{
	uint64_t deadline;
	struct teardown *t;
	pthread_t thread;
	bool done;

	if (!vm)
		return 0;
	deadline = now_ms() + env_bound("FAULTLINE_TEARDOWN_MS", 100, TEARDOWN_MS);
	registry_remove(vm);
	t = xzalloc(sizeof(*t));
	t->vm = vm;
	t->dom = TAKE_PTR(vm->dom);
	pthread_mutex_lock(&vm->lock);
	vm->dead = true;
	/* callbacks write nothing more (dead); the last reference may be libvirt's for a while
	 * (a remote stream whose callback was removed while it ran): the log is closed now */
	if (vm->console_fd >= 0)
		close(vm->console_fd);
	vm->console_fd = -1;
	t->console = TAKE_PTR(vm->console);
	t->channel = TAKE_PTR(vm->channel);
	vm->refs++;
	pthread_mutex_unlock(&vm->lock);
	if (pthread_create(&thread, NULL, teardown_thread, t) == 0)
		pthread_detach(thread);
	else
		teardown_thread(t);
	pthread_mutex_lock(&vm->lock);
	while (!vm->torn_down && vm_wait_locked(vm, deadline) == 0)
		;
	done = vm->torn_down;
	pthread_mutex_unlock(&vm->lock);
	vm_unref(vm);
	return done ? 0 : -ETIMEDOUT;
}
