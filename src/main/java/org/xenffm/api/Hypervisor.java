// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.List;

/**
 * The one interface to Xen's memory sharing, altp2m, mem_access and monitor calls, implemented by the FFM backend
 * over libxenctrl ({@code org.xenffm.xen.XenHypervisor}) and by the emulator
 * ({@code org.xenffm.emulated.EmulatedHypervisor}). Method names are the libxenctrl names without {@code xc_}, in
 * camelCase. Every failure is a {@link XenException} carrying the C operation, domain, gfn/view and errno — the same
 * errno from both backends. Values that Xen numbers differently across versions (access rights) are Java enums.
 */
public interface Hypervisor extends AutoCloseable {

    // ---- host and domains ----------------------------------------------------------------------------------

    /** xc_version(XENVER_version). */
    XenVersion version();

    /** xc_physinfo. */
    PhysInfo physinfo();

    /**
     * xc_readconsolering (XEN_SYSCTL_readconsole): reads up to {@code maxChars} characters of Xen's console ring —
     * what {@code xl dmesg} shows. Non-incremental reads start at the oldest character still in the ring; an
     * incremental read starts at {@code index} (an index a previous read returned) if it still lies in the ring, else
     * at the oldest character. {@code clear} drops what was read from the ring (as {@code xl dmesg -c}). Changes
     * nothing else.
     *
     * @throws XenException EPERM (not dom0 / XSM denies XEN_SYSCTL_readconsole), EFAULT (buffer not accessible)
     */
    ConsoleChunk readConsoleRing(int maxChars, boolean clear, boolean incremental, int index);

    /**
     * The whole console ring, oldest line first, as {@code xl dmesg} prints it: repeated incremental
     * {@code xc_readconsolering} calls (16 KiB each, from index 0, i.e. the oldest character) until one returns
     * nothing, as libxl's console reader does. {@code clear} empties the ring of what was read ({@code xl dmesg -c}).
     *
     * @throws XenException as {@link #readConsoleRing(int, boolean, boolean, int)}
     */
    default String readConsoleRing(boolean clear) {
        StringBuilder out = new StringBuilder();
        ConsoleChunk c = readConsoleRing(16384, clear, true, 0);
        while (!c.text().isEmpty()) {
            out.append(c.text());
            c = readConsoleRing(16384, clear, true, c.index());
        }
        return out.toString();
    }

    /** xc_domain_getinfolist for one domain; ESRCH when it does not exist. */
    DomainInfo domainGetinfo(DomainId domain);

    /**
     * xc_domain_getinfolist: up to {@code max} existing domains with id ≥ {@code first} (below DOMID_FIRST_RESERVED,
     * 0x7ff0), in id order. A large {@code max} ("every domain") costs no more than the domains that exist: the FFM
     * backend fetches in batches.
     */
    List<DomainInfo> domainGetinfolist(DomainId first, int max);


    /**
     * xc_domain_create (+ xc_domain_max_vcpus); the new domain is paused by the toolstack, as Xen creates it. A
     * creation-time altp2m mode needs Xen ≥ 4.19 ({@link DomainConfig#checkExpressibleOn}: on 4.17 an
     * {@link UnsupportedOnThisXenException} before the call).
     */
    DomainId domainCreate(DomainConfig config);

    /** xc_domain_destroy: relinquishes shared pages; destroying a fork unpauses its parent once. */
    void domainDestroy(DomainId domain);

    void domainPause(DomainId domain);

    void domainUnpause(DomainId domain);

    /**
     * xc_domain_maximum_gpfn (XENMEM_maximum_gpfn): the highest gfn the domain's p2m has ever mapped
     * (p2m->max_mapped_pfn). It grows with {@link #domainPopulatePhysmapExact} beyond it and never shrinks when a
     * page is dropped ({@link #domainDecreaseReservationExact}).
     *
     * @throws XenException ESRCH no such domain
     */
    long domainMaximumGpfn(DomainId domain);

    /**
     * xc_domain_setmaxmem (XEN_DOMCTL_max_mem): sets d->max_pages to {@code maxMemKb / 4} (clamped to 2³²−1). Lowering
     * it below the domain's tot_pages is allowed ("ratchet down"): nothing is freed, but every allocation fails until
     * tot_pages is below it again.
     *
     * @throws XenException ESRCH no such domain
     */
    void domainSetmaxmem(DomainId domain, long maxMemKb);

