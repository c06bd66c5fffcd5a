/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xenffm.h - the one header jextract reads to produce org.xenffm.bindings.xen4NN.
 *
 * It only #includes the SYSTEM Xen headers (libxen-dev, or another header root given with -I);
 * no Xen header is ever copied into this repository.
 *
 * Order matters: xenctrl.h must come first. It defines __XEN_TOOLS__, which xen-compat.h and
 * xen/vm_event.h need; without it struct vm_event_st and the vm_event ring types are guarded
 * out and a jextract filter for them silently produces nothing.
 */
#ifndef XENFFM_H
#define XENFFM_H

/* xc_hvm_inject_trap (re-injecting a #BP a monitor intercepted, as xen-access does) is declared by
 * xenctrl_compat.h only under this define; no struct or constant changes with it. */
#define XC_WANT_COMPAT_DEVICEMODEL_API
#include <xenctrl.h>          /* xc_*; pulls xen/xen.h, domctl.h, sysctl.h, version.h, memory.h, hvm/params.h */
#include <xenevtchn.h>        /* event channel used to kick/notice the vm_event ring */
#include <xenforeignmemory.h> /* mapping the ring page and guest frames */
#include <xentoollog.h>       /* xentoollog_logger: an upcall logger for xc_interface_open */

#include <xen/xen.h>
#include <xen/io/ring.h>      /* DEFINE_RING_TYPES, used by vm_event.h */
#include <xen/vm_event.h>     /* vm_event_st (request == response), vm_event_sring */
#include <xen/memory.h>       /* xenmem_access_t, XENMEM_SHARING_OP_*_HANDLE_INVALID */
#include <xen/hvm/params.h>   /* HVM_PARAM_*, XEN_ALTP2M_* modes */
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/save.h>     /* hvm_save_descriptor, hvm_save_header, hvm_hw_cpu: xc_domain_hvm_getcontext* */
#include <xen/domctl.h>       /* xen_domctl_createdomain, xen_domctl_getdomaininfo, XEN_DOMCTL_* */

#include <poll.h>             /* poll(), struct pollfd, POLLIN: waiting on the event channel fd */
#include <sys/mman.h>         /* munmap(), PROT_READ/PROT_WRITE for xenforeignmemory_map */

#endif /* XENFFM_H */
