// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Errno;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmParam;
import org.xenffm.api.PhysInfo;
import org.xenffm.api.VcpuId;

import java.util.ArrayList;
import java.util.List;

/** Domain lifecycle, pause counts, HVM params and foreign mappings (domctl.c, domain.c, hvm.c, p2m.c). */
final class Domains {
    /** libxl's special pages: X86_HVM_END_SPECIAL_REGION 0xff000 − 8 pages; paging 0, access 1, sharing 2. */
    static final long SPECIAL_BASE = 0xfeff8;
    static final int SPECIAL_PAGES = 8;

    private final Host h;

    Domains(Host h) { this.h = h; }

    PhysInfo physinfo() {
        return new PhysInfo(h.cfg.nrCpus(), h.frames.totalPages(), h.frames.freePages(), true, h.cfg.vmx(),
                h.cfg.vmx(), !h.cfg.vmx());
    }

    DomainInfo getinfo(DomainId id) {
        return info(h.lookup(id));
    }

    /** domctl.c XEN_SYSCTL_getdomaininfolist: domains with id ≥ first, in id order, at most max (dom0 included). */
    List<DomainInfo> getinfolist(DomainId first, int max) {
        List<DomainInfo> out = new ArrayList<>();
        for (Domain d : h.domains.tailMap(first.value(), true).values()) {
            if (out.size() >= max) break;
            if (!d.destroyed) out.add(info(d));
        }
        return out;
    }

    private static DomainInfo info(Domain d) {
        return new DomainInfo(DomainId.of(d.id), d.dying, d.crashed, d.controllerPauseCount > 0, d.hvm, d.hap,
                d.totPages, d.maxPages, d.shrPages, d.maxVcpus() - 1, d.maxVcpus());
    }

    /**
     * The altp2m mode given at creation: ≥ 4.19 arch_sanitise_domain_config needs HVM and HAP (else EINVAL). A
     * {@link DomainConfig} has been checked against the release already ({@link DomainConfig#checkExpressibleOn}).
     */
    private void checkCreationAltp2m(long mode, boolean hvm, boolean hap) {
        if (mode == 0) return;
        if (!hvm || !hap || Long.compareUnsigned(mode, HvmParam.ALTP2M_LIMITED) > 0) throw Rc.of(Errno.EINVAL);
    }

    /** domain.c domid rover: the next unused id after the last one given, wrapping below DOMID_FIRST_RESERVED. */
    private int allocDomid() {
        int limit = DomainId.SELF.value();
        for (int i = 0; i < limit; i++) {
            int id = h.nextDomid;
            h.nextDomid = id + 1 >= limit ? 1 : id + 1;
            if (!h.domains.containsKey(id)) return id;
        }
        throw Rc.of(Errno.ENOMEM);
    }

    /** xc_domain_create: an empty domain, paused by the controller (domain.c sets controller_pause_count = 1). */
    DomainId create(DomainConfig c) {
        if (c.maxVcpus() < 1 || (c.hap() && !c.hvm())) throw Rc.of(Errno.EINVAL);
        checkCreationAltp2m(c.altp2mMode(), c.hvm(), c.hap());
        Domain d = newDomain(c.hvm(), c.hap(), false, c.maxVcpus(), 0);
        d.params[HvmParam.ALTP2M.index()] = c.altp2mMode();
        d.maxPages = c.maxPages();
        d.controllerPauseCount = 1;
        return DomainId.of(d.id);
    }

    /**
     * A booted guest as the toolstack builds it: RAM at gfns [0, pages) (implicit until touched) and libxl's special
     * pages above it with their HVM params set; running unless {@code paused}.
     */
    DomainId createGuest(GuestSpec s) {
        if (s.vcpus() < 1 || s.pages() < 0 || (s.hap() && !s.hvm())) throw Rc.of(Errno.EINVAL);
        // xl's altp2m = "...": ≥ 4.19 a creation option; 4.17 libxl sets HVM_PARAM_ALTP2M right after creation
        // (libxl_dom.c:hvm_set_conf_params), which is the same state as far as the hypervisor is concerned
        if (h.cfg.altp2mAtCreation()) checkCreationAltp2m(s.altp2mMode(), s.hvm(), s.hap());
        else if (s.altp2mMode() != 0 && (!s.hvm() || Long.compareUnsigned(s.altp2mMode(), HvmParam.ALTP2M_LIMITED) > 0))
            throw Rc.of(Errno.EINVAL);
        Domain d = newDomain(s.hvm(), s.hap(), s.iommu(), s.vcpus(), s.pages());
        d.params[HvmParam.ALTP2M.index()] = s.altp2mMode();
        d.maxPages = s.pages() + SPECIAL_PAGES;
        if (s.hvm()) {
            long base = Math.max(SPECIAL_BASE, (s.pages() + 7) & ~7L);
            for (int i = 0; i < SPECIAL_PAGES; i++) {
                Frame f = h.frames.alloc(d);
                if (f == null) throw Rc.of(Errno.ENOMEM);
                d.host.set(base + i, new Entry(f.mfn, P2mType.RAM_RW, org.xenffm.api.MemAccess.RWX, true));
                d.totPages++;
            }
            // libs/guest/xg_dom_x86.c:alloc_magic_pages_hvm (HVM and PVH alike): special_pfn(SPECIALPAGE_*)
            d.params[HvmParam.PAGING_RING_PFN.index()] = base;
            d.params[HvmParam.MONITOR_RING_PFN.index()] = base + 1;
            d.params[HvmParam.SHARING_RING_PFN.index()] = base + 2;
            d.params[HvmParam.BUFIOREQ_PFN.index()] = base + 3;
            d.params[HvmParam.STORE_PFN.index()] = base + 4;
            d.params[HvmParam.IOREQ_PFN.index()] = base + 5;
            d.params[HvmParam.CONSOLE_PFN.index()] = base + 7;
        }
        d.controllerPauseCount = s.paused() ? 1 : 0;
        return DomainId.of(d.id);
    }

