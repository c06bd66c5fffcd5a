// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.ConsoleChunk;
import org.xenffm.api.ControlRegister;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Errno;
import org.xenffm.api.EventChannel;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.Gfn;
import org.xenffm.api.GfnAccess;
import org.xenffm.api.GrantRef;
import org.xenffm.api.HvmContext;
import org.xenffm.api.HvmParam;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.MonitorEvent;
import org.xenffm.api.MonitorRing;
import org.xenffm.api.PhysInfo;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.SuppressVeResult;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;
import org.xenffm.api.X86Registers;
import org.xenffm.api.XenVersion;
import org.xenffm.api.Xenstore;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Xen 4.17 or 4.20 in pure Java, in process: the same errno, state changes and vm_event bytes as the real hypervisor
 * of that release on the configured host ({@link HostConfig}; the default is 4.17). One big lock serialises
 * hypercalls and guest activity like a hypervisor; guest operations never block (see {@link GuestCpu}). Call
 * sequences that panic real Xen throw {@link org.xenffm.api.HypervisorCrashedException} and leave the host dead.
 */
public final class EmulatedHypervisor implements Hypervisor {
    private final Host h;

    /** An empty emulated host (dom0 only) of the default configuration, {@link HostConfig#vtx()}: Xen 4.17. */
    public EmulatedHypervisor() { this(HostConfig.vtx()); }

    /**
     * An empty emulated host (dom0 only) of the given configuration.
     *
     * @param config the release, CPU, build and boot options to emulate
     */
    public EmulatedHypervisor(HostConfig config) { this.h = new Host(config); }

    Host host() { return h; }

    /** {@return the configuration this host emulates} */
    public HostConfig config() { return h.cfg; }

    /** {@return whether the emulated hypervisor has panicked (every call now throws HypervisorCrashedException)} */
    public boolean crashed() { return h.panic != null; }

    /** {@return the panic text real Xen would print, once {@link #crashed()}} */
    public Optional<String> panicMessage() { return Optional.ofNullable(h.panic); }

    // ---- emulator-only: building guests and acting as them -------------------------------------------------------

    /**
     * Builds a guest as the toolstack would (xl create: RAM implicit until touched, libxl's special pages, the ring
     * HVM params, the altp2m mode). Not a libxenctrl call: the emulator's stand-in for a booted guest.
     *
     * @param spec vCPUs, RAM, HVM/HAP/IOMMU, paused or running, altp2m mode
     * @return the new domain's id
     * @throws org.xenffm.api.XenException EINVAL for an impossible spec (no vCPU, negative RAM, HAP without HVM, an
     *                                     altp2m mode the release refuses); ENOMEM when the host is full
     */
    public DomainId createGuest(GuestSpec spec) {
        return h.call("xc_domain_create", null, null, null, () -> {
            DomainId d = h.domainsFamily.createGuest(spec);
            nameInXenstore(d, "guest" + d.value());
            return d;
        });
    }

    /**
     * Builds a guest as {@code xl create} with {@code name="..."} does: {@link #createGuest(GuestSpec)}, then the
     * name where xl finds it, {@code /local/domain/<id>/name} (and {@code domid}) in the host's xenstore
     * ({@link #xenstoreOpen()}). {@link #createGuest(GuestSpec)} names a guest {@code guest<id>}.
     *
     * @param spec vCPUs, RAM, HVM/HAP/IOMMU, paused or running, altp2m mode
     * @param name the guest's name (xl's {@code name=})
     * @return the new domain's id
     * @throws org.xenffm.api.XenException EINVAL when a domain already has that name (libxl_create.c:
     *                                     libxl__domain_make → libxl_domain.c:libxl__domain_rename refuses it, and
     *                                     no domain is left), else as {@link #createGuest(GuestSpec)}
     * @throws IllegalArgumentException a name that is empty or all digits (xl would take it for a domain id)
     */
    public DomainId createGuest(GuestSpec spec, String name) {
        if (name.isEmpty() || name.chars().allMatch(Character::isDigit))
            throw new IllegalArgumentException("a domain name must not be empty or all digits: '" + name + "'");
        return h.call("xc_domain_create", null, null, null, () -> {
            for (var e : h.domains.entrySet())
                if (!e.getValue().dying && h.store.read("/local/domain/" + e.getKey() + "/name").orElse("").equals(name))
                    throw Rc.of(org.xenffm.api.Errno.EINVAL);
            DomainId d = h.domainsFamily.createGuest(spec);
            nameInXenstore(d, name);
            return d;
        });
    }

