// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.GfnAccess;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SuppressVeResult;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;

import java.util.List;
import java.util.Optional;

/** HVMOP_altp2m (hvm.c:do_altp2m_op, arch/x86/mm/altp2m.c, p2m.c): 4.17 semantics, 10 views. */
final class Altp2m {
    private final Host h;

    Altp2m(Host h) { this.h = h; }

    /** do_altp2m_op dispatch checks 1–8 (§4.2); {@code stateOp} marks get/set_domain_state. */
    Domain dispatch(DomainId id, boolean stateOp) {
        if (!h.cfg.altp2mSupported()) throw Rc.of(Errno.EOPNOTSUPP);
        Domain d = h.lookup(id);
        if (!d.hvm) throw Rc.of(Errno.EOPNOTSUPP);
        if (!d.altp2mActive && !stateOp) throw Rc.of(Errno.EOPNOTSUPP);
        if (d.altp2mMode() == 0) throw Rc.of(Errno.EINVAL);
        return d;
    }

    boolean getDomainState(DomainId id) { return dispatch(id, true).altp2mActive; }

    void setDomainState(DomainId id, boolean active) {
        Domain d = dispatch(id, true);
        if (d.altp2mActive == active) return;
        if (active) {
            d.altp2mActive = true;
            d.views[0].activate(d.host.defaultAccess);   // p2m_init_altp2m_by_id(d, 0)
            for (Vcpu v : d.vcpus) { v.p2midx = 0; }
        } else {
            for (Vcpu v : d.vcpus) { v.p2midx = -1; v.veInfoGfn = -1; }
            for (AltView v : d.views) v.deactivate();   // p2m_flush_altp2m
            d.altp2mActive = false;
        }
    }

    void vcpuEnableNotify(DomainId id, VcpuId vcpu, Gfn gfn) {
        Domain d = dispatch(id, false);
        if (vcpu.value() >= d.maxVcpus()) throw Rc.of(Errno.EINVAL);
        if (!h.cfg.virtExceptions()) throw Rc.of(Errno.EOPNOTSUPP);
        Vcpu v = d.vcpus[vcpu.value()];
        if (v.veInfoGfn >= 0) throw Rc.of(Errno.EEXIST);
        // check_get_page_from_gfn(readonly=false) → P2M_UNSHARE; then p2m_is_pageable and not special
        Entry e = h.hostLookup(d, gfn.value(), true, true);
        if (!e.valid() || e.type() != P2mType.RAM_RW && e.type() != P2mType.RAM_LOGDIRTY) throw Rc.of(Errno.EINVAL);
        Frame f = h.frames.getMaterialised(e.mfn());
        if (f != null && f.special) throw Rc.of(Errno.EINVAL);
        v.veInfoGfn = gfn.value();
    }

    void vcpuDisableNotify(DomainId id, VcpuId vcpu) {
        Domain d = dispatch(id, false);
        if (vcpu.value() >= d.maxVcpus()) throw Rc.of(Errno.EINVAL);
        d.vcpus[vcpu.value()].veInfoGfn = -1;
    }

    /** p2m_init_next_altp2m: lowest inactive slot; none → EINVAL. */
    ViewId createView(DomainId id, MemAccess access) {
        Domain d = dispatch(id, false);
        MemAccess a = h.memAccess.resolve(d, access);
        for (AltView v : d.views) {
            if (v.active) continue;
            v.activate(a);
            return ViewId.of(v.index);
        }
        throw Rc.of(Errno.EINVAL);
    }

    /** p2m_destroy_altp2m_by_id: 0, out of range, inactive or in use → EBUSY. */
    void destroyView(DomainId id, ViewId view) {
        Domain d = dispatch(id, false);
        int idx = view.value();
        if (idx == 0 || idx >= Domain.MAX_ALTP2M) throw Rc.of(Errno.EBUSY);
        AltView v = d.views[idx];
        if (!v.active || activeVcpus(d, idx) > 0) throw Rc.of(Errno.EBUSY);
        v.deactivate();
    }

