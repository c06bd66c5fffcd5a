// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.bindings.xen417.Xen;

/**
 * A domain's memory reservation: xc_domain_setmaxmem, xc_domain_populate_physmap_exact and
 * xc_domain_decrease_reservation_exact (order-0 extents, no memflags).
 */
final class XenPhysmap extends XenFamily {
    static final NativeFunction XC_DOMAIN_SETMAXMEM = NativeFunction.xenctrl("xc_domain_setmaxmem",
            Xen::xc_domain_setmaxmem$descriptor);
    static final NativeFunction XC_DOMAIN_POPULATE_PHYSMAP_EXACT = NativeFunction.xenctrl(
            "xc_domain_populate_physmap_exact", Xen::xc_domain_populate_physmap_exact$descriptor);
    static final NativeFunction XC_DOMAIN_DECREASE_RESERVATION_EXACT = NativeFunction.xenctrl(
            "xc_domain_decrease_reservation_exact", Xen::xc_domain_decrease_reservation_exact$descriptor);

    private final Downcall setmaxmem = bind(XC_DOMAIN_SETMAXMEM), populate = bind(XC_DOMAIN_POPULATE_PHYSMAP_EXACT),
            decrease = bind(XC_DOMAIN_DECREASE_RESERVATION_EXACT);

    XenPhysmap(XcInterface xc) { super(xc); }

    void setmaxmem(DomainId d, long maxMemKb) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) setmaxmem.handle().invokeExact(slot, xc.xch(), d.value(), maxMemKb);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_domain_setmaxmem", d, null, null, slot);
    }

    void populate(DomainId d, List<Gfn> gfns) {
        xc.xch();                         // a closed handle refuses even an empty call
        if (gfns.isEmpty()) return;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment list = pfns(a, gfns);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) populate.handle().invokeExact(slot, xc.xch(), d.value(), (long) gfns.size(), 0, 0, list);
            if (rc < 0) throw XcInterface.fail("xc_domain_populate_physmap_exact", d, gfns.get(0), null, slot);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    void decrease(DomainId d, List<Gfn> gfns) {
        xc.xch();
        if (gfns.isEmpty()) return;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment list = pfns(a, gfns);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) decrease.handle().invokeExact(slot, xc.xch(), d.value(), (long) gfns.size(), 0, list);
            if (rc < 0) throw XcInterface.fail("xc_domain_decrease_reservation_exact", d, gfns.get(0), null, slot);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    /** xen_pfn_t[] (unsigned long on x86-64). */
    private static MemorySegment pfns(Arena a, List<Gfn> gfns) {
        MemorySegment list = a.allocate(JAVA_LONG, gfns.size());
        for (int i = 0; i < gfns.size(); i++) list.setAtIndex(JAVA_LONG, i, gfns.get(i).value());
        return list;
    }
}
