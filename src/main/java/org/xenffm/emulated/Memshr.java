// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.GrantRef;
import org.xenffm.api.HvmParam;
import org.xenffm.api.SharingHandle;

import static org.xenffm.emulated.Rc.C_HANDLE_INVALID;
import static org.xenffm.emulated.Rc.S_HANDLE_INVALID;

/**
 * mem_sharing (xen/arch/x86/mm/mem_sharing.c): control, nominate, share, add_to_physmap, range_share, copy-on-write
 * unshare, audit/debug, fork and fork_reset, relinquish on destroy; the counters move exactly as in §3.13.
 */
final class Memshr {
    private final Host h;

    Memshr(Host h) { this.h = h; }

    // ---- hypercalls ---------------------------------------------------------------------------------------------

    /** mem_sharing_domctl / mem_sharing_control (XEN_DOMCTL_mem_sharing_op is compiled out without CONFIG_MEM_SHARING). */
    void control(DomainId id, boolean enable) {
        if (!h.cfg.memSharingBuilt()) throw Rc.of(Errno.ENOSYS);
        Domain d = h.lookup(id);
        if (enable) Rc.check(enable(d, false));
        else d.sharingEnabled = false;   // existing shared pages stay shared
    }

    /** mem_sharing_control(enable): EOPNOTSUPP non-HVM/no VMX, ENODEV no HAP, EXDEV IOMMU without the fork flag. */
    int enable(Domain d, boolean allowIommu) {
        if (!d.hvm || !h.cfg.vmx()) return -Errno.EOPNOTSUPP.value();
        if (!d.hap) return -Errno.ENODEV.value();
        if (d.iommu && !allowIommu) return -Errno.EXDEV.value();
        d.sharingEnabled = true;
        return 0;
    }

    /** mem_sharing_memop steps 3–5: live remote domain, then auto-enable sharing on it. */
    private Domain memopDomain(DomainId id) {
        if (!h.cfg.memSharingBuilt()) throw Rc.of(Errno.ENOSYS);
        Domain d = h.lookupLiveRemote(id);
        if (!d.sharingEnabled) Rc.check(enable(d, false));
        return d;
    }

    /** The client of share/add_to_physmap/range_share is looked up but never auto-enabled. */
    private Domain memopClient(DomainId id) {
        Domain c = h.lookupLiveRemote(id);
        if (!c.sharingEnabled) throw Rc.of(Errno.EINVAL);
        return c;
    }

    SharingHandle nominateGfn(DomainId id, Gfn gfn) {
        Domain d = memopDomain(id);
        return SharingHandle.of(Rc.check(nominate(d, gfn.value(), false)));
    }

    SharingHandle nominateGref(DomainId id, GrantRef gref) {
        Domain d = memopDomain(id);
        return SharingHandle.of(Rc.check(nominate(d, grefToGfn(d, gref), false)));
    }

    /**
     * grant_table.c:mem_sharing_gref_to_gfn on the v1 table every domain starts with (gt_version 1,
     * INITIAL_NR_GRANT_FRAMES = 1 frame = 512 entries, grown as far as the highest granted ref needs): a ref beyond
     * the table → ENOENT; an entry that is not GTF_permit_access (never granted) → ENXIO. Observed on 4.17.5 (o03).
     */
    private long grefToGfn(Domain d, GrantRef gref) {
        long ref = Integer.toUnsignedLong(gref.value());
        long highest = d.grants.keySet().stream().mapToLong(Integer::toUnsignedLong).max().orElse(0);
        long entries = (highest / GRANT_ENTRIES_PER_FRAME + 1) * GRANT_ENTRIES_PER_FRAME;
        if (ref >= entries) throw Rc.of(Errno.ENOENT);
        Long g = d.grants.get(gref.value());
        if (g == null) throw Rc.of(Errno.ENXIO);
        return g;
    }

    /** v1 grant entries per 4 KiB frame (grant_entry_v1_t is 8 bytes). */
    private static final long GRANT_ENTRIES_PER_FRAME = 512;

