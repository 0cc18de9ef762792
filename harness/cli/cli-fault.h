/* cli-fault.h — what the commands tell the user when something went wrong: every message names
 * the party at fault with one of these prefixes, and the exit status follows from the party.
 *
 *   usage:               the command line (an option, an argument, a file or folder it names)
 *   scenario error:      the scenario file (or what it refers to: seeds, sensors, formats)
 *   sensor error:        a sensor's folder: its sensor.yaml, its build, its start commands
 *   libvirt error:       libvirt or the host connection through it
 *   guest kernel crash:  the guest's kernel, where that is not the verdict of a case
 *   host error:          the machine faultline runs on (its files, folders, packages, processes)
 *   faultline bug:       faultline itself
 *
 * Only the commands print: library code returns -errno and keeps a reason (a string, or a
 * struct session_error) that the command prints with these helpers, on stderr, as
 * "faultline: PREFIX: message" ("FILE:LINE:COLUMN: PREFIX: message" for located problems).
 * The parties and their prefixes are the session's (enum session_fault, session.h).
 */
#pragma once

#include "session.h"
#include "util.h"

/* The exit status of a command that stops on it: 2 for the user's input (usage, scenario),
 * 1 for everything else. */
int cli_fault_exit_status(enum session_fault f);
void cli_error(enum session_fault f, const char *fmt, ...) _printf_(2, 3);
/* Located problems, one line each. */
struct diags;
void cli_error_diags(enum session_fault f, const struct diags *d);
/* Print why a session call failed, free the error, and return the exit status for it. */
int cli_session_failed(struct session_error *e);
