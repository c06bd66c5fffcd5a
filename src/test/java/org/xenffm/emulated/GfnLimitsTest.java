// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.GfnAccess;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.SuppressVeResult;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;

/**
 * Gfn limits per call (docs/xen-semantics.md "Gfn limits per call"): every {@code Hypervisor} call that takes a gfn,
 * fed one gfn of each class, on each release, must end as real Xen ends it (errno, or success and what changed). The
 * expectations are read from Xen's source (RELEASE-4.17.5 and RELEASE-4.20.x agree on all of them); the row's comment
 * names the function that decides.
 */
class GfnLimitsTest {
    /** The gfn classes: the guest has 256 pages (max_gpfn 0xff) with gfn 0x20 dropped. */
    enum Cls {
        RAM(0x10), HOLE(0x20), BEYOND(0x100000), EPT(1L << 36), PADDR(1L << 52),
        /** Bit 62 set: XENMEM_SHARING_OP_FIELD_IS_GREF_FLAG, which the sharing memop reads as "a grant ref follows". */
        GREF_BIT((1L << 62) | 0x10),
        INVALID(~0L);

        final long gfn;

        Cls(long gfn) { this.gfn = gfn; }

        Gfn g() { return Gfn.of(gfn); }
    }

    static final Cls[] ALL = Cls.values();

    /** The prepared host the call runs on. */
    record Ctx(EmulatedHypervisor hv, DomainId d1, DomainId d2, ViewId view, SharingHandle h1, SharingHandle h2) {}

    interface Call { void run(Ctx c, Gfn g); }

    /** What Xen does: {@code errno} null = success; {@code grows} = max_gpfn becomes the gfn; {@code hostDefault}. */
    record Expect(Errno errno, boolean grows, MemAccess hostDefault, Call check) {}

    static final Expect OK = new Expect(null, false, null, null);
    static final Expect GROWS = new Expect(null, true, null, null);
    static final Expect DEFAULT_R = new Expect(null, false, MemAccess.R, null);

    static Expect fails(Errno e) { return new Expect(e, false, null, null); }

    static Expect okThen(Call check) { return new Expect(null, false, null, check); }

    record Row(String call, Call call0, Map<Cls, Expect> expect) {
        @Override public String toString() { return call; }
    }

    static final MemAccess R = MemAccess.R;
    static final Expect EINVAL = fails(Errno.EINVAL), ESRCH = fails(Errno.ESRCH);