    private Domain newDomain(boolean hvm, boolean hap, boolean iommu, int vcpus, long pages) {
        int id = allocDomid();
        long base = h.frames.reserve(pages);
        if (base < 0) throw Rc.of(Errno.ENOMEM);
        Domain d = new Domain(id, hvm, hap, iommu, vcpus, new P2m(base, pages));
        h.frames.assign(base, d);
        d.totPages = pages;
        h.addDomain(d);
        return d;
    }

    /** xc_domain_destroy: relinquish shared pages, drop the rings, unpause a fork's parent once. */
    void destroy(DomainId id) {
        Domain d = h.lookup(id);
        if (d == h.dom0) throw Rc.of(Errno.EINVAL);
        if (!d.dying) {
            d.dying = true;
            h.memshr.relinquish(d);
            for (VmEventRing r : new VmEventRing[]{d.ring, d.sharingRing}) {
                if (r == null) continue;
                if (r.consumer != null) r.consumer.remoteClosed(r);
                h.monitor.releasePage(r);
                r.close();
            }
            d.ring = null;
            d.sharingRing = null;
            for (Vcpu v : d.vcpus) {
                if (v.pending != null) { v.pending.result.update(Outcome.DOMAIN_DESTROYED); v.pending = null; }
            }
            Domain p = d.parent;
            if (p != null) {
                p.xenPauseCount--;
                p.forkChildren--;
                if (p.dying) finalizeIfUnreferenced(p);
            }
        }
        finalizeIfUnreferenced(d);
    }

    /** The domain struct goes once no fork child holds a reference to it. */
    private void finalizeIfUnreferenced(Domain d) {
        if (d.forkChildren > 0 || d.destroyed) return;
        long implicitMapped = 0, touchedBelow = 0;
        for (long gfn : d.host.touchedGfns()) {
            if (Long.compareUnsigned(gfn, d.host.implicitPages()) < 0) touchedBelow++;
            Entry e = d.host.get(gfn);
            if (!e.valid()) continue;
            // an explicit entry still on its never-materialised frame stays counted
            if (!h.frames.freeIfOwned(e.mfn(), d)) implicitMapped++;
        }
        // frames of gfns never touched at all
        implicitMapped += d.host.implicitPages() - touchedBelow;
        h.frames.release(d, implicitMapped);
        d.destroyed = true;
        h.removeDomain(d);
    }

    /** dm.c:dm_op + inject_event: remote HVM domain, existing vCPU, and one pending injection at a time. */
    void injectTrap(DomainId id, VcpuId vcpu, InjectedEvent ev) {
        Domain d = h.lookup(id);
        if (d == h.dom0) throw Rc.of(Errno.EPERM);     // rcu_lock_remote_domain_by_id
        if (!d.hvm) throw Rc.of(Errno.EINVAL);
        if (vcpu.value() >= d.maxVcpus()) throw Rc.of(Errno.EINVAL);
        Vcpu v = d.vcpus[vcpu.value()];
        if (v.injectEvent != null) throw Rc.of(Errno.EBUSY); // cmpxchg(vector, UNSET, UPDATING) failed
        v.injectEvent = ev;
    }

    void pause(DomainId id) {
        Domain d = h.lookup(id);
        if (d == h.dom0) throw Rc.of(Errno.EINVAL);
        d.controllerPauseCount++;
    }

    void unpause(DomainId id) {
        Domain d = h.lookup(id);
        if (d == h.dom0 || d.controllerPauseCount == 0) throw Rc.of(Errno.EINVAL);
        d.controllerPauseCount--;
    }

    long maximumGpfn(DomainId id) {
        return h.lookup(id).host.maxMappedPfn;
    }

    long paramGet(DomainId id, HvmParam p) {
        Domain d = h.lookup(id);
        if (!d.hvm || p.index() < 0 || p.index() >= Domain.HVM_NR_PARAMS) throw Rc.of(Errno.EINVAL);
        return d.params[p.index()];
    }

    /** hvm_set_param + hvm_allow_set_param: HVM_PARAM_ALTP2M ≤ limited and settable once (4.17). */
    void paramSet(DomainId id, HvmParam p, long value) {
        Domain d = h.lookup(id);
        if (!d.hvm || p.index() < 0 || p.index() >= Domain.HVM_NR_PARAMS) throw Rc.of(Errno.EINVAL);
        if (p.index() == HvmParam.ALTP2M.index()) {
            if (h.cfg.altp2mAtCreation()) throw Rc.of(Errno.EEXIST);   // ≥ 4.19: read-only, whatever the value
            long cur = d.params[p.index()];
            if (cur != 0 && value != cur) throw Rc.of(Errno.EEXIST);
            if (Long.compareUnsigned(value, HvmParam.ALTP2M_LIMITED) > 0) throw Rc.of(Errno.EINVAL);
        }
        d.params[p.index()] = value;
    }

    /** xenforeignmemory_map: each page gets an extra reference; a writable mapping unshares (P2M_UNSHARE). */
    ForeignMapping foreignMap(DomainId id, boolean writable, List<Gfn> gfns) {
        Domain d = h.lookup(id);
        List<Frame> frames = new ArrayList<>();
        for (Gfn g : gfns) {
            Entry e = h.hostLookup(d, g.value(), true, writable);
            if (!e.valid() || !e.type().ram()) throw Rc.of(Errno.EINVAL);
            frames.add(h.frame(e.mfn()));
        }
        return new EmulatedForeignMapping(h, DomainId.of(d.id), writable, List.copyOf(gfns), frames);
    }
}