    /**
     * xc_domain_populate_physmap_exact with order-0 extents and no flags (XENMEM_populate_physmap): allocates a fresh
     * zeroed page for each gfn and maps it (ram_rw, the p2m's default access; an altp2m view that holds the gfn takes
     * the new entry, p2m_altp2m_propagate_change). A gfn that already maps a page is re-mapped to the new one (a
     * shared page is unshared first); gfns beyond {@link #domainMaximumGpfn} raise it. Gfns are handled in order and
     * the first failure stops the call, so earlier gfns stay populated.
     *
     * @throws XenException EBUSY not every gfn was populated (libxc's errno for a short count): tot_pages reached
     *                      max_pages ({@link #domainSetmaxmem}) or the host is out of memory; ESRCH no such domain
     */
    void domainPopulatePhysmapExact(DomainId domain, List<Gfn> gfns);

    /**
     * xc_domain_decrease_reservation_exact with order-0 extents (XENMEM_decrease_reservation → guest_remove_page):
     * drops each gfn's page from the domain (tot_pages − 1, the frame freed). A shared gfn is unshared first, so its
     * sharing reference is released (shr_pages − 1; the freed-pages counter drops by one, or the used-frames counter
     * when it was the last reference). The dropped host entry is pushed into the altp2m views
     * (altp2m.c:p2m_altp2m_propagate_change): a view whose remapped range [min_remapped_gfn, max_remapped_gfn]
     * contains the gfn is reset (every entry and remap dropped; all active views when two or more are hit), any other
     * view holding the gfn loses that entry. Gfns are handled in order; the first failure stops the call.
     *
     * @throws XenException EINVAL not every gfn was dropped (libxc's errno for a short count): a gfn with no page
     *                      (a hole, already dropped, or never populated in a fork), or unsharing needed memory the host
     *                      lacks; ESRCH no such domain
     */
    void domainDecreaseReservationExact(DomainId domain, List<Gfn> gfns);

    // ---- vCPU registers (HVM save records) ------------------------------------------------------------------------

    /**
     * xc_domain_hvm_getcontext_partial(HVM_SAVE_CODE(CPU), vcpu): one vCPU's CPU save record (struct hvm_hw_cpu),
     * read with the vCPU paused for the copy (save.c:hvm_save_one), as LibVMI reads registers.
     *
     * @throws XenException ENOENT no such vCPU; EINVAL the domain is dying, not HVM, or is the caller; ESRCH no such
     *                      domain
     */
    X86Registers domainHvmGetcontextPartial(DomainId domain, VcpuId vcpu);

    /**
     * xc_domain_hvm_getcontext (XEN_DOMCTL_gethvmcontext): the whole HVM save context, with the domain paused for
     * the copy: the header, every vCPU's CPU record and the other device records.
     *
     * @throws XenException EINVAL not HVM or the caller itself; ESRCH no such domain
     */
    HvmContext domainHvmGetcontext(DomainId domain);

    /**
     * xc_domain_hvm_setcontext (XEN_DOMCTL_sethvmcontext → save.c:hvm_load): loads a context with the domain paused.
     * Like Xen, every vCPU is taken down first and only those with a CPU record in the context come back up: write
     * registers as LibVMI does, by changing one record of the whole context ({@link HvmContext#withCpu}).
     *
     * @throws XenException ENODATA no header record, or no END record; EINVAL bad magic or version, an unknown
     *                      typecode, a CPU record for a vCPU the domain lacks or with invalid control registers
     *                      (CR0 reserved bits, PG without PE, no ET; CR4 bits the domain may not set; EFER
     *                      inconsistent with CR0), a dying domain, not HVM; ESRCH no such domain
     */
    void domainHvmSetcontext(DomainId domain, HvmContext context);

    long hvmParamGet(DomainId domain, HvmParam param);

    /**
     * xc_hvm_param_set. HVM_PARAM_ALTP2M changes once on 4.17 and is read-only on ≥ 4.19 (EEXIST for every value);
     * org.xenffm.safe.Altp2mSetup prepares altp2m the right way on each.
     */
    void hvmParamSet(DomainId domain, HvmParam param, long value);

    /** xc_domain_set_access_required: with no monitor ring, a violation crashes the domain instead of relaxing. */
    void domainSetAccessRequired(DomainId domain, boolean required);