    static List<Row> table() {
        List<Row> rows = new ArrayList<>();
        // common/mem_access.c:mem_access_memop set_access: pfn+nr-1 > domain_get_maximum_gpfn → EINVAL; ~0 → default
        rows.add(new Row("xc_set_mem_access", (c, g) -> c.hv.setMemAccess(c.d1, R, g, 1), Map.of(
                Cls.RAM, okThen((c, g) -> assertEquals(R, c.hv.getMemAccess(c.d1, g))), Cls.HOLE, OK,
                Cls.BEYOND, EINVAL, Cls.EPT, EINVAL, Cls.PADDR, EINVAL, Cls.INVALID, DEFAULT_R)));
        // set_access_multi: no max_gpfn check; mem_access.c:set_mem_access writes every gfn with p2m->set_entry: beyond
        // max_mapped_pfn an mmio_dm entry (ept_set_entry raises max_mapped_pfn for any type but p2m_invalid); from
        // 2^36 (and ~0, which is no default here) ept_set_entry → EINVAL
        rows.add(new Row("xc_set_mem_access_multi",
                (c, g) -> c.hv.setMemAccessMulti(c.d1, List.of(new GfnAccess(g, R))), Map.of(
                Cls.RAM, okThen((c, g) -> assertEquals(R, c.hv.getMemAccess(c.d1, g))), Cls.HOLE, OK,
                Cls.BEYOND, GROWS, Cls.EPT, EINVAL, Cls.PADDR, EINVAL, Cls.INVALID, EINVAL)));
        // mem_access_memop get_access: pfn > max gpfn (and not ~0) → EINVAL; _p2m_get_mem_access: no mfn → ESRCH
        rows.add(new Row("xc_get_mem_access", (c, g) -> c.hv.getMemAccess(c.d1, g), Map.of(
                Cls.RAM, OK, Cls.HOLE, ESRCH, Cls.BEYOND, EINVAL, Cls.EPT, EINVAL, Cls.PADDR, EINVAL,
                Cls.INVALID, okThen((c, g) -> assertEquals(MemAccess.RWX, c.hv.getMemAccess(c.d1, g))))));
        // p2m_set_mem_access on a view: p2m_set_altp2m_mem_access's ESRCH (no RAM in view or host) is skipped → 0;
        // ~0 sets the HOST default (p2m->default_access of the host p2m, whatever the view)
        rows.add(new Row("xc_altp2m_set_mem_access view",
                (c, g) -> c.hv.altp2mSetMemAccess(c.d1, c.view, g, R), Map.of(
                Cls.RAM, okThen((c, g) -> assertEquals(R, c.hv.altp2mGetMemAccess(c.d1, c.view, g))),
                Cls.HOLE, OK, Cls.BEYOND, OK, Cls.EPT, OK, Cls.PADDR, OK, Cls.INVALID, DEFAULT_R)));
        // view 0 is the host p2m, reached without the memop's max_gpfn check: set_mem_access → set_entry as _multi
        rows.add(new Row("xc_altp2m_set_mem_access view 0",
                (c, g) -> c.hv.altp2mSetMemAccess(c.d1, ViewId.HOST, g, R), Map.of(
                Cls.RAM, okThen((c, g) -> assertEquals(R, c.hv.getMemAccess(c.d1, g))), Cls.HOLE, OK,
                Cls.BEYOND, GROWS, Cls.EPT, EINVAL, Cls.PADDR, EINVAL, Cls.INVALID, DEFAULT_R)));
        // p2m_set_mem_access_multi has no ~0 case: on a view ~0 is a gfn without RAM, skipped
        rows.add(new Row("xc_altp2m_set_mem_access_multi view",
                (c, g) -> c.hv.altp2mSetMemAccessMulti(c.d1, c.view, List.of(new GfnAccess(g, R))), Map.of(
                Cls.RAM, okThen((c, g) -> assertEquals(R, c.hv.altp2mGetMemAccess(c.d1, c.view, g))),
                Cls.HOLE, OK, Cls.BEYOND, OK, Cls.EPT, OK, Cls.PADDR, OK, Cls.INVALID, OK)));
        rows.add(new Row("xc_altp2m_set_mem_access_multi view 0",
                (c, g) -> c.hv.altp2mSetMemAccessMulti(c.d1, ViewId.HOST, List.of(new GfnAccess(g, R))), Map.of(
                Cls.RAM, OK, Cls.HOLE, OK, Cls.BEYOND, GROWS, Cls.EPT, EINVAL, Cls.PADDR, EINVAL, Cls.INVALID, EINVAL)));
        // p2m_get_mem_access → _p2m_get_mem_access on the view's own p2m (no lazy copy, no max_gpfn check): a fresh
        // view holds nothing → ESRCH; ~0 → that view's default access
        rows.add(new Row("xc_altp2m_get_mem_access view", (c, g) -> c.hv.altp2mGetMemAccess(c.d1, c.view, g), Map.of(
                Cls.RAM, ESRCH, Cls.HOLE, ESRCH, Cls.BEYOND, ESRCH, Cls.EPT, ESRCH, Cls.PADDR, ESRCH,
                Cls.INVALID, okThen((c, g) -> assertEquals(MemAccess.N, c.hv.altp2mGetMemAccess(c.d1, c.view, g))))));
        rows.add(new Row("xc_altp2m_get_mem_access view 0",
                (c, g) -> c.hv.altp2mGetMemAccess(c.d1, ViewId.HOST, g), Map.of(
                Cls.RAM, OK, Cls.HOLE, ESRCH, Cls.BEYOND, ESRCH, Cls.EPT, ESRCH, Cls.PADDR, ESRCH, Cls.INVALID, OK)));
        // p2m_change_altp2m_gfn: old gfn needs an effective entry (altp2m_get_effective_entry → ESRCH), ~0 too
        rows.add(new Row("xc_altp2m_change_gfn old", (c, g) -> c.hv.altp2mChangeGfn(c.d1, c.view, g, Gfn.of(0x11)),
                Map.of(Cls.RAM, OK, Cls.HOLE, ESRCH, Cls.BEYOND, ESRCH, Cls.EPT, ESRCH, Cls.PADDR, ESRCH,
                        Cls.INVALID, ESRCH)));
        // new gfn: ~0 removes the remap (0 even with nothing to remove); others need RAM → ESRCH
        rows.add(new Row("xc_altp2m_change_gfn new", (c, g) -> c.hv.altp2mChangeGfn(c.d1, c.view, Gfn.of(0x11), g),
                Map.of(Cls.RAM, OK, Cls.HOLE, ESRCH, Cls.BEYOND, ESRCH, Cls.EPT, ESRCH, Cls.PADDR, ESRCH,
                        Cls.INVALID, OK)));
        // p2m_set_suppress_ve(_multi) on a view: altp2m_get_effective_entry → ESRCH. (~0 is left out: first = last =
        // ~0 makes Xen's loop wrap to gfn 0 and walk the whole gfn space, see the doc.)
        rows.add(new Row("xc_altp2m_set_suppress_ve view",
                (c, g) -> c.hv.altp2mSetSuppressVe(c.d1, c.view, g, false), Map.of(
                Cls.RAM, OK, Cls.HOLE, ESRCH, Cls.BEYOND, ESRCH, Cls.EPT, ESRCH, Cls.PADDR, ESRCH)));
        // on the host p2m altp2m_get_effective_entry returns 0 with INVALID_MFN; set_entry then writes an mmio_dm
        // entry (raising max_mapped_pfn) or, from 2^36, fails in ept_set_entry → EINVAL
        rows.add(new Row("xc_altp2m_set_suppress_ve view 0",
                (c, g) -> c.hv.altp2mSetSuppressVe(c.d1, ViewId.HOST, g, false), Map.of(
                Cls.RAM, OK, Cls.HOLE, OK, Cls.BEYOND, GROWS, Cls.EPT, EINVAL, Cls.PADDR, EINVAL)));
        rows.add(new Row("xc_altp2m_set_supress_ve_multi view", (c, g) -> {
            SuppressVeResult r = c.hv.altp2mSetSuppressVeMulti(c.d1, c.view, g, g, false);
            if (!r.allApplied()) throw new XenException("first_error", c.d1, g, c.view, r.firstError().orElseThrow());
            }, Map.of(Cls.RAM, OK, Cls.HOLE, ESRCH, Cls.BEYOND, ESRCH, Cls.EPT, ESRCH, Cls.PADDR, ESRCH)));
        // p2m_get_suppress_ve: the p2m's own entry, no mfn → ESRCH (a fresh view holds nothing; ~0 is no default)
        rows.add(new Row("xc_altp2m_get_suppress_ve view", (c, g) -> c.hv.altp2mGetSuppressVe(c.d1, c.view, g),
                Map.of(Cls.RAM, ESRCH, Cls.HOLE, ESRCH, Cls.BEYOND, ESRCH, Cls.EPT, ESRCH, Cls.PADDR, ESRCH,
                        Cls.INVALID, ESRCH)));
        rows.add(new Row("xc_altp2m_get_suppress_ve view 0",
                (c, g) -> c.hv.altp2mGetSuppressVe(c.d1, ViewId.HOST, g), Map.of(Cls.RAM, OK, Cls.HOLE, ESRCH,
                Cls.BEYOND, ESRCH, Cls.EPT, ESRCH, Cls.PADDR, ESRCH, Cls.INVALID, ESRCH)));
        // mem_sharing.c:nominate_page: no sharable type behind the gfn → EINVAL
        rows.add(new Row("xc_memshr_nominate_gfn", (c, g) -> c.hv.memshrNominateGfn(c.d1, g), Map.of(
                Cls.RAM, OK, Cls.HOLE, EINVAL, Cls.BEYOND, EINVAL, Cls.EPT, EINVAL, Cls.PADDR, EINVAL,
                Cls.INVALID, EINVAL)));
        // debug_gfn → debug_mfn: no shared page → EINVAL
        rows.add(new Row("xc_memshr_debug_gfn", (c, g) -> c.hv.memshrDebugGfn(c.d1, g), Map.of(
                Cls.HOLE, EINVAL, Cls.BEYOND, EINVAL, Cls.EPT, EINVAL, Cls.PADDR, EINVAL, Cls.INVALID, EINVAL)));
        // share_pages: a source gfn without a shared page → S_HANDLE_INVALID (ECHILD). mem_sharing_memop reads a
        // gfn with bit 62 as a grant ref (the low 32 bits): ~0 → ref 0xffffffff beyond the table → ENOENT; a small
        // ref never granted → ENXIO (grant_table.c:mem_sharing_gref_to_gfn)
        rows.add(new Row("xc_memshr_share_gfns source",
                (c, g) -> c.hv.memshrShareGfns(c.d1, g, c.h1, c.d2, Cls.RAM.g(), c.h2), Map.of(
                Cls.RAM, OK, Cls.HOLE, fails(Errno.ECHILD), Cls.BEYOND, fails(Errno.ECHILD),
                Cls.EPT, fails(Errno.ECHILD), Cls.PADDR, fails(Errno.ECHILD), Cls.GREF_BIT, fails(Errno.ENXIO),
                Cls.INVALID, fails(Errno.ENOENT))));
        rows.add(new Row("xc_memshr_share_gfns client",
                (c, g) -> c.hv.memshrShareGfns(c.d1, Cls.RAM.g(), c.h1, c.d2, g, c.h2), Map.of(
                Cls.RAM, OK, Cls.HOLE, fails(Errno.EBADF), Cls.BEYOND, fails(Errno.EBADF),
                Cls.EPT, fails(Errno.EBADF), Cls.PADDR, fails(Errno.EBADF), Cls.GREF_BIT, fails(Errno.ENXIO),
                Cls.INVALID, fails(Errno.ENOENT))));
        // add_physmap: a source gfn with bit 62 → EINVAL ("cannot add a gref to the physmap"); otherwise no shared
        // page → S_HANDLE_INVALID
        rows.add(new Row("xc_memshr_add_to_physmap source",
                (c, g) -> c.hv.memshrAddToPhysmap(c.d1, g, c.h1, c.d2, Cls.HOLE.g()), Map.of(
                Cls.RAM, OK, Cls.HOLE, fails(Errno.ECHILD), Cls.BEYOND, fails(Errno.ECHILD),
                Cls.EPT, fails(Errno.ECHILD), Cls.PADDR, fails(Errno.ECHILD), Cls.GREF_BIT, EINVAL,
                Cls.INVALID, EINVAL)));
        // client gfn: must be a hole (else C_HANDLE_INVALID = EBADF); p2m_set_entry → ept_set_entry: ≥ 2^36 → EINVAL;
        // below, the new entry raises the client's max_mapped_pfn
        rows.add(new Row("xc_memshr_add_to_physmap client",
                (c, g) -> c.hv.memshrAddToPhysmap(c.d1, Cls.RAM.g(), c.h1, c.d2, g), Map.of(
                Cls.RAM, fails(Errno.EBADF), Cls.HOLE, OK, Cls.BEYOND, GROWS, Cls.EPT, EINVAL, Cls.PADDR, EINVAL,
                Cls.GREF_BIT, EINVAL, Cls.INVALID, EINVAL)));
        // mem_sharing_memop range_share: first or last beyond either domain's maximum_gpfn → EINVAL; range_share
        // skips a gfn nominate refuses, and its EINVAL on the last gfn becomes 0
        rows.add(new Row("xc_memshr_range_share", (c, g) -> {
            c.hv.domainPause(c.d1);
            c.hv.domainPause(c.d2);
            c.hv.memshrRangeShare(c.d1, c.d2, g, g);
        }, Map.of(Cls.RAM, okThen((c, g) -> assertEquals(2, c.hv.memshrDebugGfn(c.d1, g))), Cls.HOLE, OK,
                Cls.BEYOND, EINVAL, Cls.EPT, EINVAL, Cls.PADDR, EINVAL, Cls.INVALID, EINVAL)));
        // memory.c:populate_physmap → guest_physmap_add_page → ept_set_entry: ≥ 2^36 → EINVAL, a short count that
        // libxc's _exact wrapper reports as EBUSY; below 2^36 the page is mapped and max_mapped_pfn follows
        rows.add(new Row("xc_domain_populate_physmap_exact", (c, g) -> c.hv.domainPopulatePhysmapExact(c.d1, List.of(g)),
                Map.of(Cls.RAM, OK, Cls.HOLE, OK, Cls.BEYOND, GROWS, Cls.EPT, fails(Errno.EBUSY),
                        Cls.PADDR, fails(Errno.EBUSY), Cls.INVALID, fails(Errno.EBUSY))));
        // memory.c:guest_remove_page: no page → a short count, libxc's _exact wrapper → EINVAL
        rows.add(new Row("xc_domain_decrease_reservation_exact",
                (c, g) -> c.hv.domainDecreaseReservationExact(c.d1, List.of(g)), Map.of(
                Cls.RAM, OK, Cls.HOLE, EINVAL, Cls.BEYOND, EINVAL, Cls.EPT, EINVAL, Cls.PADDR, EINVAL,
                Cls.INVALID, EINVAL)));
        // privcmd mmapbatch_v2 → XENMAPSPACE_gmfn_foreign → p2m.c:p2m_add_foreign: no RAM page behind the gfn →
        // -EINVAL (the whole map fails)
        rows.add(new Row("xenforeignmemory_map", (c, g) -> c.hv.foreignMemoryMap(c.d1, false, List.of(g)).close(),
                Map.of(Cls.RAM, OK, Cls.HOLE, EINVAL, Cls.BEYOND, EINVAL, Cls.EPT, EINVAL, Cls.PADDR, EINVAL,
                        Cls.INVALID, EINVAL)));
        return rows;
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Release r : Release.values())
            for (Row row : table())
                for (Cls cls : ALL)
                    if (row.expect.containsKey(cls)) out.add(Arguments.of(r, row, cls));
        return out.stream();
    }

    static Ctx prepare(Release release) {
        EmulatedHypervisor hv = release.emulator();
        DomainId d1 = release.altp2mGuest(hv, 1, 256), d2 = release.altp2mGuest(hv, 1, 256);
        for (DomainId d : List.of(d1, d2)) {
            hv.domainDecreaseReservationExact(d, List.of(Cls.HOLE.g()));
            hv.memshrControl(d, true);
        }
        hv.monitorEnable(d1);
        hv.altp2mSetDomainState(d1, true);
        ViewId view = hv.altp2mCreateView(d1, MemAccess.N);
        return new Ctx(hv, d1, d2, view, null, null);
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void eachCallEndsAsXenEndsItForEachGfnClass(Release release, Row row, Cls cls) {
        Ctx c = prepare(release);
        if (row.call.startsWith("xc_memshr_share") || row.call.startsWith("xc_memshr_add"))
            c = new Ctx(c.hv, c.d1, c.d2, c.view, c.hv.memshrNominateGfn(c.d1, Cls.RAM.g()),
                    row.call.startsWith("xc_memshr_share") ? c.hv.memshrNominateGfn(c.d2, Cls.RAM.g()) : null);
        Ctx ctx = c;
        long max1 = c.hv.domainMaximumGpfn(c.d1), max2 = c.hv.domainMaximumGpfn(c.d2);
        Expect want = row.expect.get(cls);
        Gfn g = cls.g();
        if (want.errno == null) {
            row.call0.run(ctx, g);
            if (want.check != null) want.check.run(ctx, g);
        } else {
            XenException e = assertThrows(XenException.class, () -> row.call0.run(ctx, g));
            assertEquals(want.errno, e.errno(), e.getMessage());
        }
        DomainId grown = row.call.startsWith("xc_memshr_add_to_physmap client") ? c.d2 : c.d1;
        long wantMax1 = want.grows && grown.equals(c.d1) ? g.value() : max1;
        long wantMax2 = want.grows && grown.equals(c.d2) ? g.value() : max2;
        assertEquals(wantMax1, c.hv.domainMaximumGpfn(c.d1), "max_gpfn of the domain");
        assertEquals(wantMax2, c.hv.domainMaximumGpfn(c.d2), "max_gpfn of the other domain");
        assertEquals(want.hostDefault == null ? MemAccess.RWX : want.hostDefault,
                c.hv.getMemAccess(c.d1, Gfn.INVALID), "the host default access");
    }
}
