// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.List;

/**
 * The one interface to Xen's memory sharing, altp2m, mem_access and monitor calls, implemented by the FFM backend
 * over libxenctrl ({@code org.xenffm.xen.XenHypervisor}) and by the emulator
 * ({@code org.xenffm.emulated.EmulatedHypervisor}). Method names are the libxenctrl names without {@code xc_}, in
 * camelCase. Every failure is a {@link XenException} carrying the C operation, domain, gfn/view and errno — the same
 * errno from both backends. Values that Xen numbers differently across versions (access rights) are Java enums.
 *
 * <p>Errors every method taking a domain can raise, not repeated below: {@link Errno#ESRCH} the domain does not
 * exist. Calls that Xen makes on a "live remote" domain (the mem_sharing memops and {@code XENMEM_access_op}) also
 * raise {@link Errno#EPERM} when the target is the caller's own domain (dom0) and {@link Errno#EINVAL} while it is
 * dying (common/domain.c:rcu_lock_live_remote_domain_by_id). Arguments a release cannot express (an
 * {@link MemAccess#R_PW} before 4.20, a call that release lacks) are refused with
 * {@link UnsupportedOnThisXenException} before anything changes. A call sequence that panics real Xen throws
 * {@link HypervisorCrashedException} on the emulator. Any call after {@link #close()} throws
 * {@link IllegalStateException}. The rules and their Xen sources are in docs/xen-semantics.md; the
 * section numbers below point there.
 */
public interface Hypervisor extends AutoCloseable {

    // ---- host and domains ----------------------------------------------------------------------------------

    /**
     * xc_version(XENVER_version): the running hypervisor's release. Changes nothing and does not fail once the
     * handle is open.
     *
     * @return the major.minor release, e.g. 4.17
     */
    XenVersion version();

    /**
     * xc_physinfo (XEN_SYSCTL_physinfo): CPUs, memory and the virtualisation capabilities of the host. Changes
     * nothing; raises no errno a dom0 caller can provoke.
     *
     * @return the host's CPU count, total and free pages and its HVM/HAP/VMX/SVM capabilities
     */
    PhysInfo physinfo();

    /**
     * xc_readconsolering (XEN_SYSCTL_readconsole): reads up to {@code maxChars} characters of Xen's console ring —
     * what {@code xl dmesg} shows. Non-incremental reads start at the oldest character still in the ring; an
     * incremental read starts at {@code index} (an index a previous read returned) if it still lies in the ring, else
     * at the oldest character. {@code clear} drops what was read from the ring (as {@code xl dmesg -c}). Changes
     * nothing else.
     *
     * @param maxChars    the most characters to read
     * @param clear       drop what was read from the ring
     * @param incremental start at {@code index} rather than at the oldest character
     * @param index       where an incremental read starts (an index a previous read returned)
     * @return the text read and the index to continue from
     * @throws XenException EPERM (not dom0 / XSM denies XEN_SYSCTL_readconsole), EFAULT (buffer not accessible)
     */
    ConsoleChunk readConsoleRing(int maxChars, boolean clear, boolean incremental, int index);

    /**
     * The whole console ring, oldest line first, as {@code xl dmesg} prints it: repeated incremental
     * {@code xc_readconsolering} calls (16 KiB each, from index 0, i.e. the oldest character) until one returns
     * nothing, as libxl's console reader does. {@code clear} empties the ring of what was read ({@code xl dmesg -c}).
     *
     * @param clear empty the ring of what was read
     * @return the ring's text
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

    /**
     * xc_domain_getinfolist for one domain. Changes nothing.
     *
     * @param domain the domain to describe
     * @return its state (dying, shut down, paused), kind (HVM, HAP), page counts and vCPUs
     * @throws XenException ESRCH when the domain does not exist
     */
    DomainInfo domainGetinfo(DomainId domain);

    /**
     * xc_domain_getinfolist: up to {@code max} existing domains with id ≥ {@code first} (below DOMID_FIRST_RESERVED,
     * 0x7ff0), in id order. A large {@code max} ("every domain") costs no more than the domains that exist: the FFM
     * backend fetches in batches. Changes nothing; an empty list when no domain qualifies.
     *
     * @param first the lowest domain id to list (dom0 is 0)
     * @param max   the most domains to return, at least 0
     * @return the domains found, in id order
     * @throws IllegalArgumentException {@code max} is negative (FFM backend; the emulator returns an empty list)
     */
    List<DomainInfo> domainGetinfolist(DomainId first, int max);


    /**
     * xc_domain_create (+ xc_domain_max_vcpus): a new, empty domain (no RAM, no guest), paused by the toolstack
     * (controller pause count 1), as Xen creates it — ready to be a {@link #memshrFork} child. A creation-time
     * altp2m mode needs Xen ≥ 4.19 ({@link DomainConfig#checkExpressibleOn}: on 4.17 an
     * {@link UnsupportedOnThisXenException} before the call).
     *
     * @param config vCPUs, HVM/HAP, the altp2m mode (≥ 4.19) and the page limit
     * @return the new domain's id
     * @throws XenException EINVAL for a configuration Xen refuses (an altp2m mode on a domain without HVM and HAP:
     *                      arch/x86/domain.c:arch_sanitise_domain_config; on the emulator also no vCPU or HAP
     *                      without HVM); ENOMEM when the host has no memory or domain id left
     * @throws IllegalArgumentException on the FFM backend, before the call: no vCPU, HAP without HVM, or a non-zero
     *                      {@code maxPages} (xc_domain_setmaxmem is not bound; a fork child takes its parent's)
     */
    DomainId domainCreate(DomainConfig config);

    /**
     * xc_domain_destroy (common/domain.c:domain_kill): the domain starts dying, its shared pages are relinquished
     * (every shared gfn drops its reference, the sharing counters move as in §3.13), its vm_event rings go, and
     * destroying a fork unpauses its parent once (§3.9). Destroying a dying domain again is allowed.
     *
     * @param domain the domain to destroy
     * @throws XenException EINVAL when the domain is the caller's own
     */
    void domainDestroy(DomainId domain);

    /**
     * xc_domain_pause (XEN_DOMCTL_pausedomain): raises the domain's controller pause count; its vCPUs stop until an
     * equal number of {@link #domainUnpause} calls. Pauses Xen takes itself (a fork's parent, vm_event) are separate.
     *
     * @param domain the domain to pause
     * @throws XenException EINVAL when the domain is the caller's own (common/domctl.c)
     */
    void domainPause(DomainId domain);

    /**
     * xc_domain_unpause (domain.c:domain_unpause_by_systemcontroller): lowers the controller pause count; the
     * domain runs when it reaches 0 and no Xen-internal pause remains (a fork's parent stays paused while it has
     * forks, §3.10).
     *
     * @param domain the domain to unpause
     * @throws XenException EINVAL when the controller pause count is already 0 (or the domain is the caller's own)
     */
    void domainUnpause(DomainId domain);

    /**
     * xc_domain_maximum_gpfn (XENMEM_maximum_gpfn): the highest gfn the domain's p2m has ever mapped
     * (p2m->max_mapped_pfn). It grows with {@link #domainPopulatePhysmapExact} beyond it and never shrinks when a
     * page is dropped ({@link #domainDecreaseReservationExact}). Changes nothing.
     *
     * @param domain the domain
     * @return the p2m's max_mapped_pfn
     * @throws XenException ESRCH no such domain
     */
    long domainMaximumGpfn(DomainId domain);

