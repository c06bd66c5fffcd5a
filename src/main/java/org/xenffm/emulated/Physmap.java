// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;

import java.util.List;

/**
 * A domain's memory reservation: XEN_DOMCTL_max_mem, XENMEM_populate_physmap and XENMEM_decrease_reservation
 * (common/domctl.c, common/memory.c, x86 mm/p2m.c), with order-0 extents, through libxc's {@code _exact} wrappers.
 */
final class Physmap {
    /** d->max_pages is an unsigned int (xen/sched.h). */
    private static final long MAX_PAGES_LIMIT = 0xffffffffL;
    /** Gfns the p2m can map: the emulated CPU's physical address width (p2m.c:p2m_set_entry refuses beyond it). */
    private static final long GFN_LIMIT = 1L << (HvmSave.MAXPHYSADDR - 12);

    private final Host h;

    Physmap(Host h) { this.h = h; }

    /** domctl.c XEN_DOMCTL_max_mem: max_pages = min(kb >> 2, UINT_MAX); no check against tot_pages. */
    void setmaxmem(DomainId id, long maxMemKb) {
        Domain d = h.lookup(id);
        d.maxPages = Math.min(maxMemKb >>> 2, MAX_PAGES_LIMIT);
    }

    /**
     * memory.c:populate_physmap: per gfn, alloc_domheap_pages (assign_pages refuses past max_pages; no host memory
     * fails too), then guest_physmap_add_page → p2m.c:p2m_add_page. The first failing extent ends the call and libxc's
     * _exact wrapper turns the short count into EBUSY.
     */
    void populate(DomainId id, List<Gfn> gfns) {
        Domain d = h.lookup(id);
        for (Gfn g : gfns) {
            long gfn = g.value();
            // p2m_set_entry would fail for a gfn beyond the physical address width (the page Xen allocated for it
            // first is not modelled)
            if (Long.compareUnsigned(gfn, GFN_LIMIT) >= 0) throw Rc.of(Errno.EBUSY);
            if (d.totPages + 1 > d.maxPages) throw Rc.of(Errno.EBUSY);          // assign_pages: over-allocation
            // p2m_add_page: a shared entry is unshared first (its ENOMEM fails the extent); an old private page is
            // only unlinked from the m2p (it stays allocated to the domain, as in Xen)
            if (d.host.get(gfn).type() == P2mType.RAM_SHARED && h.memshr.unshare(d, gfn, false) < 0) {
                h.memshr.notifyEnomem(d, gfn, false);
                throw Rc.of(Errno.EBUSY);
            }
            Frame f = h.frames.alloc(d);
            if (f == null) throw Rc.of(Errno.EBUSY);
            d.totPages++;
            h.setHost(d, gfn, new Entry(f.mfn, P2mType.RAM_RW, d.host.defaultAccess, true));
        }
    }

    /**
     * memory.c:decrease_reservation → guest_remove_page, per gfn: a hole or mmio_dm entry is ENOENT, a shared page
     * is unshared first (mem_sharing_unshare_page; ENOMEM raises the sharing ring's notification), then
     * guest_physmap_remove_page writes INVALID_MFN to the host p2m (propagated into the views by
     * {@link Host#setHost}) and the page is freed unscrubbed (page_alloc.c:free_domheap_pages scrubs only a dying
     * domain's pages), to be the next page allocated. The first failing gfn ends the call: libxc's _exact wrapper
     * reports EINVAL.
     */
    void decrease(DomainId id, List<Gfn> gfns) {
        Domain d = h.lookup(id);
        for (Gfn g : gfns) {
            long gfn = g.value();
            Entry e = d.host.get(gfn);
            if (!e.valid() || !e.type().ram()) throw Rc.of(Errno.EINVAL);
            if (e.type() == P2mType.RAM_SHARED) {
                if (h.memshr.unshare(d, gfn, false) < 0) {
                    h.memshr.notifyEnomem(d, gfn, false);
                    throw Rc.of(Errno.EINVAL);
                }
                e = d.host.get(gfn);
            }
            Frame f = h.frames.getMaterialised(e.mfn()); // null: an implicit frame never written, still zero
            h.setHost(d, gfn, Entry.HOLE);
            if (f != null && f.special) continue;          // a Xen-heap page: unmapped, not the domain's allocation
            d.totPages--;
            h.frames.freeUnscrubbed(f);   // a live domain's page: freed as it is, the next one allocated
        }
    }
}