    /**
     * xc_hvm_inject_trap (XEN_DMOP_inject_event, hvm/dm.c:inject_event): queues one event for the vCPU's next VM
     * entry, where hvm_do_resume injects it (unless the CPU already has an event pending) and clears the slot. The
     * way a monitor re-injects a #BP it intercepted (xen-access: vector 3, type 6, the event's insn length).
     *
     * @param vector    0..255 (uint8_t)
     * @param type      X86_EVENTTYPE_*, 0..255 (uint8_t): 0 external interrupt, 2 NMI, 3 hardware exception,
     *                  4 software interrupt, 5 privileged software exception (ICEBP), 6 software exception (INT3/INTO)
     * @param errorCode the error code, or -1 (X86_EVENT_NO_EC) for none
     * @param insnLen   length of the instruction for software events, 0..255 (uint8_t)
     * @param cr2       the faulting address of a #PF
     * @throws XenException EBUSY while an earlier injection is still pending on that vCPU; EINVAL for a vCPU the
     *                      domain does not have or a non-HVM domain; ESRCH no such domain; EPERM the caller itself
     * @throws IllegalArgumentException vector, type or insnLen outside 0..255 (C would truncate them)
     */
    void hvmInjectTrap(DomainId domain, VcpuId vcpu, int vector, int type, int errorCode, int insnLen, long cr2);

    /** The uint8_t arguments of {@link #hvmInjectTrap}, checked once for both backends. */
    static void checkInjectTrap(int vector, int type, int insnLen) {
        if ((vector & ~0xff) != 0) throw new IllegalArgumentException("vector " + vector + " is not a uint8_t");
        if ((type & ~0xff) != 0) throw new IllegalArgumentException("event type " + type + " is not a uint8_t");
        if ((insnLen & ~0xff) != 0) throw new IllegalArgumentException("insn length " + insnLen + " is not a uint8_t");
    }

    /** xenforeignmemory_map of the given gfns, read-only or writable. */
    ForeignMapping foreignMemoryMap(DomainId domain, boolean writable, List<Gfn> gfns);

    // ---- mem_sharing (xc_memshr_*, xc_sharing_*) -----------------------------------------------------------

    void memshrControl(DomainId domain, boolean enable);

    SharingHandle memshrNominateGfn(DomainId domain, Gfn gfn);

    SharingHandle memshrNominateGref(DomainId domain, GrantRef gref);

    void memshrShareGfns(DomainId source, Gfn sourceGfn, SharingHandle sourceHandle,
                         DomainId client, Gfn clientGfn, SharingHandle clientHandle);

    void memshrShareGrefs(DomainId source, GrantRef sourceGref, SharingHandle sourceHandle,
                          DomainId client, GrantRef clientGref, SharingHandle clientHandle);

    void memshrAddToPhysmap(DomainId source, Gfn sourceGfn, SharingHandle sourceHandle,
                            DomainId client, Gfn clientGfn);

    /** Both domains must be paused; per-gfn failures in the middle are lost (Xen's semantics, §3.6). */
    void memshrRangeShare(DomainId source, DomainId client, Gfn first, Gfn last);

    /** Number of inconsistencies (debug hypervisors); EOPNOTSUPP on release builds. */
    int memshrAudit();

    /** Number of gfns sharing the frame behind this gfn; EINVAL if it is not shared. */
    int memshrDebugGfn(DomainId domain, Gfn gfn);

    int memshrDebugGref(DomainId domain, GrantRef gref);

    /** The child must exist, be paused by the toolstack and have the parent's vCPU count; Xen pauses the parent. */
    void memshrFork(DomainId parent, DomainId child, boolean allowWithIommu, boolean blockInterrupts);

    void memshrForkReset(DomainId child, boolean resetState, boolean resetMemory);

    /** xc_memshr_ring_enable: the ENOMEM helper ring (needs a PV control domain); returns the remote port. */
    int memshrRingEnable(DomainId domain);

    void memshrRingDisable(DomainId domain);

    void memshrDomainResume(DomainId domain);

    long sharingFreedPages();

    long sharingUsedFrames();

    // ---- altp2m (xc_altp2m_*) --------------------------------------------------------------------------------

    boolean altp2mGetDomainState(DomainId domain);