    private static int activeVcpus(Domain d, int idx) {
        int n = 0;
        for (Vcpu v : d.vcpus) if (v.p2midx == idx) n++;
        return n;
    }

    /** p2m_switch_domain_altp2m_by_id: the view must be visible (and so active). */
    void switchToView(DomainId id, ViewId view) {
        Domain d = dispatch(id, false);
        int idx = view.value();
        if (idx >= Domain.MAX_ALTP2M || !d.views[idx].active || !d.views[idx].visible) throw Rc.of(Errno.EINVAL);
        for (Vcpu v : d.vcpus) v.p2midx = idx;
    }

    /** p2m_switch_vcpu_altp2m_by_id (vm_event ALTERNATE_P2M): active views only, visibility ignored. */
    void switchVcpu(Vcpu v, int idx) {
        Domain d = v.domain;
        if (!d.altp2mActive || idx >= Domain.MAX_ALTP2M || !d.views[idx].active) return;
        v.p2midx = idx;
    }

    ViewId getVcpuP2mIdx(DomainId id, VcpuId vcpu) {
        Domain d = dispatch(id, false);
        if (vcpu.value() >= d.maxVcpus()) throw Rc.of(Errno.EINVAL);
        return ViewId.of(d.vcpus[vcpu.value()].p2midx);
    }

    void setVisibility(DomainId id, ViewId view, boolean visible) {
        Domain d = dispatch(id, false);
        int idx = view.value();
        if (idx >= Domain.MAX_ALTP2M || !d.views[idx].active) throw Rc.of(Errno.EINVAL);
        d.views[idx].visible = visible;
    }

    // ---- entries ----------------------------------------------------------------------------------------------------

    /**
     * altp2m_get_effective_entry: the view's entry as is if valid; else the host entry looked up with
     * P2M_ALLOC|P2M_UNSHARE, which must be ram_rw (else null = -ESRCH). Unsharing here runs under the altp2m p2m lock
     * (order 40) and takes the page-sharing lock (24): real Xen BUG()s — the emulated host dies (§4.6 hazard).
     */
    Entry effectiveEntry(Domain d, AltView view, long gfn) {
        Entry ve = view.table.get(gfn);
        if (ve.valid()) return ve;
        if (d.host.get(gfn).type() == P2mType.RAM_SHARED) {
            // mm-locks.h:_check_lock_level: printk, then BUG() (line 80 in 4.17.5, 68 in 4.20.4)
            int bug = h.line(80, 68);
            throw h.crash(h.currentOp, d, gfn, view.index,
                    "mm locking order violation: 40 > 24 (Xen BUG at mm-locks.h:" + bug + ", "
                            + "altp2m_get_effective_entry → __mem_sharing_unshare_page)",
                    "mm locking order violation: 40 > 24", "Xen BUG at mm-locks.h:" + bug);
        }
        Entry e = h.hostLookup(d, gfn, true, true);
        if (!e.valid() || e.type() != P2mType.RAM_RW) return null;
        return e;
    }

    void setMemAccess(DomainId id, ViewId view, Gfn gfn, MemAccess access) {
        Domain d = dispatch(id, false);
        h.memAccess.setAccess(d, gfn.value(), 1, access, view.value());
    }

    void setMemAccessMulti(DomainId id, ViewId view, List<GfnAccess> entries) {
        Domain d = dispatch(id, false);
        h.memAccess.setAccessMulti(d, entries, view.value());
    }

    MemAccess getMemAccess(DomainId id, ViewId view, Gfn gfn) {
        Domain d = dispatch(id, false);
        return h.memAccess.getAccess(d, gfn.value(), view.value());
    }

