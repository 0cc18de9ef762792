/* virt-util.h — _cleanup_ helpers for libvirt handles (the generic ones are in base/util.h;
 * these live here because only fleet/ links libvirt).
 *
 * A variable declared with one of them is released on scope exit when it is not NULL;
 * TAKE_PTR() hands it out on success. Close or free only: a stream that was opened on a domain
 * must still be aborted (virStreamAbort) by the code that knows it was.
 */
#pragma once

#include <libvirt/libvirt.h>

#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(virConnectPtr, virConnectClose)
DEFINE_TRIVIAL_CLEANUP_FUNC(virDomainPtr, virDomainFree)
DEFINE_TRIVIAL_CLEANUP_FUNC(virStreamPtr, virStreamFree)

#define _cleanup_virConnect_ _cleanup_(virConnectClosep)
#define _cleanup_virDomain_ _cleanup_(virDomainFreep)
#define _cleanup_virStream_ _cleanup_(virStreamFreep)
