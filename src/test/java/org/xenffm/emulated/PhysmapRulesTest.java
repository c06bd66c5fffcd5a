// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.emulated.Support.fails;
import static org.xenffm.emulated.Support.g;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.ViewId;

/**
 * A domain's reservation: XEN_DOMCTL_max_mem, XENMEM_populate_physmap, XENMEM_decrease_reservation
 * (common/domctl.c, common/memory.c:populate_physmap/guest_remove_page, p2m.c:p2m_add_page), their effect on
 * sharing counters and on altp2m views (altp2m.c:p2m_altp2m_propagate_change).
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Release.class)
class PhysmapRulesTest {
    private static final Duration T = Duration.ofSeconds(10);
    final Release release;
    final EmulatedHypervisor emu;
    final DomainId d;

    PhysmapRulesTest(Release release) {
        this.release = release;
        emu = release.emulator();
        d = release.altp2mGuest(emu, 1, 64);
    }

    private long tot(DomainId x) { return emu.domainGetinfo(x).totPages(); }

    // DRAKVUF's stealth page: setmaxmem one page up, populate at max_gpfn + 1, the guest uses it
    @Test void aPageBeyondMaxGpfn() {
        long max = emu.domainMaximumGpfn(d), pages = tot(d);
        Gfn next = g(max + 1);
        fails(Errno.EBUSY, "xc_domain_populate_physmap_exact", () -> emu.domainPopulatePhysmapExact(d, List.of(next)));
        assertEquals(pages, tot(d), "assign_pages refused: tot_pages == max_pages");
        emu.domainSetmaxmem(d, (emu.domainGetinfo(d).maxPages() + 1) * 4);
        emu.domainPopulatePhysmapExact(d, List.of(next));
        assertEquals(pages + 1, tot(d));
        assertEquals(max + 1, emu.domainMaximumGpfn(d), "p2m->max_mapped_pfn grows");
        GuestCpu cpu = emu.guest(d).vcpu(0);
        assertEquals(Outcome.COMPLETED, cpu.write(next, 0x10, new byte[]{0x42}).await(T));
        try (ForeignMapping m = emu.foreignMemoryMap(d, false, List.of(next))) {
            assertEquals(0x42, m.memory().get(ValueLayout.JAVA_BYTE, 0x10));
            assertEquals(0, m.memory().get(ValueLayout.JAVA_BYTE, 0x11), "a fresh page is zeroed");
        }
        assertEquals(MemAccess.RWX, emu.hostEntry(d, next).access(), "the p2m's default access");
        assertEquals(P2mType.RAM_RW, emu.hostEntry(d, next).type());
    }

    // XEN_DOMCTL_max_mem: max_pages = kb >> 2, no check against tot_pages; allocations fail until below it again
    @Test void setmaxmemRatchetsDown() {
        long pages = tot(d);
        emu.domainSetmaxmem(d, 4 * (pages - 1));
        assertEquals(pages - 1, emu.domainGetinfo(d).maxPages());
        assertEquals(pages, tot(d), "nothing is freed");
        fails(Errno.EBUSY, "xc_domain_populate_physmap_exact", () -> emu.domainPopulatePhysmapExact(d, List.of(g(0x100))));
        emu.domainDecreaseReservationExact(d, List.of(g(1), g(2)));
        emu.domainPopulatePhysmapExact(d, List.of(g(1)));
        assertEquals(pages - 1, tot(d));
        emu.domainSetmaxmem(d, Long.MAX_VALUE);
        assertEquals(0xffffffffL, emu.domainGetinfo(d).maxPages(), "max_pages is an unsigned int");
        fails(Errno.ESRCH, "xc_domain_setmaxmem", () -> emu.domainSetmaxmem(DomainId.of(99), 4));
    }

    // guest_remove_page: the frame goes, the gfn becomes a hole, max_gpfn stays; a hole is ENOENT → EINVAL
    @Test void decreaseDropsAPage() {
        long pages = tot(d), max = emu.domainMaximumGpfn(d);
        emu.domainDecreaseReservationExact(d, List.of(g(5)));
        assertEquals(pages - 1, tot(d));
        fails(Errno.EINVAL, "xenforeignmemory_map", () -> emu.foreignMemoryMap(d, false, List.of(g(5))));
        fails(Errno.EINVAL, "xc_domain_decrease_reservation_exact",
                () -> emu.domainDecreaseReservationExact(d, List.of(g(5))));
        fails(Errno.EINVAL, "xc_domain_decrease_reservation_exact",
                () -> emu.domainDecreaseReservationExact(d, List.of(g(6), g(0x200), g(7))));
        assertEquals(pages - 2, tot(d), "gfns before the failing one are dropped, after it not");
        assertTrue(emu.hostEntry(d, g(7)).valid());
        emu.domainDecreaseReservationExact(d, List.of(g(max)));
        assertEquals(max, emu.domainMaximumGpfn(d), "max_mapped_pfn never shrinks");
        emu.domainPopulatePhysmapExact(d, List.of(g(5)));   // and back
        assertTrue(emu.hostEntry(d, g(5)).valid());
    }

    // page_alloc.c:free_domheap_pages scrubs only a dying domain's pages; the page just freed heads the free list
    @Test void aDroppedPageIsTheNextOneAllocatedWithItsContents() {
        try (ForeignMapping m = emu.foreignMemoryMap(d, true, List.of(g(8)))) { m.memory().set(ValueLayout.JAVA_INT, 0, 0xa0); }
        emu.domainDecreaseReservationExact(d, List.of(g(8)));
        emu.domainPopulatePhysmapExact(d, List.of(g(8)));
        try (ForeignMapping m = emu.foreignMemoryMap(d, false, List.of(g(8)))) {
            assertEquals(0xa0, m.memory().get(ValueLayout.JAVA_INT, 0), "not scrubbed (observed on real Xen, s38)");
        }
    }

    // guest_remove_page unshares first: the reference is released and the counters move as for an unshare
    @Test void droppingASharedGfnReleasesItsReference() {
        DomainId d2 = release.altp2mGuest(emu, 1, 64);
        SharingHandle h1 = emu.memshrNominateGfn(d, g(9)), h2 = emu.memshrNominateGfn(d2, g(9));
        emu.memshrShareGfns(d, g(9), h1, d2, g(9), h2);
        assertEquals(1, emu.sharingFreedPages());
        assertEquals(1, emu.sharingUsedFrames());
        long t2 = tot(d2);
        emu.domainDecreaseReservationExact(d2, List.of(g(9)));
        assertEquals(0, emu.domainGetinfo(d2).shrPages());
        assertEquals(t2, tot(d2), "the private copy is allocated and freed again");
        assertEquals(0, emu.sharingFreedPages());
        assertEquals(1, emu.sharingUsedFrames(), "d still holds the shared frame");
        assertEquals(1, emu.memshrDebugGfn(d, g(9)));
        long t1 = tot(d);
        emu.domainDecreaseReservationExact(d, List.of(g(9)));
        assertEquals(0, emu.sharingUsedFrames(), "the last reference took the frame back, then dropped it");
        assertEquals(0, emu.domainGetinfo(d).shrPages());
        assertEquals(t1, tot(d));
        assertFalse(emu.hostEntry(d, g(9)).valid());
    }

    // populate over a shared gfn (p2m_add_page unshares it first) maps a fresh page
    @Test void populatingOverASharedGfn() {
        DomainId d2 = release.altp2mGuest(emu, 1, 64);
        SharingHandle h1 = emu.memshrNominateGfn(d, g(9)), h2 = emu.memshrNominateGfn(d2, g(9));
        emu.memshrShareGfns(d, g(9), h1, d2, g(9), h2);
        emu.domainSetmaxmem(d2, 4 * (emu.domainGetinfo(d2).maxPages() + 2));
        long shared = emu.hostEntry(d, g(9)).mfn();
        emu.domainPopulatePhysmapExact(d2, List.of(g(9)));
        assertEquals(0, emu.domainGetinfo(d2).shrPages());
        assertEquals(0, emu.sharingFreedPages());
        assertNotEquals(shared, emu.hostEntry(d2, g(9)).mfn());
        assertEquals(P2mType.RAM_RW, emu.hostEntry(d2, g(9)).type());
    }

    // p2m_altp2m_propagate_change, dropped entry (mfn INVALID):
    //  - the target of a remap (inside [min_remapped_gfn, max_remapped_gfn]) resets the view;
    //  - the remapped gfn itself is outside that range: the view only loses that one entry.
    @Test void droppedPagesAndRemappingViews() {
        emu.altp2mSetDomainState(d, true);
        ViewId v = emu.altp2mCreateView(d, MemAccess.RWX);
        emu.altp2mChangeGfn(d, v, g(10), g(20));
        emu.altp2mSetMemAccess(d, v, g(30), MemAccess.RX);
        emu.domainDecreaseReservationExact(d, List.of(g(10)));
        assertTrue(emu.viewEntry(d, v, g(10)).isEmpty(), "the remap at 10 is gone");
        assertEquals(MemAccess.RX, emu.altp2mGetMemAccess(d, v, g(30)), "the rest of the view stays");
        emu.altp2mChangeGfn(d, v, g(11), g(20));
        emu.domainDecreaseReservationExact(d, List.of(g(20)));
        assertTrue(emu.viewEntry(d, v, g(11)).isEmpty(), "view reset: remap dropped");
        assertTrue(emu.viewEntry(d, v, g(30)).isEmpty(), "view reset: access entries dropped");
        fails(Errno.ESRCH, "xc_altp2m_get_mem_access", () -> emu.altp2mGetMemAccess(d, v, g(30)));
    }

    // a second view hit resets every active view, also one that never remapped anything
    @Test void twoViewsHitResetsAll() {
        emu.altp2mSetDomainState(d, true);
        ViewId a = emu.altp2mCreateView(d, MemAccess.RWX), b = emu.altp2mCreateView(d, MemAccess.RWX),
                c = emu.altp2mCreateView(d, MemAccess.RWX);
        emu.altp2mChangeGfn(d, a, g(10), g(20));
        emu.altp2mChangeGfn(d, b, g(12), g(21));
        emu.altp2mChangeGfn(d, b, g(13), g(19));   // b's range [19, 21]
        emu.altp2mSetMemAccess(d, c, g(30), MemAccess.R);
        emu.domainDecreaseReservationExact(d, List.of(g(20)));
        assertTrue(emu.viewEntry(d, a, g(10)).isEmpty());
        assertTrue(emu.viewEntry(d, b, g(12)).isEmpty());
        assertTrue(emu.viewEntry(d, c, g(30)).isEmpty(), "c was never hit, and is reset too");
    }

    // populate pushes the new (mfn, ram_rw, default access) into a view that holds the gfn
    @Test void populatePropagatesIntoViews() {
        emu.altp2mSetDomainState(d, true);
        ViewId v = emu.altp2mCreateView(d, MemAccess.RWX);
        emu.altp2mSetMemAccess(d, v, g(40), MemAccess.R);
        emu.domainDecreaseReservationExact(d, List.of(g(40)));
        assertTrue(emu.viewEntry(d, v, g(40)).isEmpty());
        emu.domainSetmaxmem(d, 4 * (emu.domainGetinfo(d).maxPages() + 2));
        emu.domainPopulatePhysmapExact(d, List.of(g(40)));
        assertTrue(emu.viewEntry(d, v, g(40)).isEmpty(), "a view without the entry copies it lazily later");
        emu.altp2mSetMemAccess(d, v, g(43), MemAccess.R);
        emu.domainPopulatePhysmapExact(d, List.of(g(43)));   // over a populated gfn: a fresh page
        Entry e43 = emu.viewEntry(d, v, g(43)).orElseThrow();
        assertEquals(emu.hostEntry(d, g(43)).mfn(), e43.mfn());
        assertEquals(MemAccess.RWX, e43.access(), "the host's new entry overwrites the view's access");
        emu.altp2mChangeGfn(d, v, g(41), g(42));
        long old42 = emu.hostEntry(d, g(42)).mfn();
        emu.domainPopulatePhysmapExact(d, List.of(g(42)));
        assertNotEquals(old42, emu.hostEntry(d, g(42)).mfn());
        assertEquals(old42, emu.viewEntry(d, v, g(41)).orElseThrow().mfn(),
                "41 still maps 42's old frame: propagation is per gfn, and a valid mfn resets nothing");
    }
}