    /**
     * xc_domain_setmaxmem (XEN_DOMCTL_max_mem): sets d->max_pages to {@code maxMemKb / 4} (clamped to 2³²−1). Lowering
     * it below the domain's tot_pages is allowed ("ratchet down"): nothing is freed, but every allocation fails until
     * tot_pages is below it again.
     *
     * @param domain   the domain
     * @param maxMemKb the new limit in KiB
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
     * @param domain the domain
     * @param gfns   the gfns to populate, in order
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
     * @param domain the domain
     * @param gfns   the gfns to drop, in order
     * @throws XenException EINVAL not every gfn was dropped (libxc's errno for a short count): a gfn with no page
     *                      (a hole, already dropped, or never populated in a fork), or unsharing needed memory the host
     *                      lacks; ESRCH no such domain
     */
    void domainDecreaseReservationExact(DomainId domain, List<Gfn> gfns);

    // ---- vCPU registers (HVM save records) ------------------------------------------------------------------------

    /**
     * xc_domain_hvm_getcontext_partial(HVM_SAVE_CODE(CPU), vcpu): one vCPU's CPU save record (struct hvm_hw_cpu),
     * read with the vCPU paused for the copy (save.c:hvm_save_one), as LibVMI reads registers. Changes nothing.
     *
     * @param domain the HVM domain
     * @param vcpu   the vCPU
     * @return its registers
     * @throws XenException ENOENT no such vCPU; EINVAL the domain is dying, not HVM, or is the caller; ESRCH no such
     *                      domain
     */
    X86Registers domainHvmGetcontextPartial(DomainId domain, VcpuId vcpu);

    /**
     * xc_domain_hvm_getcontext (XEN_DOMCTL_gethvmcontext): the whole HVM save context, with the domain paused for
     * the copy: the header, every vCPU's CPU record and the other device records. Changes nothing.
     *
     * @param domain the HVM domain
     * @return the save records, in Xen's order
     * @throws XenException EINVAL not HVM or the caller itself; ESRCH no such domain
     */
    HvmContext domainHvmGetcontext(DomainId domain);

    /**
     * xc_domain_hvm_setcontext (XEN_DOMCTL_sethvmcontext → save.c:hvm_load): loads a context with the domain paused.
     * Like Xen, every vCPU is taken down first and only those with a CPU record in the context come back up: write
     * registers as LibVMI does, by changing one record of the whole context ({@link HvmContext#withCpu}).
     *
     * @param domain  the HVM domain
     * @param context the records to load, typically {@link #domainHvmGetcontext}'s with one CPU record changed
     * @throws XenException ENODATA no header record, or no END record; EINVAL bad magic or version, an unknown
     *                      typecode, a CPU record for a vCPU the domain lacks or with invalid control registers
     *                      (CR0 reserved bits, PG without PE, no ET; CR4 bits the domain may not set; EFER
     *                      inconsistent with CR0), a dying domain, not HVM; ESRCH no such domain
     */
    void domainHvmSetcontext(DomainId domain, HvmContext context);

    /**
     * xc_hvm_param_get (HVMOP_get_param). Changes nothing.
     *
     * @param domain the HVM domain
     * @param param  the parameter, e.g. {@link HvmParam#ALTP2M} or {@link HvmParam#MONITOR_RING_PFN}
     * @return the parameter's value (0 when never set)
     * @throws XenException EINVAL for a non-HVM domain or an index beyond HVM_NR_PARAMS
     */
    long hvmParamGet(DomainId domain, HvmParam param);

    /**
     * xc_hvm_param_set (HVMOP_set_param, hvm.c:hvm_allow_set_param): sets one HVM parameter.
     * HVM_PARAM_ALTP2M changes once on 4.17 and is read-only on ≥ 4.19 (§4.1);
     * {@code org.xenffm.safe.Altp2mSetup} prepares altp2m the right way on each.
     *
     * @param domain the HVM domain
     * @param param  the parameter
     * @param value  its new value
     * @throws XenException EINVAL for a non-HVM domain, an index beyond HVM_NR_PARAMS or an altp2m mode above 3
     *                      (limited); EEXIST for HVM_PARAM_ALTP2M on ≥ 4.19 (every value) and on 4.17 when a
     *                      non-zero mode would change to another value
     */
    void hvmParamSet(DomainId domain, HvmParam param, long value);

    /**
     * xc_domain_set_access_required (XEN_DOMCTL_set_access_required): sets {@code access_required} on the host p2m
     * and every altp2m view. With it set and no monitor ring, a mem_access violation crashes the domain instead of
     * relaxing the page to rwx (§5.3 step 3).
     *
     * @param domain   the domain
     * @param required whether violations need a listener
     * @throws XenException EPERM when the domain is the caller's own
     */
    void domainSetAccessRequired(DomainId domain, boolean required);

    /**
     * xc_hvm_inject_trap (XEN_DMOP_inject_event, hvm/dm.c:inject_event): queues one event for the vCPU's next VM
     * entry, where hvm_do_resume injects it (unless the CPU already has an event pending) and clears the slot. The
     * way a monitor re-injects a #BP it intercepted (xen-access: vector 3, type 6, the event's insn length).
     *
     * @param domain    the HVM domain
     * @param vcpu      the vCPU to inject into
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

    /**
     * The uint8_t arguments of {@link #hvmInjectTrap}, checked once for both backends before any hypercall.
     *
     * @param vector  the vector to check
     * @param type    the event type to check
     * @param insnLen the instruction length to check
     * @throws IllegalArgumentException an argument outside 0..255
     */
    static void checkInjectTrap(int vector, int type, int insnLen) {
        if ((vector & ~0xff) != 0) throw new IllegalArgumentException("vector " + vector + " is not a uint8_t");
        if ((type & ~0xff) != 0) throw new IllegalArgumentException("event type " + type + " is not a uint8_t");
        if ((insnLen & ~0xff) != 0) throw new IllegalArgumentException("insn length " + insnLen + " is not a uint8_t");
    }

    /**
     * xenforeignmemory_map (privcmd IOCTL_PRIVCMD_MMAPBATCH_V2) of the given gfns, read-only or writable. Each
     * mapped page holds an extra reference while the mapping is open, so nominating it fails with E2BIG (§3.3 step
     * 6); a writable mapping unshares a shared page and populates a fork's hole (§3.7, §3.10), a read-only one
     * populates a fork's hole as shared.
     *
     * @param domain   the domain whose memory to map
     * @param writable PROT_READ|PROT_WRITE instead of PROT_READ
     * @param gfns     the frames, in the order they appear in {@link ForeignMapping#memory()}
     * @return the mapping; close it to drop the references
     * @throws XenException EINVAL when a gfn has no RAM behind it (a hole, or nothing a fork's ancestors have): the
     *                      whole call fails and nothing stays mapped
     */
    ForeignMapping foreignMemoryMap(DomainId domain, boolean writable, List<Gfn> gfns);

    // ---- mem_sharing (xc_memshr_*, xc_sharing_*) -----------------------------------------------------------

    /**
     * xc_memshr_control (XEN_DOMCTL_mem_sharing_op, mem_sharing.c:mem_sharing_control): turns mem_sharing on or off
     * for the domain (§3.1). Disabling only clears the flag: pages already shared stay shared. Every sharing memop
     * enables sharing on its first domain by itself, so only a client domain needs this call.
     *
     * @param domain the domain
     * @param enable on or off
     * @throws XenException ENOSYS the hypervisor was built without mem_sharing; enabling: EOPNOTSUPP the domain is
     *                      not HVM or the host has no VT-x, ENODEV the domain does not use HAP, EXDEV the domain
     *                      has an IOMMU
     */
    void memshrControl(DomainId domain, boolean enable);