    /** libxl_create.c:libxl__domain_make: the domain's directory with its name and id. */
    private void nameInXenstore(DomainId d, String name) {
        h.store.write("/local/domain/" + d.value() + "/name", name);
        h.store.write("/local/domain/" + d.value() + "/domid", Integer.toString(d.value()));
    }

    /**
     * Destroys a guest as {@code xl destroy} does: xc_domain_destroy, then its xenstore directory
     * {@code /local/domain/<id>} goes (libxl_domain.c:libxl__destroy_domid → xs_rm).
     *
     * @param domain the guest
     * @throws org.xenffm.api.XenException as {@link #domainDestroy}
     */
    public void destroyGuest(DomainId domain) {
        h.run("xc_domain_destroy", domain, null, null, () -> {
            h.domainsFamily.destroy(domain);
            if (h.store.read("/local/domain/" + domain.value()).isPresent()) h.store.rm("/local/domain/" + domain.value());
        });
    }

    /**
     * Opens a connection to the emulated host's xenstore, as {@code xs_open(0)} does on a dom0 running xenstored.
     * It holds the names {@link #createGuest(GuestSpec, String)} gave; closing it leaves this handle open.
     *
     * @return a new handle on the host's one tree
     */
    public Xenstore xenstoreOpen() { return new EmulatedXenstore(h); }

    /**
     * A running HVM+HAP guest with the given vCPUs and RAM pages, as {@link #createGuest(GuestSpec)}.
     *
     * @param vcpus vCPUs
     * @param pages RAM pages at gfns [0, pages)
     * @return the new domain's id
     */
    public DomainId createGuest(int vcpus, long pages) { return createGuest(GuestSpec.hvm(vcpus, pages)); }

    /**
     * Acts as the guest of a domain: its vCPUs and a debugger's view of its memory.
     *
     * @param domain the domain
     * @return the guest side of it
     */
    public Guest guest(DomainId domain) { return new Guest(this, domain); }

    /**
     * Grants gfn of domain under gref, as the guest's gnttab_grant_foreign_access would (for the *_gref sharing
     * calls).
     *
     * @param domain the granting domain
     * @param gref   the grant reference
     * @param gfn    the granted frame
     */
    public void grantAccess(DomainId domain, GrantRef gref, Gfn gfn) {
        h.run("gnttab_grant_foreign_access", domain, gfn, null, () -> h.lookup(domain).grants.put(gref.value(), gfn.value()));
    }

    /**
     * Maps a Xen-heap page (shared_info-like, XENMAPSPACE_shared_info) at gfn: never sharable (nominate step 4).
     *
     * @param domain the domain
     * @param gfn    where to map it
     * @throws org.xenffm.api.XenException ENOMEM when the host is full
     */
    public void mapSpecialPage(DomainId domain, Gfn gfn) {
        h.run("XENMAPSPACE_shared_info", domain, gfn, null, () -> {
            Domain d = h.lookup(domain);
            Frame f = h.frames.alloc(d);
            if (f == null) throw Rc.of(Errno.ENOMEM);
            f.special = true;
            h.setHost(d, gfn.value(), new Entry(f.mfn, P2mType.RAM_RW, d.host.defaultAccess, true));
        });
    }

    /**
     * The sharing ring's page (the API's memshrRingEnable returns only the port).
     *
     * @param domain the domain
     * @return the ring page
     * @throws org.xenffm.api.XenException ENODEV no sharing ring is enabled
     */
    public MemorySegment sharingRingPage(DomainId domain) {
        return h.call("xc_memshr_ring_enable", domain, null, null, () -> {
            Domain d = h.lookup(domain);
            if (d.sharingRing == null) throw Rc.of(Errno.ENODEV);
            return d.sharingRing.page;
        });
    }

    /**
     * The host p2m entry (inspection for tests and tools; no side effects).
     *
     * @param domain the domain
     * @param gfn    the guest frame
     * @return its entry, {@link Entry#HOLE} when nothing is mapped
     */
    public Entry hostEntry(DomainId domain, Gfn gfn) {
        return h.call("inspect", domain, gfn, null, () -> h.lookup(domain).host.get(gfn.value()));
    }