    /**
     * XENMEM_SHARING_OP_FIELD_IS_GREF_FLAG (public/memory.h): a share field with bit 62 set is a grant ref, not a gfn.
     * libxc's xc_memshr_share_gfns copies the gfn unchanged, so such a gfn (~0 among them) takes the gref path.
     */
    static final long GREF_FLAG = 1L << 62;

    /** XENMEM_SHARING_OP_FIELD_GET_GREF cast to grant_ref_t: the ref is the field's low 32 bits. */
    private long shareField(Domain d, Gfn g) {
        return (g.value() & GREF_FLAG) != 0 ? grefToGfn(d, GrantRef.of((int) g.value())) : g.value();
    }

    void shareGfns(DomainId s, Gfn sg, SharingHandle sh, DomainId c, Gfn cg, SharingHandle ch) {
        Domain sd = memopDomain(s);
        Domain cd = memopClient(c);
        // mem_sharing_memop share: source field then client field resolved (gref → gfn) before share_pages
        long sgfn = shareField(sd, sg), cgfn = shareField(cd, cg);
        Rc.check(share(sd, sgfn, sh.value(), cd, cgfn, ch.value()));
    }

    void shareGrefs(DomainId s, GrantRef sg, SharingHandle sh, DomainId c, GrantRef cg, SharingHandle ch) {
        Domain sd = memopDomain(s);
        Domain cd = memopClient(c);
        Rc.check(share(sd, grefToGfn(sd, sg), sh.value(), cd, grefToGfn(cd, cg), ch.value()));
    }

    void addToPhysmap(DomainId s, Gfn sg, SharingHandle sh, DomainId c, Gfn cg) {
        Domain sd = memopDomain(s);
        Domain cd = memopClient(c);
        // mem_sharing_memop add_physmap: a source field with the gref flag → -EINVAL ("cannot add a gref to the
        // physmap"); the client field is taken as a gfn whatever its bits (ept_set_entry refuses it from 2^36)
        if ((sg.value() & GREF_FLAG) != 0) throw Rc.of(Errno.EINVAL);
        Rc.check(addToPhysmap(sd, sg.value(), sh.value(), cd, cg.value()));
    }

    /** mem_sharing_memop XENMEM_sharing_op_range_share + range_share. */
    void rangeShare(DomainId s, DomainId c, Gfn first, Gfn last) {
        Domain sd = memopDomain(s);
        Domain cd = memopClient(c);
        if (!sd.paused() || !cd.paused()) throw Rc.of(Errno.EINVAL);
        long f = first.value(), l = last.value();
        long maxS = sd.host.maxMappedPfn, maxC = cd.host.maxMappedPfn;
        if (Long.compareUnsigned(maxS, f) < 0 || Long.compareUnsigned(maxS, l) < 0
                || Long.compareUnsigned(maxC, f) < 0 || Long.compareUnsigned(maxC, l) < 0) throw Rc.of(Errno.EINVAL);
        long rc = 0;
        long gfn = f;
        for (; Long.compareUnsigned(gfn, l) <= 0; gfn++) {
            long shandle = nominate(sd, gfn, false);
            rc = Math.min(shandle, 0);
            if (rc == -Errno.ENOMEM.value()) break;
            if (rc == 0) {
                long chandle = nominate(cd, gfn, false);
                rc = Math.min(chandle, 0);
                if (rc == -Errno.ENOMEM.value()) break;
                if (rc == 0) rc = share(sd, gfn, shandle, cd, gfn, chandle);
            }
            if (gfn == -1L) { gfn++; break; }   // last_gfn = ~0: the loop index wraps in Xen too
        }
        // "The last page may fail with -EINVAL, and for range sharing we don't care about that."
        if (Long.compareUnsigned(l, gfn) < 0 && rc == -Errno.EINVAL.value()) rc = 0;
        Rc.check(rc);
    }