    /**
     * xc_memshr_nominate_gfn (XENMEM_sharing_op_nominate_gfn, mem_sharing.c:nominate_page): makes the page at
     * {@code gfn} sharable (§3.3). Its host entry becomes ram_shared with the host default access (a custom host
     * access on that gfn is lost, and the change reaches every altp2m view holding the gfn, §4.8); the page gets
     * the next handle of the host-wide counter (the first after boot is 2) and {@link #sharingUsedFrames()} grows
     * by one. Nominating an already shared gfn changes nothing and returns its current handle.
     *
     * @param domain the domain owning the page
     * @param gfn    the guest frame
     * @return the page's sharing handle, for {@link #memshrShareGfns} or {@link #memshrAddToPhysmap}
     * @throws XenException EINVAL when there is no page at gfn (hole, never populated), the entry is not ordinary RAM
     *                      (read-only, MMIO, grant, foreign), the page is a Xen-heap page, or an active altp2m view
     *                      holds the gfn with another frame or another access (step 5); E2BIG when something else holds
     *                      a reference to the page (a foreign mapping, a grant map); EEXIST when the page already has a
     *                      type reference; EBUSY while the domain is dying; ENOMEM; and ENOSYS when the hypervisor was
     *                      built without mem_sharing (CONFIG_MEM_SHARING, §0); the auto-enable errors of {@link
     *                      #memshrControl} for {@code domain} (EOPNOTSUPP, ENODEV, EXDEV)
     */
    SharingHandle memshrNominateGfn(DomainId domain, Gfn gfn);

    /**
     * xc_memshr_nominate_gref: {@link #memshrNominateGfn} of the gfn the domain granted under {@code gref}
     * (grant_table.c:mem_sharing_gref_to_gfn, v1 grant table).
     *
     * @param domain the granting domain
     * @param gref   the grant reference
     * @return the page's sharing handle
     * @throws XenException ENOENT the reference lies beyond the domain's grant table; ENXIO the entry was never
     *                      granted; otherwise as {@link #memshrNominateGfn}
     */
    SharingHandle memshrNominateGref(DomainId domain, GrantRef gref);

    /**
     * xc_memshr_share_gfns (XENMEM_sharing_op_share, mem_sharing.c:share_pages): merges the client's nominated page
     * into the source's (§3.4). Every gfn that mapped the client page now maps the source frame (ram_shared, each
     * domain's host default access, pushed into the views), the client page is freed and its handle dies;
     * {@link #sharingUsedFrames()} drops by one and {@link #sharingFreedPages()} grows by one. Two gfns already on the
     * same frame return at once, whatever the handles. A gfn with bit 62 set ({@link Gfn#INVALID} too) is read by Xen
     * as a grant reference, its low 32 bits (XENMEM_SHARING_OP_FIELD_IS_GREF_FLAG; libxc passes the gfn unchanged).
     *
     * @param source       the domain whose page survives
     * @param sourceGfn    its gfn
     * @param sourceHandle the handle {@link #memshrNominateGfn} returned for it
     * @param client       the domain whose page is merged away (sharing must be enabled on it)
     * @param clientGfn    its gfn
     * @param clientHandle the handle of the client page
     * @throws XenException ECHILD (XENMEM_SHARING_OP_S_HANDLE_INVALID, -10) the source page is not shared or its handle
     *                      differs; EBADF (XENMEM_SHARING_OP_C_HANDLE_INVALID, -9) the same for the client page — when
     *                      neither is shared, the page with the lower frame number decides which; EINVAL sharing is not
     *                      enabled on the client, or the client is the caller itself or dying (EPERM / EINVAL as for
     *                      the source); ENOENT / ENXIO a gfn with bit 62 set, read as a grant reference, lies beyond
     *                      the grant table / was never granted (§9.1); ENOSYS when the hypervisor was built without
     *                      mem_sharing (CONFIG_MEM_SHARING, §0); the auto-enable errors of {@link #memshrControl} for
     *                      {@code source} (EOPNOTSUPP, ENODEV, EXDEV)
     */
    void memshrShareGfns(DomainId source, Gfn sourceGfn, SharingHandle sourceHandle,
                         DomainId client, Gfn clientGfn, SharingHandle clientHandle);

    /**
     * xc_memshr_share_grefs: {@link #memshrShareGfns} of the gfns granted under two grant references.
     *
     * @param source       the domain whose page survives
     * @param sourceGref   the grant reference of its page
     * @param sourceHandle the handle of the source page
     * @param client       the domain whose page is merged away
     * @param clientGref   the grant reference of the client's page
     * @param clientHandle the handle of the client page
     * @throws XenException ENOENT a reference lies beyond its domain's grant table; ENXIO it was never granted;
     *                      otherwise as {@link #memshrShareGfns}
     */
    void memshrShareGrefs(DomainId source, GrantRef sourceGref, SharingHandle sourceHandle,
                          DomainId client, GrantRef clientGref, SharingHandle clientHandle);

    /**
     * xc_memshr_add_to_physmap (mem_sharing.c:add_to_physmap): maps the source's shared page at a hole of the
     * client without nominating anything there (§3.5). The client entry becomes ram_shared with the client's
     * default access, the client's shr_pages and {@link #sharingFreedPages()} grow by one.
     *
     * @param source       the domain owning the shared page
     * @param sourceGfn    its gfn
     * @param sourceHandle the page's handle
     * @param client       the domain to map it into (sharing must be enabled on it)
     * @param clientGfn    a gfn of the client with nothing mapped (a hole)
     * @throws XenException ECHILD (-10) the source page is not shared or its handle differs; EBADF (-9) the client gfn
     *                      is not a hole; EINVAL sharing is not enabled on the client, the source gfn has bit 62 set
     *                      (a grant reference cannot be added), or the client gfn is ≥ 2^36, beyond the EPT (§9.1);
     *                      ENOSYS when the hypervisor was built without mem_sharing (CONFIG_MEM_SHARING, §0); the auto-enable errors of {@link
     *                      #memshrControl} for {@code source} (EOPNOTSUPP, ENODEV, EXDEV)
     */
    void memshrAddToPhysmap(DomainId source, Gfn sourceGfn, SharingHandle sourceHandle,
                            DomainId client, Gfn clientGfn);

    /**
     * xc_memshr_range_share (mem_sharing.c:range_share): for every gfn in [first, last] nominates the source and the
     * client page and shares them (§3.6). A gfn either side cannot nominate is skipped, but a source page nominated
     * before its client failed stays nominated. Only the last gfn's error is reported: failures in the middle are
     * lost, so {@code org.xenffm.safe} shares gfn by gfn instead.
     *
     * @param source the domain whose pages survive (paused)
     * @param client the domain whose pages are merged away (paused, sharing enabled)
     * @param first  the first gfn
     * @param last   the last gfn, inclusive
     * @throws XenException EINVAL either domain is not paused, sharing is not enabled on the client, or the range goes
     *                      beyond either domain's maximum gpfn; E2BIG, EEXIST or EBUSY when the last gfn failed so
     *                      (earlier gfns may be shared); ENOMEM stops the loop; ENOSYS when the hypervisor was built
     *                      without mem_sharing (CONFIG_MEM_SHARING, §0); the auto-enable errors of {@link
     *                      #memshrControl} for {@code source} (EOPNOTSUPP, ENODEV, EXDEV)
     */
    void memshrRangeShare(DomainId source, DomainId client, Gfn first, Gfn last);