    /**
     * An altp2m view's own entry (inspection; no side effects, no lazy copy).
     *
     * @param domain the domain
     * @param view   the view slot
     * @param gfn    the guest frame
     * @return the entry, empty if the view has none for gfn
     */
    public Optional<Entry> viewEntry(DomainId domain, ViewId view, Gfn gfn) {
        return h.call("inspect", domain, gfn, view, () -> {
            Entry e = h.lookup(domain).views[view.value()].table.get(gfn.value());
            return e.valid() ? Optional.of(e) : Optional.empty();
        });
    }

    GuestResult guestOp(int domid, int vcpu, Function<Vcpu, GuestOp> op) {
        return h.call("guest", DomainId.of(domid), null, null, () -> {
            Domain d = h.lookup(DomainId.of(domid));
            if (vcpu < 0 || vcpu >= d.maxVcpus()) throw new IllegalArgumentException("no vcpu " + vcpu + " in d" + domid);
            return h.guest.submit(op.apply(d.vcpus[vcpu]));
        });
    }

    /**
     * A guest write by the fast path ({@link GuestEngine#writeDirect}) under the host lock: true when it completed;
     * false when it needs the full path (nothing changed then: the caller submits it as an operation).
     */
    boolean guestWrite(int domid, int vcpu, long gfn, int offset, byte[] data) {
        h.lock.lock();
        try {
            if (h.panic != null) return false;   // the full path raises HypervisorCrashedException
            Domain d = h.domainOrNull(domid == DomainId.SELF.value() ? 0 : domid);
            if (d == null || vcpu < 0 || vcpu >= d.maxVcpus()) return false;   // the full path's errors
            h.currentOp = "guest";
            return h.guest.writeDirect(d.vcpus[vcpu], gfn, offset, data);
        } finally {
            h.lock.unlock();
        }
    }

    <T> T withVcpu(int domid, int vcpu, Function<Vcpu, T> f) {
        return h.call("guest", DomainId.of(domid), null, null, () -> {
            Domain d = h.lookup(DomainId.of(domid));
            if (vcpu < 0 || vcpu >= d.maxVcpus()) throw new IllegalArgumentException("no vcpu " + vcpu + " in d" + domid);
            return f.apply(d.vcpus[vcpu]);
        });
    }

    byte[] peek(DomainId domain, Gfn gfn) {
        return h.call("peek", domain, gfn, null, () -> {
            Entry e = h.lookup(domain).host.get(gfn.value());
            if (!e.valid()) return new byte[0];
            Frame f = h.frames.getMaterialised(e.mfn());
            return f == null ? new byte[Frame.SIZE] : f.read(0, Frame.SIZE);
        });
    }

    // ---- host and domains ----------------------------------------------------------------------------------------

    @Override public XenVersion version() { return h.call("xc_version", null, null, null, () -> h.cfg.version()); }

    @Override public PhysInfo physinfo() { return h.call("xc_physinfo", null, null, null, h.domainsFamily::physinfo); }

    @Override public DomainInfo domainGetinfo(DomainId d) {
        return h.call("xc_domain_getinfolist", d, null, null, () -> h.domainsFamily.getinfo(d));
    }

    @Override public List<DomainInfo> domainGetinfolist(DomainId first, int max) {
        return h.call("xc_domain_getinfolist", null, null, null, () -> h.domainsFamily.getinfolist(first, max));
    }

    /** A creation-time altp2m mode on 4.17 is refused before the call, as the FFM backend refuses it. */
    @Override public DomainId domainCreate(DomainConfig c) {
        return h.call("xc_domain_create", null, null, null, () -> {
            c.checkExpressibleOn(h.cfg.version());
            return h.domainsFamily.create(c);
        });
    }

    @Override public void domainDestroy(DomainId d) { h.run("xc_domain_destroy", d, null, null, () -> h.domainsFamily.destroy(d)); }

    @Override public void domainPause(DomainId d) { h.run("xc_domain_pause", d, null, null, () -> h.domainsFamily.pause(d)); }

    @Override public void domainUnpause(DomainId d) { h.run("xc_domain_unpause", d, null, null, () -> h.domainsFamily.unpause(d)); }