    /** mem_sharing.c:audit — debug hypervisors only. */
    int audit() {
        if (!h.cfg.memSharingBuilt()) throw Rc.of(Errno.ENOSYS);
        if (!h.cfg.debugHypervisor()) throw Rc.of(Errno.EOPNOTSUPP);
        return auditCount();
    }

    /** Every check of mem_sharing.c:audit; returns the number of inconsistencies. */
    int auditCount() {
        int errors = 0;
        long shared = 0;
        FrameTable ft = h.frames;
        for (long mfn : ft.sharedMfns()) {
            shared++;
            if (!ft.cowOwned(mfn)) errors++;
            if (ft.rmapSize(mfn) == 0) errors++;
            for (long k : ft.rmapSnapshot(mfn)) {
                Domain d = h.domainOrNull(Frame.rkeyDom(k));
                if (d == null) { errors++; continue; }
                long e = d.host.packed(Frame.rkeyGfn(k));
                if (Entry.mfnOf(e) != mfn || Entry.typeOf(e) != P2mType.RAM_SHARED) errors++;
            }
        }
        if (shared != h.nrSharedMfns) errors++;
        return errors;
    }

    int debugGfn(DomainId id, Gfn gfn) {
        Domain d = memopDomain(id);
        return debug(d, gfn.value());
    }

    int debugGref(DomainId id, GrantRef gref) {
        Domain d = memopDomain(id);
        return debug(d, grefToGfn(d, gref));
    }

    /** debug_gfn → debug_mfn: the page's type count − 1 = number of gfns sharing it; EINVAL if not shared. */
    private int debug(Domain d, long gfn) {
        Entry e = d.host.get(gfn);
        if (!e.valid() || h.frames.handle(e.mfn()) == 0) throw Rc.of(Errno.EINVAL);
        return h.frames.rmapSize(e.mfn());
    }

    /** mem_sharing_memop XENMEM_sharing_op_fork + mem_sharing_fork (§3.10). */
    void fork(DomainId parentId, DomainId childId, boolean allowIommu, boolean blockInterrupts) {
        Domain cd = memopDomain(childId);
        Domain pd = h.lookupLiveRemote(parentId);
        if (pd.maxVcpus() != cd.maxVcpus()) throw Rc.of(Errno.EINVAL);
        if (!pd.sharingEnabled) Rc.check(enable(pd, allowIommu));
        if (cd.controllerPauseCount == 0) throw Rc.of(Errno.EBUSY);
        boolean first = cd.parent == null;
        if (first) {
            pd.xenPauseCount++;   // domain_pause(d): held until the fork is destroyed
            pd.forkChildren++;
            cd.maxPages = pd.maxPages;
            cd.parent = pd;
        }
        // ≥ 4.19: hvm_copy_context_and_params sets HVM_PARAM_ALTP2M through hvm_set_param → EEXIST; rolled back
        if (h.cfg.altp2mAtCreation() && pd.altp2mMode() != 0) {
            if (first) {
                pd.xenPauseCount--;
                pd.forkChildren--;
                cd.parent = null;
            }
            throw Rc.of(Errno.EEXIST);
        }
        copySettings(cd, pd);
        cd.blockInterrupts = blockInterrupts;
    }