    void altp2mSetDomainState(DomainId domain, boolean active);

    void altp2mSetVcpuEnableNotify(DomainId domain, VcpuId vcpu, Gfn veInfoGfn);

    void altp2mSetVcpuDisableNotify(DomainId domain, VcpuId vcpu);

    ViewId altp2mCreateView(DomainId domain, MemAccess defaultAccess);

    void altp2mDestroyView(DomainId domain, ViewId view);

    void altp2mSwitchToView(DomainId domain, ViewId view);

    ViewId altp2mGetVcpuP2mIdx(DomainId domain, VcpuId vcpu);

    void altp2mSetVisibility(DomainId domain, ViewId view, boolean visible);

    void altp2mSetSuppressVe(DomainId domain, ViewId view, Gfn gfn, boolean suppress);

    /** xc_altp2m_set_supress_ve_multi (sic): the call succeeds and reports the first per-gfn error. */
    SuppressVeResult altp2mSetSuppressVeMulti(DomainId domain, ViewId view, Gfn first, Gfn last, boolean suppress);

    boolean altp2mGetSuppressVe(DomainId domain, ViewId view, Gfn gfn);

    /** View 0 means the host p2m here. */
    void altp2mSetMemAccess(DomainId domain, ViewId view, Gfn gfn, MemAccess access);

    void altp2mSetMemAccessMulti(DomainId domain, ViewId view, List<GfnAccess> entries);

    MemAccess altp2mGetMemAccess(DomainId domain, ViewId view, Gfn gfn);

    /** View 0 means altp2m slot 0 here, not the host. {@code newGfn} = {@link Gfn#INVALID} removes the remap. */
    void altp2mChangeGfn(DomainId domain, ViewId view, Gfn oldGfn, Gfn newGfn);

    // ---- host mem_access (xc_set_mem_access, …) ---------------------------------------------------------------

    /** Sets {@code nr} gfns from {@code first}; {@code first} = {@link Gfn#INVALID} sets the default access. */
    void setMemAccess(DomainId domain, MemAccess access, Gfn first, int nr);

    void setMemAccessMulti(DomainId domain, List<GfnAccess> entries);

    MemAccess getMemAccess(DomainId domain, Gfn gfn);

    // ---- monitor / vm_event ------------------------------------------------------------------------------------

    /** xc_vm_event_get_version: the vm_event interface version of the running hypervisor (7 on 4.15+). */
    int vmEventGetVersion();

    /** Maps the ring page and returns it with Xen's port. The page is unmapped by {@link #monitorDisable}. */
    MonitorRing monitorEnable(DomainId domain);

    void monitorDisable(DomainId domain);

    void monitorResume(DomainId domain);

    java.util.Set<MonitorEvent> monitorGetCapabilities(DomainId domain);

    void monitorWriteCtrlreg(DomainId domain, ControlRegister reg, boolean enable, boolean sync, long bitmask,
                             boolean onChangeOnly);

    void monitorMovToMsr(DomainId domain, int msr, boolean enable, boolean onChangeOnly);

    void monitorSingleStep(DomainId domain, boolean enable);

    void monitorSoftwareBreakpoint(DomainId domain, boolean enable);

    void monitorDescriptorAccess(DomainId domain, boolean enable);

    void monitorGuestRequest(DomainId domain, boolean enable, boolean sync, boolean allowUserspace);

    /** {@code disable} = true suppresses mem_access events raised by guest page-table walks (Xen's naming). */
    void monitorInguestPagefault(DomainId domain, boolean disable);

    void monitorDebugExceptions(DomainId domain, boolean enable, boolean sync);

    void monitorCpuid(DomainId domain, boolean enable);

    void monitorPrivilegedCall(DomainId domain, boolean enable);

    void monitorEmulUnimplemented(DomainId domain, boolean enable);

    void monitorVmexit(DomainId domain, boolean enable, boolean sync);

    void monitorEmulateEachRep(DomainId domain, boolean enable);

    /** xc_monitor_io (Xen ≥ 4.18); on 4.17 an {@link UnsupportedOnThisXenException}. */
    void monitorIo(DomainId domain, boolean enable);

    /** xenevtchn_open: an event-channel handle for ring consumers. */
    EventChannel eventChannelOpen();

    /** Releases the handle and everything mapped through it; idempotent. */
    @Override void close();
}