    @Override public long domainMaximumGpfn(DomainId d) {
        return h.call("xc_domain_maximum_gpfn", d, null, null, () -> h.domainsFamily.maximumGpfn(d));
    }

    @Override public void domainSetmaxmem(DomainId d, long maxMemKb) {
        h.run("xc_domain_setmaxmem", d, null, null, () -> h.physmap.setmaxmem(d, maxMemKb));
    }

    @Override public void domainPopulatePhysmapExact(DomainId d, List<Gfn> gfns) {
        h.run("xc_domain_populate_physmap_exact", d, gfns.isEmpty() ? null : gfns.get(0), null,
                () -> h.physmap.populate(d, gfns));
    }

    @Override public void domainDecreaseReservationExact(DomainId d, List<Gfn> gfns) {
        h.run("xc_domain_decrease_reservation_exact", d, gfns.isEmpty() ? null : gfns.get(0), null,
                () -> h.physmap.decrease(d, gfns));
    }

    @Override public X86Registers domainHvmGetcontextPartial(DomainId d, VcpuId vcpu) {
        return h.call("xc_domain_hvm_getcontext_partial", d, null, null, () -> h.hvmSave.getcontextPartial(d, vcpu));
    }

    @Override public HvmContext domainHvmGetcontext(DomainId d) {
        return h.call("xc_domain_hvm_getcontext", d, null, null, () -> h.hvmSave.getcontext(d));
    }

    @Override public void domainHvmSetcontext(DomainId d, HvmContext context) {
        h.run("xc_domain_hvm_setcontext", d, null, null, () -> h.hvmSave.setcontext(d, context));
    }

    @Override public long hvmParamGet(DomainId d, HvmParam p) {
        return h.call("xc_hvm_param_get", d, null, null, () -> h.domainsFamily.paramGet(d, p));
    }

    @Override public void hvmParamSet(DomainId d, HvmParam p, long value) {
        h.run("xc_hvm_param_set", d, null, null, () -> h.domainsFamily.paramSet(d, p, value));
    }

    @Override public void hvmInjectTrap(DomainId d, VcpuId vcpu, int vector, int type, int errorCode, int insnLen,
                                        long cr2) {
        Hypervisor.checkInjectTrap(vector, type, insnLen);
        h.run("xc_hvm_inject_trap", d, null, null,
                () -> h.domainsFamily.injectTrap(d, vcpu, new InjectedEvent(vector, type, errorCode, insnLen, cr2)));
    }

    @Override public void domainSetAccessRequired(DomainId d, boolean required) {
        h.run("xc_domain_set_access_required", d, null, null, () -> h.memAccess.setAccessRequired(d, required));
    }

    @Override public ForeignMapping foreignMemoryMap(DomainId d, boolean writable, List<Gfn> gfns) {
        return h.call("xenforeignmemory_map", d, null, null, () -> h.domainsFamily.foreignMap(d, writable, gfns));
    }

    // ---- mem_sharing -------------------------------------------------------------------------------------------

    @Override public void memshrControl(DomainId d, boolean enable) {
        h.run("xc_memshr_control", d, null, null, () -> h.memshr.control(d, enable));
    }

    @Override public SharingHandle memshrNominateGfn(DomainId d, Gfn gfn) {
        return h.call("xc_memshr_nominate_gfn", d, gfn, null, () -> h.memshr.nominateGfn(d, gfn));
    }

    @Override public SharingHandle memshrNominateGref(DomainId d, GrantRef gref) {
        return h.call("xc_memshr_nominate_gref", d, null, null, () -> h.memshr.nominateGref(d, gref));
    }

    @Override public void memshrShareGfns(DomainId s, Gfn sg, SharingHandle sh, DomainId c, Gfn cg, SharingHandle ch) {
        h.run("xc_memshr_share_gfns", s, sg, null, () -> h.memshr.shareGfns(s, sg, sh, c, cg, ch));
    }

    @Override public void memshrShareGrefs(DomainId s, GrantRef sg, SharingHandle sh, DomainId c, GrantRef cg,
                                           SharingHandle ch) {
        h.run("xc_memshr_share_grefs", s, null, null, () -> h.memshr.shareGrefs(s, sg, sh, c, cg, ch));
    }

    @Override public void memshrAddToPhysmap(DomainId s, Gfn sg, SharingHandle sh, DomainId c, Gfn cg) {
        h.run("xc_memshr_add_to_physmap", s, sg, null, () -> h.memshr.addToPhysmap(s, sg, sh, c, cg));
    }