    /**
     * copy_settings: every non-zero HVM param (4.17: HVM_PARAM_ALTP2M included), vCPU state, max_mapped_pfn.
     * Loading a vCPU's state populates its CR3 gfn in the fork: hvm.c:hvm_copy_context_and_params → hvm_load →
     * hvm_load_cpu_ctxt → vmx.c:vmx_load_vmcs_ctxt (vmx_vmcs_restore) → paging_update_paging_modes →
     * hap.c:hap_update_paging_modes, whose {@code get_gfn(d, guest_cr[3] >> PAGE_SHIFT)} is a P2M_ALLOC lookup
     * (p2m.h: get_gfn), so p2m.c:__get_gfn_type_access forks the hole (mem_sharing_fork_page, read: shared from the
     * parent). It happens whatever the paging mode: a paging-off guest (CR3 0) gets gfn 0 shared (measured on 4.17.5,
     * integration s18). Same code in 4.20. vCPUs that are down have no HW_CPU record in Xen; xenffm's are all up.
     */
    private void copySettings(Domain cd, Domain pd) {
        // hvm_save prints each record it saves, hvm_load each it loads (XENLOG_G_INFO; save.c): of the records only
        // the per-vCPU CPU one is modelled
        h.hvmSave.printSave(pd);
        for (int i = 0; i < Domain.HVM_NR_PARAMS; i++) if (pd.params[i] != 0) cd.params[i] = pd.params[i];
        for (int i = 0; i < cd.vcpus.length; i++) {
            h.hvmSave.printRestore(cd, i);
            cd.vcpus[i].regs = pd.vcpus[i].regs.copy();
            h.hostLookup(cd, cd.vcpus[i].regs.cr3 >>> 12, true, false);   // hap_update_paging_modes: get_gfn(cr3 gfn)
        }
        copySpecialPages(cd, pd);
        cd.host.maxMappedPfn = Math.max(cd.host.maxMappedPfn, pd.host.maxMappedPfn);
    }

    private static final HvmParam[] SPECIAL_PARAMS =
            {HvmParam.STORE_PFN, HvmParam.IOREQ_PFN, HvmParam.BUFIOREQ_PFN, HvmParam.CONSOLE_PFN};

    /**
     * mem_sharing.c:copy_special_pages (same in 4.17.5 and 4.20): for each of the parent's xenstore, ioreq, bufioreq
     * and console params that is set, a hole at that gfn in the child gets a fresh page of the child (tot_pages +1,
     * ram_rw, the child's default access); present or not, the parent's contents are copied over it. So a fork owns
     * those pages from the start, and fork_reset(memory) drops them like any private page (no tool maps a fork's
     * special pages, so nominate's validation passes), until fork_reset(state) copies them again. The shared_info
     * page (a Xen-heap page) is not modelled.
     */
    private void copySpecialPages(Domain cd, Domain pd) {
        for (HvmParam p : SPECIAL_PARAMS) {
            long gfn = pd.params[p.index()];
            if (gfn == 0) continue;
            Entry old = pd.host.get(gfn);       // get_gfn_query_unlocked: no population, no unsharing
            Entry cur = cd.host.get(gfn);
            if (!cur.valid()) {
                Frame f = h.frames.alloc(cd);
                if (f == null) throw Rc.of(Errno.ENOMEM);
                cd.totPages++;
                h.setHost(cd, gfn, new Entry(f.mfn, P2mType.RAM_RW, cd.host.defaultAccess, true));
                cur = cd.host.get(gfn);
            }
            Frame src = old.valid() ? h.frames.getMaterialised(old.mfn()) : null;
            Frame dst = h.frame(cur.mfn());
            if (src != null) dst.copyFrom(src);
            else dst.write(0, new byte[Frame.SIZE]);
        }
    }

    void forkReset(DomainId id, boolean state, boolean memory) {
        Domain d = memopDomain(id);
        if (!state && !memory) throw Rc.of(Errno.EINVAL);
        if (!d.isFork()) throw Rc.of(Errno.ENOSYS);
        forkReset(d, state, memory);
    }

    /** mem_sharing_fork_reset: drop every page the fork owns that could be made sharable; keep the others. */
    void forkReset(Domain d, boolean state, boolean memory) {
        if (memory) {
            for (long gfn : d.host.touchedGfns()) {
                long e = d.host.packed(gfn);
                if (!Entry.validPacked(e) || !Entry.typeOf(e).sharable()) continue;
                long mfn = Entry.mfnOf(e);
                if (!h.frames.ownedMaterialised(mfn, d)) continue;   // an implicit frame, or not the fork's
                if (nominate(d, gfn, true) != 0) continue;   // validate only: E2BIG / altp2m conflict keep the page
                h.setHost(d, gfn, Entry.HOLE);
                h.frames.freeMfn(mfn);
                d.totPages--;
            }
        }
        if (state) copySettings(d, d.parent);
    }