    /** p2m_change_altp2m_gfn (§4.7): view 0 is altp2m slot 0 here. */
    void changeGfn(DomainId id, ViewId view, Gfn oldGfn, Gfn newGfn) {
        Domain d = dispatch(id, false);
        int idx = view.value();
        if (idx >= Domain.MAX_ALTP2M || !d.views[idx].active) throw Rc.of(Errno.EINVAL);
        AltView v = d.views[idx];
        long og = oldGfn.value(), ng = newGfn.value();
        if (newGfn.isInvalid()) {
            if (v.table.get(og).valid()) v.table.set(og, Entry.HOLE);
            return;
        }
        if (effectiveEntry(d, v, og) == null) throw Rc.of(Errno.ESRCH);
        Entry target = effectiveEntry(d, v, ng);
        if (target == null) throw Rc.of(Errno.ESRCH);
        v.table.set(og, new Entry(target.mfn(), target.type(), target.access(), true));   // sve = (caller ≠ guest)
        if (Long.compareUnsigned(ng, v.minRemapped) < 0) v.minRemapped = ng;
        if (Long.compareUnsigned(ng, v.maxRemapped) > 0) v.maxRemapped = ng;
    }

    /** p2m_set_suppress_ve_multi: per-gfn errors recorded (first only), processing continues. */
    SuppressVeResult setSuppressVeMulti(DomainId id, ViewId view, Gfn first, Gfn last, boolean sve) {
        Domain d = dispatch(id, false);
        int idx = view.value();
        AltView v = null;
        if (idx != 0) {
            if (idx >= Domain.MAX_ALTP2M || !d.views[idx].active) throw Rc.of(Errno.EINVAL);
            v = d.views[idx];
        }
        if (Long.compareUnsigned(first.value(), last.value()) > 0) throw Rc.of(Errno.EINVAL);
        Optional<Gfn> errGfn = Optional.empty();
        Optional<Errno> err = Optional.empty();
        for (long g = first.value(); ; g++) {
            Entry e;
            if (v != null) {
                e = effectiveEntry(d, v, g);
                if (e == null && err.isEmpty()) { err = Optional.of(Errno.ESRCH); errGfn = Optional.of(Gfn.of(g)); }
                if (e != null) v.table.set(g, e.withSuppressVe(sve));
            } else {
                e = d.host.get(g);   // the host's "effective entry" is its own entry, holes included
                if (!P2m.eptMaps(g)) {
                    // set_entry → p2m-ept.c:ept_set_entry: gfn ≥ 2^36 → -EINVAL, recorded as the gfn's error
                    if (err.isEmpty()) { err = Optional.of(Errno.EINVAL); errGfn = Optional.of(Gfn.of(g)); }
                } else if (e.valid()) {
                    h.setHost(d, g, e.withSuppressVe(sve));
                } else {
                    h.setHost(d, g, Entry.HOLE);   // set_entry writes the hole as mmio_dm (and propagates the write)
                    d.host.noteWritten(g);         // ept_set_entry: max_mapped_pfn follows
                }
            }
            if (g == last.value()) break;
        }
        return new SuppressVeResult(errGfn, err);
    }

    void setSuppressVe(DomainId id, ViewId view, Gfn gfn, boolean sve) {
        SuppressVeResult r = setSuppressVeMulti(id, view, gfn, gfn, sve);
        if (r.firstError().isPresent()) throw Rc.of(r.firstError().get());
    }

    boolean getSuppressVe(DomainId id, ViewId view, Gfn gfn) {
        Domain d = dispatch(id, false);
        int idx = view.value();
        P2m p2m = d.host;
        if (idx != 0) {
            if (idx >= Domain.MAX_ALTP2M || !d.views[idx].active) throw Rc.of(Errno.EINVAL);
            p2m = d.views[idx].table;
        }
        Entry e = p2m.get(gfn.value());
        if (!e.valid()) throw Rc.of(Errno.ESRCH);
        return e.suppressVe();
    }
}