    @Override public void memshrRangeShare(DomainId s, DomainId c, Gfn first, Gfn last) {
        h.run("xc_memshr_range_share", s, first, null, () -> h.memshr.rangeShare(s, c, first, last));
    }

    @Override public int memshrAudit() { return h.call("xc_memshr_audit", null, null, null, h.memshr::audit); }

    @Override public int memshrDebugGfn(DomainId d, Gfn gfn) {
        return h.call("xc_memshr_debug_gfn", d, gfn, null, () -> h.memshr.debugGfn(d, gfn));
    }

    @Override public int memshrDebugGref(DomainId d, GrantRef gref) {
        return h.call("xc_memshr_debug_gref", d, null, null, () -> h.memshr.debugGref(d, gref));
    }

    @Override public void memshrFork(DomainId parent, DomainId child, boolean allowWithIommu, boolean blockInterrupts) {
        h.run("xc_memshr_fork", child, null, null, () -> h.memshr.fork(parent, child, allowWithIommu, blockInterrupts));
    }

    @Override public void memshrForkReset(DomainId child, boolean resetState, boolean resetMemory) {
        h.run("xc_memshr_fork_reset", child, null, null, () -> h.memshr.forkReset(child, resetState, resetMemory));
    }

    @Override public int memshrRingEnable(DomainId d) {
        return h.call("xc_memshr_ring_enable", d, null, null, () -> h.memshr.ringEnable(d));
    }

    @Override public void memshrRingDisable(DomainId d) {
        h.run("xc_memshr_ring_disable", d, null, null, () -> h.memshr.ringDisable(d));
    }

    @Override public void memshrDomainResume(DomainId d) {
        h.run("xc_memshr_domain_resume", d, null, null, () -> h.memshr.domainResume(d));
    }

    @Override public long sharingFreedPages() { return h.call("xc_sharing_freed_pages", null, null, null, h.memshr::freedPages); }

    @Override public long sharingUsedFrames() { return h.call("xc_sharing_used_frames", null, null, null, h.memshr::usedFrames); }

    // ---- altp2m ------------------------------------------------------------------------------------------------

    @Override public boolean altp2mGetDomainState(DomainId d) {
        return h.call("xc_altp2m_get_domain_state", d, null, null, () -> h.altp2m.getDomainState(d));
    }

    @Override public void altp2mSetDomainState(DomainId d, boolean active) {
        h.run("xc_altp2m_set_domain_state", d, null, null, () -> h.altp2m.setDomainState(d, active));
    }

    @Override public void altp2mSetVcpuEnableNotify(DomainId d, VcpuId vcpu, Gfn gfn) {
        h.run("xc_altp2m_set_vcpu_enable_notify", d, gfn, null, () -> h.altp2m.vcpuEnableNotify(d, vcpu, gfn));
    }

    @Override public void altp2mSetVcpuDisableNotify(DomainId d, VcpuId vcpu) {
        h.run("xc_altp2m_set_vcpu_disable_notify", d, null, null, () -> h.altp2m.vcpuDisableNotify(d, vcpu));
    }

    @Override public ViewId altp2mCreateView(DomainId d, MemAccess access) {
        return h.call("xc_altp2m_create_view", d, null, null, () -> h.altp2m.createView(d, expressible(access)));
    }

    @Override public void altp2mDestroyView(DomainId d, ViewId view) {
        h.run("xc_altp2m_destroy_view", d, null, view, () -> h.altp2m.destroyView(d, view));
    }

    @Override public void altp2mSwitchToView(DomainId d, ViewId view) {
        h.run("xc_altp2m_switch_to_view", d, null, view, () -> h.altp2m.switchToView(d, view));
    }

    @Override public ViewId altp2mGetVcpuP2mIdx(DomainId d, VcpuId vcpu) {
        return h.call("xc_altp2m_get_vcpu_p2m_idx", d, null, null, () -> h.altp2m.getVcpuP2mIdx(d, vcpu));
    }

    @Override public void altp2mSetVisibility(DomainId d, ViewId view, boolean visible) {
        h.run("xc_altp2m_set_visibility", d, null, view, () -> h.altp2m.setVisibility(d, view, visible));
    }