    long freedPages() { return h.cfg.memSharingBuilt() ? h.nrSavedMfns : 0; }

    long usedFrames() { return h.cfg.memSharingBuilt() ? h.nrSharedMfns : 0; }

    // ---- the sharing ring (ENOMEM helper) -------------------------------------------------------------------------

    /** vm_event_domctl XEN_DOMCTL_VM_EVENT_OP_SHARING / ENABLE. */
    int ringEnable(DomainId id) {
        Domain d = h.lookup(id);
        if (d == h.dom0) throw Rc.of(Errno.EINVAL);
        ringBuilt();
        if (d.sharingRing != null) throw Rc.of(Errno.EBUSY);
        if (h.cfg.dom0Hvm()) throw Rc.of(Errno.EOPNOTSUPP);   // "hvm fixme: p2m_is_foreign types need addressing"
        if (!d.hap) throw Rc.of(Errno.ENODEV);
        if (d.params[29] == 0) throw Rc.of(Errno.EOPNOTSUPP);
        d.sharingRing = new VmEventRing(d, d.nextXenPort++, true);
        return d.sharingRing.xenPort;
    }

    /** vm_event.c:vm_event_domctl: the XEN_DOMCTL_VM_EVENT_OP_SHARING case is under #ifdef CONFIG_MEM_SHARING; without
     *  it the mode falls to the switch's default, -ENOSYS (OBSERVED on Debian 13's 4.20.4: o04). */
    private void ringBuilt() {
        if (!h.cfg.memSharingBuilt()) throw Rc.of(Errno.ENOSYS);
    }

    void ringDisable(DomainId id) {
        Domain d = h.lookup(id);
        ringBuilt();
        if (d.sharingRing == null) throw Rc.of(Errno.EINVAL);
        d.sharingRing.close();
        d.sharingRing = null;
    }

    void domainResume(DomainId id) {
        Domain d = h.lookup(id);
        ringBuilt();
        if (d.sharingRing == null) throw Rc.of(Errno.ENODEV);
        h.monitor.resume(d, d.sharingRing);
    }

    /**
     * mem_sharing_notify_enomem: without sleeping, put a MEM_SHARING request on the sharing ring and pause the
     * faulting vCPU if it belongs to d. Returns -EOPNOTSUPP without a ring, -EBUSY when it is full.
     */
    int notifyEnomem(Domain d, long gfn, boolean allowSleep) {
        VmEventRing r = d.sharingRing;
        if (r == null) return -Errno.EOPNOTSUPP.value();
        if (r.available() <= 0) return -Errno.EBUSY.value();
        Vcpu v = h.current;
        VmEventRequest req = new VmEventRequest(VmEventLayout.REASON_MEM_SHARING);
        req.u64(VmEventLayout.U_GFN, gfn).u32(VmEventLayout.U_SHARING_P2MT, P2mType.RAM_SHARED.xen());
        if (v != null && v.domain == d) {
            req.flags(VmEventLayout.F_VCPU_PAUSED);
            v.vmEventPause++;
        }
        req.vcpu(v == null ? 0 : v.id);
        h.monitor.putRequest(d, r, req);
        return 0;
    }

    // ---- the page-level operations other families use too ----------------------------------------------------------

