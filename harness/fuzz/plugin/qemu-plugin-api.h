/* qemu-plugin-api.h — the part of QEMU's TCG plugin API (include/qemu/qemu-plugin.h, API version
 * 1, QEMU 6.0 to 8.1) that flcov.c uses. Debian packages no qemu-plugin.h, so these declarations
 * are written from the API's documented contract; tests/vm/fuzz.sh loads the plugin into the
 * host's QEMU, which refuses a plugin whose qemu_plugin_version it does not support, and checks
 * that it reports.
 *
 * Later versions (QEMU 10.0 accepts 2 and up, no longer 1): version 2 removed functions flcov does
 * not use; version 3 made qemu_plugin_insn_data copy into the caller's buffer
 * (qemu_plugin_insn_data_v3 below, the same symbol). The rest is unchanged.
 *
 * Registers and memory (QEMU 9.0 and later; not in 7.2, so looked up with dlsym, never linked):
 * qemu_plugin_get_registers (from a vCPU's context) gives a GArray of descriptors, and
 * qemu_plugin_read_register, in a callback registered with QEMU_PLUGIN_CB_R_REGS, appends a
 * register's bytes to a GByteArray; qemu_plugin_read_memory_vaddr (QEMU 9.2 and later) reads guest
 * virtual memory into one. The GLib arrays are QEMU's (made and freed with QEMU's own GLib); only
 * their public heads are declared here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
#define QEMU_PLUGIN_VERSION 1

typedef uint64_t qemu_plugin_id_t;
/* the head of QEMU's struct, the same in every version */
typedef struct qemu_info_t {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_simple_cb_t)(qemu_plugin_id_t id, unsigned int vcpu_index);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
					   char **argv);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_register_vcpu_init_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags, void *userdata);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
typedef size_t (*qemu_plugin_insn_data_v3)(const struct qemu_plugin_insn *insn, void *dest,
					   size_t len);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_outs(const char *string);

/* GLib's GArray and GByteArray heads, and QEMU's register descriptor */
struct fl_garray {
	char *data;
	unsigned int len;
};
struct fl_gbytes {
	uint8_t *data;
	unsigned int len;
};
struct fl_reg_descriptor {
	void *handle;
	const char *name, *feature;
};
typedef struct fl_garray *(*qemu_plugin_get_registers_t)(void);
typedef int (*qemu_plugin_read_register_t)(void *handle, struct fl_gbytes *buf);
typedef bool (*qemu_plugin_read_memory_vaddr_t)(uint64_t addr, struct fl_gbytes *data, size_t len);
