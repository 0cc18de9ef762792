/* cli.h — the subcommands of the faultline binary. Each takes (argc, argv) with argv[0] the
 * command name, parses its own options with getopt_long, prints for the user, and returns the
 * process exit status: 0 all expectations held, 1 a case fell short or a regression was found,
 * 2 usage or input error. */
#pragma once

int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);  /* reports/cli-report.c */
int cmd_compare(int argc, char **argv); /* reports/cli-compare.c */