    /**
     * xc_memshr_audit (mem_sharing.c:audit): checks every shared frame against its reverse map and the counters
     * (§3.12). Changes nothing.
     *
     * @return the number of inconsistencies found, 0 on a sound host
     * @throws XenException EOPNOTSUPP on a release (non-debug) hypervisor, where the audit is compiled out; ENOSYS
     *                      without mem_sharing
     */
    int memshrAudit();

    /**
     * xc_memshr_debug_gfn (XENMEM_sharing_op_debug_gfn): how many gfns, across all domains, share the frame
     * behind this gfn (§3.12). Changes nothing, except that {@code domain} gets sharing enabled like every memop.
     *
     * @param domain the domain
     * @param gfn    the guest frame
     * @return the number of gfns mapping that shared frame
     * @throws XenException EINVAL the gfn is not shared; ENOSYS when the hypervisor was built without mem_sharing
     *                      (CONFIG_MEM_SHARING, §0); the auto-enable errors of {@link #memshrControl} for {@code
     *                      domain} (EOPNOTSUPP, ENODEV, EXDEV)
     */
    int memshrDebugGfn(DomainId domain, Gfn gfn);

    /**
     * xc_memshr_debug_gref: {@link #memshrDebugGfn} of the gfn granted under {@code gref}.
     *
     * @param domain the granting domain
     * @param gref   the grant reference
     * @return the number of gfns mapping that shared frame
     * @throws XenException ENOENT the reference lies beyond the grant table; ENXIO it was never granted; otherwise
     *                      as {@link #memshrDebugGfn}
     */
    int memshrDebugGref(DomainId domain, GrantRef gref);

    /**
     * xc_memshr_fork (XENMEM_sharing_op_fork, mem_sharing.c:mem_sharing_fork): makes {@code child} a fork of
     * {@code parent} (§3.10). The child takes the parent's vCPU state, HVM parameters (on 4.17 HVM_PARAM_ALTP2M
     * too) and special pages but starts with an empty p2m: its gfns are populated lazily, shared with the parent on
     * read and copied on write. Xen pauses the parent itself until the fork is destroyed. No altp2m view, mem_access
     * setting, monitor ring or monitor event is copied.
     *
     * @param parent          the domain to fork (its sharing is enabled with the fork's flags)
     * @param child           an existing domain, paused by the toolstack, with the parent's vCPU count
     *                        (typically fresh from {@link #domainCreate})
     * @param allowWithIommu  XENMEM_FORK_WITH_IOMMU_ALLOWED: allow a parent with an IOMMU
     * @param blockInterrupts XENMEM_FORK_BLOCK_INTERRUPTS: the child never gets interrupts injected
     * @throws XenException EBUSY the child is not paused by the toolstack; EINVAL the vCPU counts differ; EEXIST on
     *                      ≥ 4.19 when the parent has an altp2m mode (HVM_PARAM_ALTP2M is read-only there; the fork
     *                      is rolled back and the parent unpaused); EXDEV the child, or the parent without
     *                      {@code allowWithIommu}, has an IOMMU; EOPNOTSUPP / ENODEV as {@link #memshrControl} for
     *                      either domain; ENOSYS without mem_sharing
     */
    void memshrFork(DomainId parent, DomainId child, boolean allowWithIommu, boolean blockInterrupts);

    /**
     * xc_memshr_fork_reset (mem_sharing.c:mem_sharing_fork_reset): returns a fork to its parent's state (§3.11).
     * With {@code resetMemory} every page the fork owns (its private copies) is dropped and re-populated lazily on
     * the next access — except pages that could not be made sharable: mapped by a tool (E2BIG) or held with another
     * frame or access by an altp2m view of the fork, which are kept. With {@code resetState} the vCPU state, HVM
     * parameters and special pages are copied from the parent again.
     *
     * @param child       the fork
     * @param resetState  reset vCPU state and parameters
     * @param resetMemory drop the fork's private pages
     * @throws XenException EINVAL neither flag is set; ENOSYS the domain is not a fork (or no mem_sharing);
     *                      EAGAIN (4.20) or errno 85, ERESTART (4.17), when Xen asks for the state reset to be
     *                      retried
     */
    void memshrForkReset(DomainId child, boolean resetState, boolean resetMemory);

    /**
     * xc_memshr_ring_enable (XEN_DOMCTL_VM_EVENT_OP_SHARING, vm_event.c:vm_event_domctl): enables the sharing
     * ring, on which Xen reports copy-on-write failures for lack of memory (MEM_SHARING requests, §3.8) instead of
     * crashing the domain. Xen allows it only from a PV control domain.
     *
     * @param domain the domain whose sharing ENOMEMs to report
     * @return the event-channel port Xen allocated in the domain for the ring
     * @throws XenException EBUSY a sharing ring is already enabled; EOPNOTSUPP the control domain is HVM (PVH dom0)
     *                      or HVM_PARAM_SHARING_RING_PFN is 0; ENODEV the domain does not use HAP; EINVAL the
     *                      domain is the caller's own; ENOSYS without mem_sharing
     */
    int memshrRingEnable(DomainId domain);

    /**
     * xc_memshr_ring_disable: removes the sharing ring; vCPUs paused on it are released.
     *
     * @param domain the domain
     * @throws XenException EINVAL there is no sharing ring; ENOSYS without mem_sharing
     */
    void memshrRingDisable(DomainId domain);

    /**
     * xc_memshr_domain_resume (XEN_VM_EVENT_RESUME on the sharing ring): Xen consumes the helper's responses and
     * unpauses the vCPUs they name, which retry their copy-on-write.
     *
     * @param domain the domain
     * @throws XenException ENODEV there is no sharing ring; ENOSYS without mem_sharing
     */
    void memshrDomainResume(DomainId domain);

    /**
     * xc_sharing_freed_pages (XENMEM_get_sharing_freed_pages): pages saved by sharing host-wide (nr_saved_mfns, §3.13).
     * Never fails; 0 without mem_sharing.
     *
     * @return the number of gfns that map a shared frame they do not own
     */
    long sharingFreedPages();

    /**
     * xc_sharing_used_frames (XENMEM_get_sharing_shared_pages): shared frames host-wide (nr_shared_mfns, §3.13).
     * Never fails; 0 without mem_sharing.
     *
     * @return the number of frames currently shared
     */
    long sharingUsedFrames();

    // ---- altp2m (xc_altp2m_*) --------------------------------------------------------------------------------

    /**
     * xc_altp2m_get_domain_state (HVMOP_altp2m_get_domain_state). Changes nothing.
     *
     * @param domain the HVM domain
     * @return whether altp2m is active on the domain
     * @throws XenException EINVAL the domain's altp2m mode (HVM_PARAM_ALTP2M) is disabled; EOPNOTSUPP the host has
     *                      no altp2m or the domain is not HVM
     */
    boolean altp2mGetDomainState(DomainId domain);

    /**
     * xc_altp2m_set_domain_state (HVMOP_altp2m_set_domain_state, §4.3). Activating creates view 0 with the host
     * default access and puts every vCPU in it. Deactivating takes every vCPU out of its view and flushes all views:
     * their entries, remaps, accesses and visibility are lost; the host p2m is untouched. Setting the current
     * state does nothing.
     *
     * @param domain the HVM domain, with an altp2m mode ({@code org.xenffm.safe.Altp2mSetup} sets one)
     * @param active on or off
     * @throws XenException EINVAL the domain's altp2m mode is disabled (4.17: set HVM_PARAM_ALTP2M first; ≥ 4.19:
     *                      create the domain with one); EOPNOTSUPP the host has no altp2m or the domain is not HVM
     */
    void altp2mSetDomainState(DomainId domain, boolean active);

