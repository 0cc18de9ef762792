# usermode.mk — included by the Makefiles of the user-mode sensor designs: the shared runtime
# (lib-usermode) and interpreter (lib-kscu) sources, and the two static tools every design
# ships: supervise (the Restart=on-failure supervisor) and sensorctl (the control-socket client).
#
# The including Makefile sets OUT (the build directory; nothing is written in the source tree)
# before including this file.
USERMODE := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
KSCU := $(abspath $(USERMODE)/../lib-kscu)

ifeq ($(OUT),)
$(error set OUT=<build directory>; nothing is built in the source tree)
endif
OUTABS := $(abspath $(OUT))

.DEFAULT_GOAL := all
CC ?= gcc
# an arm64 guest's build (FAULTLINE_ARCH=arm64, guests/sensors/CONTRACT.md): the cross compiler
ifneq ($(CROSS_COMPILE),)
CC := $(CROSS_COMPILE)gcc
endif
# -fno-omit-frame-pointer: the crash reporter (crash.c) walks frame pointers; -g: symbolized
# sanitizer reports, whose source paths read "sensors/lib-kscu/kscu.c:69" wherever the tree is.
BASE_CFLAGS := -std=gnu11 -O2 -g -fno-omit-frame-pointer -Wall -Wextra -Werror \
	-ffile-prefix-map=$(abspath $(USERMODE)/..)=sensors -I$(USERMODE) -I$(KSCU)
STATIC_LDFLAGS := -static

KSCU_SRCS := $(KSCU)/kscu.c
RUNTIME_SRCS := $(USERMODE)/crash.c $(USERMODE)/ctl.c $(USERMODE)/daemon.c $(USERMODE)/notify.c \
	$(USERMODE)/procconn.c $(USERMODE)/readfile.c
RUNTIME_HDRS := $(wildcard $(USERMODE)/*.h) $(KSCU)/kscu.h $(USERMODE)/usermode.mk

$(OUTABS)/supervise: $(USERMODE)/supervise.c $(USERMODE)/readfile.c $(USERMODE)/readfile.h
	@mkdir -p $(OUTABS)
	$(CC) $(BASE_CFLAGS) -o $@ $(USERMODE)/supervise.c $(USERMODE)/readfile.c $(STATIC_LDFLAGS)

$(OUTABS)/sensorctl: $(USERMODE)/sensorctl.c
	@mkdir -p $(OUTABS)
	$(CC) $(BASE_CFLAGS) -o $@ $< $(STATIC_LDFLAGS)

USERMODE_TOOLS := $(OUTABS)/supervise $(OUTABS)/sensorctl