    /**
     * nominate_page (§3.3): returns the handle (≥ 2), 0 for a successful validate-only call, or -errno. The host entry
     * is read without P2M_ALLOC: it never populates or unshares.
     */
    long nominate(Domain d, long gfn, boolean validateOnly) {
        // by packed entry and mfn: range_share nominates a million pages, none of which needs an object
        long e = d.host.packed(gfn);
        if (!Entry.validPacked(e)) return -Errno.EINVAL.value();
        long mfn = Entry.mfnOf(e);
        P2mType t = Entry.typeOf(e);
        if (t == P2mType.RAM_SHARED) return validateOnly ? 0 : h.frames.handle(mfn);
        if (!t.sharable()) return -Errno.EINVAL.value();
        FrameTable ft = h.frames;
        if (ft.special(mfn)) return -Errno.EINVAL.value();
        // altp2m check: a view holding this gfn with another mfn or access would diverge once the host entry changes
        if (d.altp2mActive) {
            for (AltView v : d.views) {
                if (!v.active) continue;
                Entry ve = v.table.get(gfn);
                if (ve.valid() && (ve.mfn() != mfn || ve.access() != Entry.accessOf(e))) return -Errno.EINVAL.value();
            }
        }
        // page_make_sharable
        if (d.dying) return -Errno.EBUSY.value();
        if (ft.extraRefs(mfn) > 0) return -Errno.E2BIG.value();
        if (validateOnly) return 0;
        long handle = ++h.nextHandle;
        ft.makeShared(mfn, handle);   // owner dom_cow
        ft.rmapAdd(mfn, Frame.rkey(d, gfn));
        d.totPages--;
        d.shrPages++;
        h.nrSharedMfns++;
        h.setHost(d, gfn, Entry.pack(mfn, P2mType.RAM_SHARED, d.host.defaultAccess, Entry.sveOf(e)));
        return handle;
    }

    /** __grab_shared_page: the handle of the frame behind a packed entry if it is a shared page, else 0. */
    private long sharedPage(long e) {
        return Entry.validPacked(e) ? h.frames.handle(Entry.mfnOf(e)) : 0;
    }

    /** share_pages (§3.4): merge the client page into the source page. */
    int share(Domain sd, long sgfn, long sh, Domain cd, long cgfn, long ch) {
        long se = sd.host.packed(sgfn), ce = cd.host.packed(cgfn);
        long smfn = Entry.mfnOf(se), cmfn = Entry.mfnOf(ce);
        if (smfn == cmfn) return 0;   // already the same frame (even two holes)
        long sph, cph;
        // pages are grabbed in increasing mfn order; the first that is not shared decides the error
        if (Long.compareUnsigned(smfn, cmfn) < 0) {
            if ((sph = sharedPage(se)) == 0) return S_HANDLE_INVALID;
            if ((cph = sharedPage(ce)) == 0) return C_HANDLE_INVALID;
        } else {
            if ((cph = sharedPage(ce)) == 0) return C_HANDLE_INVALID;
            if ((sph = sharedPage(se)) == 0) return S_HANDLE_INVALID;
        }
        if (sph != sh) return S_HANDLE_INVALID;
        if (cph != ch) return C_HANDLE_INVALID;
        FrameTable ft = h.frames;
        for (int j = 0, n = ft.rmapSize(cmfn); j < n; j++) {   // the client page's rmap moves to the source page
            long k = ft.rmapKey(cmfn, j);
            Domain od = Frame.rkeyDom(k) == cd.id ? cd : h.domains.get(Frame.rkeyDom(k));
            long g = Frame.rkeyGfn(k);
            ft.rmapAdd(smfn, k);
            long old = od.host.packed(g);
            h.setHost(od, g, Entry.pack(smfn, P2mType.RAM_SHARED, od.host.defaultAccess, Entry.sveOf(old)));
        }
        ft.rmapClear(cmfn);
        ft.freeMfn(cmfn);
        h.nrSharedMfns--;
        h.nrSavedMfns++;
        return 0;
    }