    /**
     * xc_altp2m_set_vcpu_enable_notify (HVMOP_altp2m_vcpu_enable_notify): registers the vCPU's #VE information page,
     * so that violations of views whose entry has suppress_ve clear reach the guest as #VE (§4.4, §5.3).
     *
     * @param domain    the domain, altp2m active
     * @param vcpu      the vCPU
     * @param veInfoGfn the guest page Xen writes the #VE information to (ordinary RAM; a shared page is unshared)
     * @throws XenException EINVAL no such vCPU, or the gfn is not ordinary pageable RAM (or is a special page);
     *                      EEXIST the vCPU already has a #VE page; EOPNOTSUPP the CPU has no #VE support, or
     *                      altp2m is not active on the domain (or the host has no
     *                      altp2m: boot option altp2m=1 and VT-x with EPT, or the domain is not HVM); EINVAL the
     *                      domain's altp2m mode is disabled
     */
    void altp2mSetVcpuEnableNotify(DomainId domain, VcpuId vcpu, Gfn veInfoGfn);

    /**
     * xc_altp2m_set_vcpu_disable_notify: forgets the vCPU's #VE page.
     *
     * @param domain the domain, altp2m active
     * @param vcpu   the vCPU
     * @throws XenException EINVAL no such vCPU; EOPNOTSUPP altp2m is not active on the domain (or the host has no
     *                      altp2m: boot option altp2m=1 and VT-x with EPT, or the domain is not HVM); EINVAL the
     *                      domain's altp2m mode is disabled
     */
    void altp2mSetVcpuDisableNotify(DomainId domain, VcpuId vcpu);

    /**
     * xc_altp2m_create_view (altp2m.c:p2m_init_next_altp2m): activates the lowest inactive view slot — empty,
     * visible, no remaps — whose entries are copied lazily from the host p2m (§4.4, §4.5). The first view created
     * after activation is 1 (slot 0 is view 0).
     *
     * @param domain        the domain, altp2m active
     * @param defaultAccess the view's default access; {@link MemAccess#DEFAULT} takes the host default
     * @return the new view's index
     * @throws XenException EINVAL all 10 slots (MAX_ALTP2M on 4.17 and 4.20) are in use;
     *                      EOPNOTSUPP altp2m is not active on the domain (or the host has no
     *                      altp2m: boot option altp2m=1 and VT-x with EPT, or the domain is not HVM); EINVAL the
     *                      domain's altp2m mode is disabled
     */
    ViewId altp2mCreateView(DomainId domain, MemAccess defaultAccess);

    /**
     * xc_altp2m_destroy_view (altp2m.c:p2m_destroy_altp2m_by_id): flushes and deactivates a view; its slot is free
     * for {@link #altp2mCreateView} again.
     *
     * @param domain the domain, altp2m active
     * @param view   the view (not 0)
     * @throws XenException EBUSY for view 0, an index out of range, an inactive view, or a view some vCPU is currently
     *                      using (switch it away first); EOPNOTSUPP altp2m is not active on the domain (or the host has
     *                      no altp2m: boot option altp2m=1 and VT-x with EPT, or the domain is not HVM); EINVAL the
     *                      domain's altp2m mode is disabled
     */
    void altp2mDestroyView(DomainId domain, ViewId view);

    /**
     * xc_altp2m_switch_to_view (altp2m.c:p2m_switch_domain_altp2m_by_id): moves every vCPU of the domain into the
     * view. 0 returns them to view 0.
     *
     * @param domain the domain, altp2m active
     * @param view   a visible, active view
     * @throws XenException EINVAL the index is out of range, or the view is inactive or hidden ({@link
     *                      #altp2mSetVisibility}); EOPNOTSUPP altp2m is not active on the domain (or the host has no
     *                      altp2m: boot option altp2m=1 and VT-x with EPT, or the domain is not HVM); EINVAL the
     *                      domain's altp2m mode is disabled
     */
    void altp2mSwitchToView(DomainId domain, ViewId view);

    /**
     * xc_altp2m_get_vcpu_p2m_idx (HVMOP_altp2m_get_p2m_idx): the view the vCPU currently runs in. Changes nothing.
     *
     * @param domain the domain, altp2m active
     * @param vcpu   the vCPU
     * @return the vCPU's current view
     * @throws XenException EINVAL no such vCPU; EOPNOTSUPP altp2m is not active on the domain (or the host has no
     *                      altp2m: boot option altp2m=1 and VT-x with EPT, or the domain is not HVM); EINVAL the
     *                      domain's altp2m mode is disabled
     */
    ViewId altp2mGetVcpuP2mIdx(DomainId domain, VcpuId vcpu);

    /**
     * xc_altp2m_set_visibility (p2m_set_altp2m_view_visibility): hides or re-exposes a view. A hidden view cannot
     * be the target of {@link #altp2mSwitchToView} or the guest's VMFUNC; vCPUs already in it stay, and a vm_event
     * response with ALTERNATE_P2M ignores visibility (§4.4).
     *
     * @param domain  the domain, altp2m active
     * @param view    an active view
     * @param visible expose (true) or hide
     * @throws XenException EINVAL the index is out of range or the view is inactive; EOPNOTSUPP altp2m is not active on
     *                      the domain (or the host has no altp2m: boot option altp2m=1 and VT-x with EPT, or the domain
     *                      is not HVM); EINVAL the domain's altp2m mode is disabled
     */
    void altp2mSetVisibility(DomainId domain, ViewId view, boolean visible);

    /**
     * xc_altp2m_set_suppress_ve (p2m.c:p2m_set_suppress_ve): sets or clears the suppress-#VE bit of one gfn's entry
     * in a view (view 0: the host p2m). A view without its own entry copies the host's first (the effective entry,
     * §4.5).
     *
     * @param domain   the domain, altp2m active
     * @param view     the view; 0 is the host p2m
     * @param gfn      the guest frame
     * @param suppress true: violations raise vm_events, not #VE
     * @throws XenException EINVAL the view is out of range or inactive, or on view 0 the gfn is ≥ 2^36, beyond the
     *                      EPT (a hole below that is written without a frame and may raise {@link
     *                      #domainMaximumGpfn}, §9.1); ESRCH the view has no entry and the host entry is not ram_rw
     *                      RAM; EOPNOTSUPP altp2m is not active on the domain (or the host has no
     *                      altp2m: boot option altp2m=1 and VT-x with EPT, or the domain is not HVM); EINVAL the
     *                      domain's altp2m mode is disabled
     * @throws HypervisorCrashedException on the emulator, when the view has no entry for a gfn whose host page is
     *                      shared: real Xen panics on that path (mm lock order, §4.6 hazard)
     */
    void altp2mSetSuppressVe(DomainId domain, ViewId view, Gfn gfn, boolean suppress);