    @Override public void altp2mSetSuppressVe(DomainId d, ViewId view, Gfn gfn, boolean suppress) {
        h.run("xc_altp2m_set_suppress_ve", d, gfn, view, () -> h.altp2m.setSuppressVe(d, view, gfn, suppress));
    }

    @Override public SuppressVeResult altp2mSetSuppressVeMulti(DomainId d, ViewId view, Gfn first, Gfn last,
                                                               boolean suppress) {
        return h.call("xc_altp2m_set_supress_ve_multi", d, first, view,
                () -> h.altp2m.setSuppressVeMulti(d, view, first, last, suppress));
    }

    @Override public boolean altp2mGetSuppressVe(DomainId d, ViewId view, Gfn gfn) {
        return h.call("xc_altp2m_get_suppress_ve", d, gfn, view, () -> h.altp2m.getSuppressVe(d, view, gfn));
    }

    @Override public void altp2mSetMemAccess(DomainId d, ViewId view, Gfn gfn, MemAccess access) {
        h.run("xc_altp2m_set_mem_access", d, gfn, view,
                () -> h.altp2m.setMemAccess(d, view, gfn, expressible(access)));
    }

    @Override public void altp2mSetMemAccessMulti(DomainId d, ViewId view, List<GfnAccess> entries) {
        h.run("xc_altp2m_set_mem_access_multi", d, null, view,
                () -> h.altp2m.setMemAccessMulti(d, view, expressible(entries)));
    }

    @Override public MemAccess altp2mGetMemAccess(DomainId d, ViewId view, Gfn gfn) {
        return h.call("xc_altp2m_get_mem_access", d, gfn, view, () -> h.altp2m.getMemAccess(d, view, gfn));
    }

    @Override public void altp2mChangeGfn(DomainId d, ViewId view, Gfn oldGfn, Gfn newGfn) {
        h.run("xc_altp2m_change_gfn", d, oldGfn, view, () -> h.altp2m.changeGfn(d, view, oldGfn, newGfn));
    }

    /**
     * A MemAccess the emulated release has no xenmem_access_t number for (r_pw before 4.20) is refused with
     * {@link org.xenffm.api.UnsupportedOnThisXenException} before the hypercall changes anything, exactly where the
     * FFM backend refuses it while encoding the arguments ({@link MemAccess#toXen}).
     */
    private MemAccess expressible(MemAccess access) {
        access.toXen(h.cfg.version());
        return access;
    }

    private List<GfnAccess> expressible(List<GfnAccess> entries) {
        for (GfnAccess e : entries) expressible(e.access());
        return entries;
    }

    // ---- host mem_access ------------------------------------------------------------------------------------------

    @Override public void setMemAccess(DomainId d, MemAccess access, Gfn first, int nr) {
        h.run("xc_set_mem_access", d, first, null, () -> h.memAccess.set(d, expressible(access), first, nr));
    }

    @Override public void setMemAccessMulti(DomainId d, List<GfnAccess> entries) {
        h.run("xc_set_mem_access_multi", d, null, null, () -> h.memAccess.setMulti(d, expressible(entries)));
    }

    @Override public MemAccess getMemAccess(DomainId d, Gfn gfn) {
        return h.call("xc_get_mem_access", d, gfn, null, () -> h.memAccess.get(d, gfn));
    }

    // ---- monitor / vm_event ------------------------------------------------------------------------------------

    /** XEN_VM_EVENT_GET_VERSION on DOMID_INVALID: VM_EVENT_INTERFACE_VERSION. */
    /** console.c:read_console_ring over the emulated ring ({@link Console}: the lines the modelled conditions print). */
    @Override public ConsoleChunk readConsoleRing(int maxChars, boolean clear, boolean incremental, int index) {
        return h.call("xc_readconsolering", null, null, null, () -> h.console.read(maxChars, clear, incremental, index));
    }

    /**
     * The whole console ring, also after a panic (real Xen's last words are on its serial line; here they stay
     * readable for tests). Changes nothing.
     *
     * @return the ring's text, oldest first
     */
    public String consoleText() {
        h.lock.lock();
        try {
            return h.console.read(Console.SIZE, false, false, 0).text();
        } finally {
            h.lock.unlock();
        }
    }

    @Override public int vmEventGetVersion() {
        return h.call("xc_vm_event_get_version", null, null, null, () -> VmEventLayout.VERSION);
    }