    /** add_to_physmap (§3.5). */
    int addToPhysmap(Domain sd, long sgfn, long sh, Domain cd, long cgfn) {
        long se = sd.host.packed(sgfn);
        long sph = sharedPage(se);
        if (sph == 0 || sph != sh) return S_HANDLE_INVALID;
        long smfn = Entry.mfnOf(se);
        Entry ce = cd.host.get(cgfn);
        if (ce.valid() || !ce.type().hole()) return C_HANDLE_INVALID;
        // p2m_set_entry → p2m-ept.c:ept_set_entry: gfn >> ((wl + 1) * EPT_TABLE_ORDER) != 0 → -EINVAL; a 4-level EPT
        // maps 48 guest-physical bits, so gfns from 2^36 up are refused (4.17.5 and 4.20 alike)
        if (!P2m.eptMaps(cgfn)) return -Errno.EINVAL.value();
        h.frames.rmapAdd(smfn, Frame.rkey(cd, cgfn));
        cd.shrPages++;
        h.setHost(cd, cgfn, Entry.pack(smfn, P2mType.RAM_SHARED, cd.host.defaultAccess, true));
        h.nrSavedMfns++;
        return 0;
    }

    /**
     * __mem_sharing_unshare_page (§3.7): 0, or -ENOMEM when no page can be allocated for the copy. With
     * {@code destroy} (relinquish) the reference is dropped and the entry cleared instead of copying.
     */
    int unshare(Domain d, long gfn, boolean destroy) {
        long e = d.host.packed(gfn);   // packed: a guest write's copy-on-write allocates no entry object
        if (Entry.typeOf(e) != P2mType.RAM_SHARED) return 0;
        FrameTable ft = h.frames;
        long mfn = Entry.mfnOf(e);
        long key = Frame.rkey(d, gfn);
        boolean last = ft.rmapSize(mfn) == 1;
        if (destroy) {
            ft.rmapRemove(mfn, key);
            d.shrPages--;
            if (last) { h.nrSharedMfns--; ft.freeMfn(mfn); } else h.nrSavedMfns--;
            h.setHost(d, gfn, Entry.HOLE);
            return 0;
        }
        boolean sve = Entry.sveOf(e);
        if (last) {
            // the last reference turns the page back into a private page of d in place
            ft.rmapRemove(mfn, key);
            ft.makePrivate(mfn, d);
            d.totPages++;
            d.shrPages--;
            h.nrSharedMfns--;
            h.setHost(d, gfn, Entry.pack(Entry.mfnOf(e), P2mType.RAM_RW, d.host.defaultAccess, sve));
            return 0;
        }
        long n = ft.allocCopy(d, mfn);
        if (n < 0) return -Errno.ENOMEM.value();
        ft.rmapRemove(mfn, key);
        h.nrSavedMfns--;
        d.shrPages--;
        d.totPages++;
        h.setHost(d, gfn, Entry.pack(n, P2mType.RAM_RW, d.host.defaultAccess, sve));
        return 0;
    }

    /** mem_sharing_fork_page (§3.10): read → shared entry from the nearest ancestor that can nominate; write → copy. */
    int forkPage(Domain d, long gfn, boolean unsharing) {
        if (!d.isFork()) return -Errno.ENOENT.value();
        if (!unsharing) {
            for (Domain p = d.parent; p != null; p = p.parent) {
                long handle = nominate(p, gfn, false);
                if (handle > 0) {
                    if (addToPhysmap(p, gfn, handle, d, gfn) == 0) return 0;
                    break;
                }
            }
        }
        Domain p = d.parent;
        Entry pe = null;
        for (; p != null; p = p.parent) {
            pe = p.host.get(gfn);
            if (pe.valid() && pe.type().ram()) break;   // grant/MMIO memory is never forked
        }
        if (p == null) return -Errno.ENOENT.value();
        long n = h.frames.allocCopy(d, pe.mfn());
        if (n < 0) return -Errno.ENOMEM.value();
        d.totPages++;
        h.setHost(d, gfn, Entry.pack(n, P2mType.RAM_RW, d.host.defaultAccess, true));
        return 0;
    }

    /** relinquish_shared_pages: every shared gfn is unshared with destroy=true. */
    void relinquish(Domain d) {
        for (long gfn : d.host.touchedGfns()) {
            if (d.host.get(gfn).type() == P2mType.RAM_SHARED) unshare(d, gfn, true);
        }
    }
}