    /**
     * xc_altp2m_set_supress_ve_multi (sic; p2m.c:p2m_set_suppress_ve_multi): {@link #altp2mSetSuppressVe} for every
     * gfn in [first, last]. A gfn that fails does not stop the others: the call succeeds and reports the first
     * failing gfn with its errno (§4.9).
     *
     * @param domain   the domain, altp2m active
     * @param view     the view; 0 is the host p2m (holes there are skipped)
     * @param first    the first gfn
     * @param last     the last gfn, inclusive
     * @param suppress true: violations raise vm_events, not #VE
     * @return which gfn failed first and how (ESRCH: no RAM there in a view; EINVAL: on view 0 a gfn ≥ 2^36, beyond
     *         the EPT, §9.1), or {@link SuppressVeResult#OK}
     * @throws XenException EINVAL {@code first > last}, or the view is out of range or inactive; EOPNOTSUPP altp2m is
     *                      not active on the domain (or the host has no altp2m: boot option altp2m=1 and VT-x with EPT,
     *                      or the domain is not HVM); EINVAL the domain's altp2m mode is disabled
     * @throws HypervisorCrashedException on the emulator, as {@link #altp2mSetSuppressVe}
     */
    SuppressVeResult altp2mSetSuppressVeMulti(DomainId domain, ViewId view, Gfn first, Gfn last, boolean suppress);

    /**
     * xc_altp2m_get_suppress_ve (p2m.c:p2m_get_suppress_ve). Changes nothing; reads the view's own entry, never the
     * host's in its place.
     *
     * @param domain the domain, altp2m active
     * @param view   the view; 0 is the host p2m
     * @param gfn    the guest frame
     * @return the entry's suppress-#VE bit
     * @throws XenException EINVAL the view is out of range or inactive; ESRCH the p2m has no entry for gfn;
     *                      EOPNOTSUPP altp2m is not active on the domain (or the host has no
     *                      altp2m: boot option altp2m=1 and VT-x with EPT, or the domain is not HVM); EINVAL the
     *                      domain's altp2m mode is disabled
     */
    boolean altp2mGetSuppressVe(DomainId domain, ViewId view, Gfn gfn);

    /**
     * xc_altp2m_set_mem_access (HVMOP_altp2m_set_mem_access, mem_access.c:p2m_set_mem_access): sets one gfn's
     * access in a view (§4.6). View 0 means the host p2m here: the change then reaches every view holding the gfn
     * (§4.8) and a shared entry keeps its type. In a view without its own entry the host entry is copied first (the
     * effective entry, §4.5); a gfn with no RAM behind it is skipped without error. {@link Gfn#INVALID} sets the
     * host default access, whatever the view. Needs no monitor ring. On view 0 there is no maximum-gpfn check: a
     * hole beyond it is written without a frame and raises {@link #domainMaximumGpfn} to that gfn (§9.1).
     *
     * @param domain the domain, altp2m active
     * @param view   the view; 0 is the host p2m
     * @param gfn    the guest frame, or {@link Gfn#INVALID} for the host default
     * @param access the new access; {@link MemAccess#DEFAULT} resolves to the host default
     * @throws XenException EINVAL the view is out of range or inactive, or on view 0 the gfn is ≥ 2^36, beyond the
     *                      EPT; EOPNOTSUPP altp2m is not active on the domain (or the host has no altp2m: boot option
     *                      altp2m=1 and VT-x with EPT, or the domain is not HVM); EINVAL the domain's altp2m mode is
     *                      disabled
     * @throws HypervisorCrashedException on the emulator, when the view has no entry for a gfn whose host page is
     *                      shared: real Xen 4.17.5 and 4.20 panic there (§4.6 hazard; {@code org.xenffm.safe}
     *                      refuses the call instead)
     */
    void altp2mSetMemAccess(DomainId domain, ViewId view, Gfn gfn, MemAccess access);

    /**
     * xc_altp2m_set_mem_access_multi (p2m_set_mem_access_multi): {@link #altp2mSetMemAccess} for each (gfn, access)
     * pair in order; the first failure stops the call and earlier gfns stay changed. {@link Gfn#INVALID} is a gfn
     * here, not the default: skipped in a view, EINVAL on view 0 (§9.1).
     *
     * @param domain  the domain, altp2m active
     * @param view    the view; 0 is the host p2m
     * @param entries the gfns and their new accesses
     * @throws XenException EINVAL the view is out of range or inactive, or on view 0 a gfn is ≥ 2^36 (or ~0);
     *                      EOPNOTSUPP altp2m is not active on the domain (or the host has no altp2m: boot option
     *                      altp2m=1 and VT-x with EPT, or the domain is not HVM); EINVAL the domain's altp2m mode is
     *                      disabled
     * @throws HypervisorCrashedException on the emulator, as {@link #altp2mSetMemAccess}
     */
    void altp2mSetMemAccessMulti(DomainId domain, ViewId view, List<GfnAccess> entries);

    /**
     * xc_altp2m_get_mem_access (p2m_get_mem_access): a gfn's access in a view's own entry. Changes nothing.
     *
     * @param domain the domain, altp2m active
     * @param view   the view; 0 is the host p2m
     * @param gfn    the guest frame, or {@link Gfn#INVALID} for the p2m's default access
     * @return the access
     * @throws XenException EINVAL the view is out of range or inactive; ESRCH the p2m has no entry for gfn (a view that
     *                      has not copied it yet); EOPNOTSUPP altp2m is not active on the domain (or the host has no
     *                      altp2m: boot option altp2m=1 and VT-x with EPT, or the domain is not HVM); EINVAL the
     *                      domain's altp2m mode is disabled
     */
    MemAccess altp2mGetMemAccess(DomainId domain, ViewId view, Gfn gfn);

    /**
     * xc_altp2m_change_gfn (altp2m.c:p2m_change_altp2m_gfn): in one view, maps {@code oldGfn} to the frame, type and
     * access of {@code newGfn}, so the guest running in that view sees the other page there (§4.7). View 0 means
     * altp2m slot 0 here, not the host. {@code newGfn} = {@link Gfn#INVALID} removes the remap (the next access
     * copies the host entry again); that always succeeds.
     *
     * @param domain the domain, altp2m active
     * @param view   the view; 0 is altp2m slot 0
     * @param oldGfn the gfn to redirect
     * @param newGfn the gfn whose frame it shows, or {@link Gfn#INVALID}
     * @throws XenException EINVAL the view is out of range or inactive; ESRCH either gfn has no entry in the view
     *                      and no ram_rw host entry; EOPNOTSUPP altp2m is not active on the domain (or the host has no
     *                      altp2m: boot option altp2m=1 and VT-x with EPT, or the domain is not HVM); EINVAL the
     *                      domain's altp2m mode is disabled
     * @throws HypervisorCrashedException on the emulator, when the view lacks an entry for a gfn whose host page is
     *                      shared: real Xen panics there (§4.6 hazard)
     */
    void altp2mChangeGfn(DomainId domain, ViewId view, Gfn oldGfn, Gfn newGfn);

    // ---- host mem_access (xc_set_mem_access, …) ---------------------------------------------------------------

    /**
     * xc_set_mem_access (XENMEM_access_op_set_access, §5.2): sets the host access of {@code nr} gfns from
     * {@code first}; the change reaches every altp2m view holding them (§4.8). A shared entry keeps its type and
     * takes the new access; a hole keeps no access. {@code first} = {@link Gfn#INVALID} sets only the host default
     * access ({@code nr} ignored). A guest access the new rights forbid then raises a MEM_ACCESS vm_event.
     *
     * @param domain the domain
     * @param access the new access; {@link MemAccess#DEFAULT} resolves to the host default
     * @param first  the first gfn, or {@link Gfn#INVALID} for the default access
     * @param nr     how many gfns, at least 1
     * @throws XenException EINVAL the domain is not HVM with HAP on a VT-x host; ENODEV no monitor ring is enabled on
     *                      the domain ({@link #monitorEnable} first); EPERM / EINVAL the domain is the caller's own /
     *                      dying; EINVAL also when {@code nr} is 0 or the range wraps or ends beyond the domain's
     *                      maximum gpfn
     */
    void setMemAccess(DomainId domain, MemAccess access, Gfn first, int nr);