    @Override public MonitorRing monitorEnable(DomainId d) {
        return h.call("xc_monitor_enable", d, null, null, () -> h.monitor.enable(d));
    }

    @Override public void monitorDisable(DomainId d) { h.run("xc_monitor_disable", d, null, null, () -> h.monitor.disable(d)); }

    @Override public void monitorResume(DomainId d) { h.run("xc_monitor_resume", d, null, null, () -> h.monitor.resume(d)); }

    @Override public Set<MonitorEvent> monitorGetCapabilities(DomainId d) {
        return h.call("xc_monitor_get_capabilities", d, null, null, () -> h.monitor.getCapabilities(d));
    }

    @Override public void monitorWriteCtrlreg(DomainId d, ControlRegister reg, boolean enable, boolean sync, long bitmask,
                                              boolean onChangeOnly) {
        h.run("xc_monitor_write_ctrlreg", d, null, null,
                () -> h.monitor.writeCtrlreg(d, reg, enable, sync, bitmask, onChangeOnly));
    }

    @Override public void monitorMovToMsr(DomainId d, int msr, boolean enable, boolean onChangeOnly) {
        h.run("xc_monitor_mov_to_msr", d, null, null, () -> h.monitor.movToMsr(d, msr, enable, onChangeOnly));
    }

    @Override public void monitorSingleStep(DomainId d, boolean enable) {
        h.run("xc_monitor_singlestep", d, null, null, () -> h.monitor.singleStep(d, enable));
    }

    @Override public void monitorSoftwareBreakpoint(DomainId d, boolean enable) {
        h.run("xc_monitor_software_breakpoint", d, null, null, () -> h.monitor.softwareBreakpoint(d, enable));
    }

    @Override public void monitorDescriptorAccess(DomainId d, boolean enable) {
        h.run("xc_monitor_descriptor_access", d, null, null, () -> h.monitor.descriptorAccess(d, enable));
    }

    @Override public void monitorGuestRequest(DomainId d, boolean enable, boolean sync, boolean allowUserspace) {
        h.run("xc_monitor_guest_request", d, null, null, () -> h.monitor.guestRequest(d, enable, sync, allowUserspace));
    }

    @Override public void monitorInguestPagefault(DomainId d, boolean disable) {
        h.run("xc_monitor_inguest_pagefault", d, null, null, () -> h.monitor.inguestPagefault(d, disable));
    }

    @Override public void monitorDebugExceptions(DomainId d, boolean enable, boolean sync) {
        h.run("xc_monitor_debug_exceptions", d, null, null, () -> h.monitor.debugExceptions(d, enable, sync));
    }

    @Override public void monitorCpuid(DomainId d, boolean enable) {
        h.run("xc_monitor_cpuid", d, null, null, () -> h.monitor.cpuid(d, enable));
    }

    @Override public void monitorPrivilegedCall(DomainId d, boolean enable) {
        h.run("xc_monitor_privileged_call", d, null, null, () -> h.monitor.privilegedCall(d, enable));
    }

    @Override public void monitorEmulUnimplemented(DomainId d, boolean enable) {
        h.run("xc_monitor_emul_unimplemented", d, null, null, () -> h.monitor.emulUnimplemented(d, enable));
    }

    @Override public void monitorVmexit(DomainId d, boolean enable, boolean sync) {
        h.run("xc_monitor_vmexit", d, null, null, () -> h.monitor.vmexit(d, enable, sync));
    }

    @Override public void monitorEmulateEachRep(DomainId d, boolean enable) {
        h.run("xc_monitor_emulate_each_rep", d, null, null, () -> h.monitor.emulateEachRep(d, enable));
    }

    @Override public void monitorIo(DomainId d, boolean enable) {
        h.run("xc_monitor_io", d, null, null, () -> h.monitor.io(d, enable));
    }

    @Override public EventChannel eventChannelOpen() {
        return h.call("xenevtchn_open", null, null, null, () -> new EmulatedEventChannel(h));
    }

    /** Closes the handle: later Hypervisor calls throw IllegalStateException, as on the FFM backend. Idempotent. */
    /** Tears down the vm_event sessions on rings enabled here (their hooks), then refuses every further call. */
    @Override public void close() {
        h.closeHooks.runAll();
        h.closed = true;
    }
}
