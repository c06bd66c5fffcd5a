// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.GfnAccess;
import org.xenffm.api.MemAccess;

import java.util.List;

/**
 * mem_access on the host p2m and the shared p2m_set_mem_access / p2m_get_mem_access core (common/mem_access.c,
 * arch/x86/mm/mem_access.c). The HVMOP altp2m path ({@link Altp2m}) reuses {@link #setAccess} / {@link #getAccess}.
 */
final class HostMemAccess {
    private final Host h;

    HostMemAccess(Host h) { this.h = h; }

    /** mem_access_memop preamble: live remote domain, HVM+VMX+HAP (EINVAL), monitor ring (ENODEV). */
    private Domain memopDomain(DomainId id) {
        Domain d = h.lookupLiveRemote(id);
        if (!d.hvm || !d.hap || !h.cfg.vmx()) throw Rc.of(Errno.EINVAL);
        if (d.ring == null) throw Rc.of(Errno.ENODEV);
        return d;
    }

    /** XENMEM_access_op_set_access. */
    void set(DomainId id, MemAccess access, Gfn first, int nr) {
        Domain d = memopDomain(id);
        long pfn = first.value();
        long n = Integer.toUnsignedLong(nr);
        if (pfn != -1L) {
            long end = pfn + n - 1;
            if (n < 1 || Long.compareUnsigned(end, pfn) < 0 || Long.compareUnsigned(end, d.host.maxMappedPfn) > 0)
                throw Rc.of(Errno.EINVAL);
        }
        setAccess(d, pfn, n, access, 0);
    }

    /** XENMEM_access_op_set_access_multi. */
    void setMulti(DomainId id, List<GfnAccess> entries) {
        Domain d = memopDomain(id);
        setAccessMulti(d, entries, 0);
    }

    /** XENMEM_access_op_get_access. */
    MemAccess get(DomainId id, Gfn gfn) {
        Domain d = memopDomain(id);
        if (!gfn.isInvalid() && Long.compareUnsigned(gfn.value(), d.host.maxMappedPfn) > 0) throw Rc.of(Errno.EINVAL);
        return getAccess(d, gfn.value(), 0);
    }

    void setAccessRequired(DomainId id, boolean required) {
        Domain d = h.lookup(id);
        if (d == h.dom0) throw Rc.of(Errno.EPERM);
        d.host.accessRequired = required;
        for (AltView v : d.views) v.table.accessRequired = required;
    }

    // ---- p2m_set_mem_access and friends -------------------------------------------------------------------------

    /**
     * xenmem_access_to_p2m_access: DEFAULT resolves to the host p2m's default. (A value the release has no number
     * for never gets here: EmulatedHypervisor refuses it at the boundary, as the FFM backend does.)
     */
    MemAccess resolve(Domain d, MemAccess a) {
        return a == MemAccess.DEFAULT ? d.host.defaultAccess : a;
    }

    private AltView activeView(Domain d, int idx) {
        if (idx >= Domain.MAX_ALTP2M || !d.views[idx].active) throw Rc.of(Errno.EINVAL);
        return d.views[idx];
    }

    /** p2m_set_mem_access: idx 0 = host p2m; gfn ~0 sets the host default access only. */
    void setAccess(Domain d, long gfn, long nr, MemAccess access, int idx) {
        AltView ap2m = idx != 0 ? activeView(d, idx) : null;
        MemAccess a = resolve(d, access);
        if (gfn == -1L) {
            d.host.defaultAccess = a;
            return;
        }
        for (long i = 0; i < nr; i++) setOne(d, ap2m, gfn + i, a);
    }

    /** p2m_set_mem_access_multi: in order, the first failure stops the call. */
    void setAccessMulti(Domain d, List<GfnAccess> entries, int idx) {
        AltView ap2m = idx != 0 ? activeView(d, idx) : null;
        for (GfnAccess ga : entries) setOne(d, ap2m, ga.gfn().value(), resolve(d, ga.access()));
    }

    /** set_mem_access: a view entry via the effective entry (ESRCH skipped), or the host entry with P2M_ALLOC. */
    private void setOne(Domain d, AltView ap2m, long gfn, MemAccess a) {
        if (ap2m != null) {
            Entry e = h.altp2m.effectiveEntry(d, ap2m, gfn);
            if (e == null) return;   // -ESRCH: "If the corresponding mfn is invalid we will want to just skip it"
            Entry old = ap2m.table.get(gfn);
            ap2m.table.set(gfn, new Entry(e.mfn(), e.type(), a, old.valid() ? old.suppressVe() : true));
            return;
        }
        // p2m-ept.c:ept_set_entry: gfn >> 36 != 0 (4-level EPT) → -EINVAL; reached from _multi and altp2m view 0,
        // which have no max_gpfn check, and by ~0 there (only set_access and the altp2m single set read ~0 as default)
        if (!P2m.eptMaps(gfn)) throw Rc.of(Errno.EINVAL);
        Entry e = h.hostLookup(d, gfn, true, false);
        if (!e.valid()) {
            h.setHost(d, gfn, Entry.HOLE);   // an invalid entry keeps no access, but the write still propagates
            d.host.noteWritten(gfn);         // ept_set_entry: the mmio_dm entry raises max_mapped_pfn
            return;
        }
        h.setHost(d, gfn, e.withAccess(a));
    }

    /** p2m_get_mem_access: idx ≠ 0 needs altp2m active and the view active; no valid mfn → ESRCH. */
    MemAccess getAccess(Domain d, long gfn, int idx) {
        P2m p2m = d.host;
        MemAccess dflt = d.host.defaultAccess;
        if (idx != 0) {
            if (!d.altp2mActive) throw Rc.of(Errno.EINVAL);
            AltView v = activeView(d, idx);
            p2m = v.table;
            dflt = v.defaultAccess;
        }
        if (gfn == -1L) return dflt;
        Entry e = p2m.get(gfn);
        if (!e.valid()) throw Rc.of(Errno.ESRCH);
        return e.access();
    }

    /** p2m_mem_access_emulate_check: does the recorded access still violate the vCPU's current p2m? */
    boolean emulateCheck(Vcpu v, long gfn, int flags) {
        Domain d = v.domain;
        AltView view = d.currentView(v);
        Entry e = view != null ? view.table.get(gfn) : d.host.get(gfn);
        if (!e.valid()) return true;   // _p2m_get_mem_access failed: violation stays true
        MemAccess a = e.access();
        boolean r = (flags & VmEventLayout.MEM_ACCESS_R) != 0, w = (flags & VmEventLayout.MEM_ACCESS_W) != 0,
                x = (flags & VmEventLayout.MEM_ACCESS_X) != 0;
        return violates(a, r, w, x);
    }

    /** The hvm_hap_nested_page_fault violation table (n2rwx like n, rx2rw like rx). */
    static boolean violates(MemAccess a, boolean r, boolean w, boolean x) {
        return switch (a) {
            case N, N2RWX -> r || w || x;
            case RX2RW -> w;
            default -> a.violatedBy(r, w, x);
        };
    }
}