    /**
     * xc_set_mem_access_multi (XENMEM_access_op_set_access_multi): host access per (gfn, access) pair, in order;
     * each change reaches the views holding the gfn. Unlike {@link #setMemAccess} there is no maximum-gpfn check: a
     * hole beyond it is written without a frame and raises {@link #domainMaximumGpfn} to that gfn, and
     * {@link Gfn#INVALID} is a gfn here, not the default (§9.1).
     *
     * @param domain  the domain
     * @param entries the gfns and their new accesses
     * @throws XenException EINVAL a gfn is ≥ 2^36 (beyond the EPT) or ~0, earlier gfns stay changed; EINVAL the
     *                      domain is not HVM with HAP on a VT-x host; ENODEV no
     *                      monitor ring is enabled on the domain ({@link #monitorEnable} first); EPERM / EINVAL the
     *                      domain is the caller's own / dying
     */
    void setMemAccessMulti(DomainId domain, List<GfnAccess> entries);

    /**
     * xc_get_mem_access (XENMEM_access_op_get_access): a gfn's host access. Changes nothing.
     *
     * @param domain the domain
     * @param gfn    the guest frame, or {@link Gfn#INVALID} for the host default access
     * @return the access
     * @throws XenException ESRCH no valid mapping at gfn; EINVAL the gfn is beyond the domain's maximum gpfn, or
     *                      the domain is not HVM with HAP on a VT-x host; ENODEV no
     *                      monitor ring is enabled on the domain ({@link #monitorEnable} first); EPERM / EINVAL the
     *                      domain is the caller's own / dying
     */
    MemAccess getMemAccess(DomainId domain, Gfn gfn);

    // ---- monitor / vm_event ------------------------------------------------------------------------------------

    /**
     * xc_vm_event_get_version (XEN_VM_EVENT_GET_VERSION on DOMID_INVALID): the vm_event interface version of the
     * running hypervisor. Changes nothing.
     *
     * @return VM_EVENT_INTERFACE_VERSION, 7 on every Xen since 4.15
     */
    int vmEventGetVersion();

    /**
     * xc_monitor_enable (XEN_VM_EVENT_ENABLE, monitor mode; vm_event.c:vm_event_enable, §7.1): pauses the domain,
     * maps the ring page (HVM_PARAM_MONITOR_RING_PFN) into this process, has Xen bind an event channel in the domain
     * whose remote end is the caller, removes the ring gfn from the guest's physmap and unpauses. From now on
     * monitor events and mem_access violations go to the ring. The page is unmapped by {@link #monitorDisable}.
     *
     * @param domain the HVM domain to monitor
     * @return the ring page and the port Xen allocated in the domain
     * @throws XenException EBUSY a monitor ring is already enabled (one consumer per ring); EOPNOTSUPP the ring gfn
     *                      parameter is 0 (or the domain is not HVM); EINVAL the domain is the caller's own or has no
     *                      vCPU
     */
    MonitorRing monitorEnable(DomainId domain);

    /**
     * xc_monitor_disable (XEN_VM_EVENT_DISABLE): removes the ring, frees Xen's event channel, unpauses the vCPUs the
     * ring held and wipes every monitor setting of the domain (enabled events, MSR list; §6.1). On a dying domain it
     * returns 0 and does nothing.
     *
     * @param domain the domain
     * @throws XenException EINVAL no monitor ring is enabled (or the domain is the caller's own); EBUSY vCPUs are
     *                      waiting for a ring slot
     */
    void monitorDisable(DomainId domain);

    /**
     * xc_monitor_resume (XEN_VM_EVENT_RESUME, vm_event.c:vm_event_resume, §7.6): Xen consumes the responses on the
     * ring, in ring order, and applies them (emulate, switch view, set registers, …, unpause). Kicking the ring's
     * event channel does the same.
     *
     * @param domain the domain
     * @throws XenException ENODEV no monitor ring is enabled; EINVAL the domain is the caller's own
     */
    void monitorResume(DomainId domain);

    /**
     * xc_monitor_get_capabilities (XEN_DOMCTL_MONITOR_OP_GET_CAPABILITIES, arch/x86/monitor.c): the events this host
     * can monitor on the domain. Changes nothing. SINGLESTEP needs the CPU's monitor trap flag, IO Xen ≥ 4.18,
     * PRIVILEGED_CALL is ARM-only; a non-HVM domain has none.
     *
     * @param domain the domain
     * @return the monitorable events
     * @throws XenException EPERM the domain is the caller's own
     */
    java.util.Set<MonitorEvent> monitorGetCapabilities(DomainId domain);

    /**
     * xc_monitor_write_ctrlreg (XEN_DOMCTL_MONITOR_EVENT_WRITE_CTRLREG, §6.1): WRITE_CTRLREG events for guest
     * writes to one control register, each register toggled on its own. A response with DENY cancels the write.
     *
     * @param domain       the domain
     * @param reg          CR0, CR3, CR4 or XCR0
     * @param enable       enable or disable events for this register
     * @param sync         pause the vCPU until the response
     * @param bitmask      bits whose changes alone raise no event
     * @param onChangeOnly only writes that change the value
     * @throws XenException EOPNOTSUPP the event is not in the domain's {@link #monitorGetCapabilities};
     *                      EEXIST the event is already in the requested state (enabling twice, or disabling what is
     *                      off); EPERM the domain is the caller's own
     */
    void monitorWriteCtrlreg(DomainId domain, ControlRegister reg, boolean enable, boolean sync, long bitmask,
                             boolean onChangeOnly);

    /**
     * xc_monitor_mov_to_msr (XEN_DOMCTL_MONITOR_EVENT_MOV_TO_MSR, §6.1): MOV_TO_MSR events (vCPU paused) for guest
     * writes to one MSR; each MSR is toggled on its own in a bitmap that lives with the monitor ring.
     *
     * @param domain       the domain
     * @param msr          the MSR, in 0–0x1fff, 0x40000000–0x40001fff or 0xc0000000–0xc0001fff
     * @param enable       enable or disable events for this MSR
     * @param onChangeOnly only writes that change the value
     * @throws XenException ENXIO no monitor ring is enabled (checked before the range); EINVAL the MSR is outside the
     *                      three ranges; EOPNOTSUPP the event is not in the domain's {@link #monitorGetCapabilities};
     *                      EEXIST the event is already in the requested state (enabling twice, or disabling what is
     *                      off); EPERM the domain is the caller's own
     */
    void monitorMovToMsr(DomainId domain, int msr, boolean enable, boolean onChangeOnly);

    /**
     * xc_monitor_singlestep (XEN_DOMCTL_monitor_op, §6.1): SINGLESTEP events, one per instruction the vCPU executes
     * (vCPU paused). Needs the CPU's monitor trap flag: hosts without it (Bochs) lack the capability.
     *
     * @param domain the domain
     * @param enable enable or disable the event
     * @throws XenException EOPNOTSUPP the event is not in the domain's {@link #monitorGetCapabilities};
     *                      EEXIST the event is already in the requested state (enabling twice, or disabling what is
     *                      off); EPERM the domain is the caller's own
     */
    void monitorSingleStep(DomainId domain, boolean enable);

