// SPDX-License-Identifier: Apache-2.0
/**
 * The emulated Xen 4.17 or 4.20: {@link org.xenffm.emulated.EmulatedHypervisor} implements
 * {@link org.xenffm.api.Hypervisor} in pure Java with the errno, state changes and vm_event bytes of the real
 * hypervisor on the configured host ({@link org.xenffm.emulated.HostConfig}, whose version is one of
 * {@link org.xenffm.api.XenVersion#SUPPORTED}), rule by rule from the project's specification, docs/xen-semantics.md.
 *
 * <h2>Shape</h2>
 * One file per hypercall family, mirroring the FFM backend: {@code Domains}, {@code Memshr}, {@code Altp2m},
 * {@code HostMemAccess}, {@code Monitor}; over a small core: {@code Host} (the big lock, the domains, the global
 * sharing counters and the host-p2m write path that propagates into altp2m views), {@code P2m}/{@code Entry}
 * (sparse, chunked; untouched RAM is implicit), {@code FrameTable}/{@code Frame} (implicit per-domain frames,
 * materialised when touched), {@code Domain}, {@code Vcpu}, {@code AltView}. The vm_event producer is
 * {@code VmEventRing} (offsets from the xen417 bindings in {@code VmEventLayout}); the consumer side of the doorbell
 * is {@link org.xenffm.emulated.EmulatedEventChannel}.
 *
 * <h2>Threading</h2>
 * Every hypercall and every guest operation runs under one lock, as in a hypervisor. Guest operations
 * ({@link org.xenffm.emulated.GuestCpu}) never block: a vCPU that raises a sync event is paused with the operation
 * pending and the call returns {@link org.xenffm.emulated.Outcome#PAUSED_ON_EVENT}; a full ring parks it
 * ({@code BLOCKED_RING_FULL}). Whenever a call changes what may run (a response processed on the consumer's
 * {@code notify} or {@code monitorResume}, an unpause, a slot freed), pending operations whose vCPU can run again are
 * re-executed — a memory access is retried from the fault (EMULATE only if the page still violates), a deferred CR/MSR
 * write is committed unless denied. {@link org.xenffm.emulated.GuestResult#await} waits for the final outcome.
 * A guest loop ({@code GuestCpu.cpuidLoop}) keeps a vCPU executing: once resumed, it runs its next instructions on
 * the thread that resumed it, so a consumer and a busy guest need no thread hand-off per event.
 * The event channel's own lock is only ever taken inside the hypervisor lock, never the reverse.
 *
 * <h2>Crashes</h2>
 * Call orders that panic real Xen 4.17.5 (an altp2m set_mem_access / change_gfn / set_suppress_ve that must unshare a
 * gfn the view has not copied: the §4.6 lock-order BUG) throw {@link org.xenffm.api.HypervisorCrashedException}; the
 * emulated host is dead afterwards and every call throws it.
 *
 * <h2>Not modelled</h2>
 * Page tables outside the virtual-address guest operations (a gfn access takes the gla the caller says; RIP's gfn
 * is RIP &gt;&gt; 12), instruction streams (a paused CPUID does not re-execute: the operation completes when
 * resumed), superpages, paging (mem_paging), grant mappings beyond a
 * gref → gfn table, IOMMU behaviour beyond the EXDEV gate, foreign-context event producers (EBUSY claims), PV guests'
 * memory. {@link org.xenffm.emulated.HostConfig#xen420()} (or {@code HostConfig.vtx(XenVersion.V4_20)},
 * {@code withVersion}) switches on the rows the spec marks ≥ 4.19/4.20 (altp2m
 * mode at creation, read-only HVM_PARAM_ALTP2M, view-default lazy copies, EEXIST fork of an altp2m parent, r_pw, IO);
 * master-only rows (nr_altp2m, CONFIG_ALTP2M) are not modelled.
 */
package org.xenffm.emulated;