    /**
     * xc_monitor_software_breakpoint (XEN_DOMCTL_monitor_op, §6.1): SOFTWARE_BREAKPOINT events for the guest's INT3
     * (vCPU paused); the monitor re-injects the #BP with {@link #hvmInjectTrap} if the guest should see it.
     *
     * @param domain the domain
     * @param enable enable or disable the event
     * @throws XenException EOPNOTSUPP the event is not in the domain's {@link #monitorGetCapabilities};
     *                      EEXIST the event is already in the requested state (enabling twice, or disabling what is
     *                      off); EPERM the domain is the caller's own
     */
    void monitorSoftwareBreakpoint(DomainId domain, boolean enable);

    /**
     * xc_monitor_descriptor_access (XEN_DOMCTL_monitor_op, §6.1): DESCRIPTOR_ACCESS events for guest loads and stores
     * of IDTR, GDTR, LDTR and TR (vCPU paused); needs the CPU's descriptor-table exiting.
     *
     * @param domain the domain
     * @param enable enable or disable the event
     * @throws XenException EOPNOTSUPP the event is not in the domain's {@link #monitorGetCapabilities};
     *                      EEXIST the event is already in the requested state (enabling twice, or disabling what is
     *                      off); EPERM the domain is the caller's own
     */
    void monitorDescriptorAccess(DomainId domain, boolean enable);

    /**
     * xc_monitor_guest_request (XEN_DOMCTL_monitor_op, §6.1): GUEST_REQUEST events for the guest's
     * HVMOP_guest_request_vm_event hypercall.
     *
     * @param domain         the domain
     * @param enable         enable or disable the event
     * @param sync           pause the vCPU until the response
     * @param allowUserspace accept the request from guest user mode too
     * @throws XenException EOPNOTSUPP the event is not in the domain's {@link #monitorGetCapabilities};
     *                      EEXIST the event is already in the requested state (enabling twice, or disabling what is
     *                      off); EPERM the domain is the caller's own
     */
    void monitorGuestRequest(DomainId domain, boolean enable, boolean sync, boolean allowUserspace);

    /**
     * xc_monitor_inguest_pagefault (XEN_DOMCTL_monitor_op, §6.1): whether mem_access violations raised by the guest's
     * own page-table walks are filtered (§5.3 step 4). Xen's naming is inverted: {@code disable} = true turns the
     * filter on — such faults are emulated and only real data or exec violations raise events.
     *
     * @param domain  the domain
     * @param disable true: suppress page-walk violations
     * @throws XenException EOPNOTSUPP the event is not in the domain's {@link #monitorGetCapabilities};
     *                      EEXIST the event is already in the requested state (enabling twice, or disabling what is
     *                      off); EPERM the domain is the caller's own
     */
    void monitorInguestPagefault(DomainId domain, boolean disable);

    /**
     * xc_monitor_debug_exceptions (XEN_DOMCTL_monitor_op, §6.1): DEBUG_EXCEPTION events for #DB in the guest.
     *
     * @param domain the domain
     * @param enable enable or disable the event
     * @param sync   pause the vCPU until the response
     * @throws XenException EOPNOTSUPP the event is not in the domain's {@link #monitorGetCapabilities};
     *                      EEXIST the event is already in the requested state (enabling twice, or disabling what is
     *                      off); EPERM the domain is the caller's own
     */
    void monitorDebugExceptions(DomainId domain, boolean enable, boolean sync);

    /**
     * xc_monitor_cpuid (XEN_DOMCTL_monitor_op, §6.1): CPUID events for every CPUID the guest executes (vCPU paused).
     *
     * @param domain the domain
     * @param enable enable or disable the event
     * @throws XenException EOPNOTSUPP the event is not in the domain's {@link #monitorGetCapabilities};
     *                      EEXIST the event is already in the requested state (enabling twice, or disabling what is
     *                      off); EPERM the domain is the caller's own
     */
    void monitorCpuid(DomainId domain, boolean enable);

    /**
     * xc_monitor_privileged_call (XEN_DOMCTL_monitor_op, §6.1): PRIVILEGED_CALL events (ARM SMC). ARM-only: on x86 the
     * capability is never present, so this always fails with EOPNOTSUPP.
     *
     * @param domain the domain
     * @param enable enable or disable the event
     * @throws XenException EOPNOTSUPP the event is not in the domain's {@link #monitorGetCapabilities};
     *                      EEXIST the event is already in the requested state (enabling twice, or disabling what is
     *                      off); EPERM the domain is the caller's own
     */
    void monitorPrivilegedCall(DomainId domain, boolean enable);

    /**
     * xc_monitor_emul_unimplemented (XEN_DOMCTL_monitor_op, §6.1): EMUL_UNIMPLEMENTED events when Xen's instruction
     * emulator meets an instruction it cannot emulate (vCPU paused).
     *
     * @param domain the domain
     * @param enable enable or disable the event
     * @throws XenException EOPNOTSUPP the event is not in the domain's {@link #monitorGetCapabilities};
     *                      EEXIST the event is already in the requested state (enabling twice, or disabling what is
     *                      off); EPERM the domain is the caller's own
     */
    void monitorEmulUnimplemented(DomainId domain, boolean enable);

    /**
     * xc_monitor_vmexit (XEN_DOMCTL_monitor_op, §6.1): VMEXIT events for every VM exit of the domain (VMX reason and
     * qualification; Xen ≥ 4.17).
     *
     * @param domain the domain
     * @param enable enable or disable the event
     * @param sync   pause the vCPU until the response
     * @throws XenException EOPNOTSUPP the event is not in the domain's {@link #monitorGetCapabilities};
     *                      EEXIST the event is already in the requested state (enabling twice, or disabling what is
     *                      off); EPERM the domain is the caller's own
     */
    void monitorVmexit(DomainId domain, boolean enable, boolean sync);

    /**
     * xc_monitor_emulate_each_rep (XEN_DOMCTL_MONITOR_OP_EMULATE_EACH_REP): whether Xen's emulator checks mem_access
     * on each iteration of a REP instruction instead of once. Setting the current value again is allowed.
     *
     * @param domain the domain
     * @param enable per-iteration checks on or off
     * @throws XenException EINVAL no monitor ring is enabled (the vCPUs have no vm_event state yet); EPERM the domain
     *                      is the caller's own
     */
    void monitorEmulateEachRep(DomainId domain, boolean enable);

    /**
     * xc_monitor_io (XEN_DOMCTL_MONITOR_EVENT_IO, Xen ≥ 4.18): IO_INSTRUCTION events for the guest's port I/O (vCPU
     * paused).
     *
     * @param domain the domain
     * @param enable enable or disable the event
     * @throws UnsupportedOnThisXenException on Xen 4.17, which has no such call
     * @throws XenException EOPNOTSUPP the event is not in the domain's {@link #monitorGetCapabilities};
     *                      EEXIST the event is already in the requested state (enabling twice, or disabling what is
     *                      off); EPERM the domain is the caller's own
     */
    void monitorIo(DomainId domain, boolean enable);

    /**
     * xenevtchn_open: a new event-channel handle for a ring consumer, owned by the caller (close it, or
     * {@link #close()} closes it).
     *
     * @return the handle
     * @throws XenNotAvailableException the evtchn device cannot be opened (not dom0, not root)
     */
    EventChannel eventChannelOpen();

    /**
     * Releases the handle and everything opened or mapped through it: event channels, foreign mappings, monitor
     * rings this handle enabled; on the FFM backend xc_interface_close. Idempotent.
     */
    @Override void close();
}
