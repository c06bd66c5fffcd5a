// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.GfnAccess;
import org.xenffm.api.MemAccess;
import org.xenffm.api.XenVersion;
import org.xenffm.bindings.xen417.Xen;

/** Host-p2m mem_access: xc_set_mem_access, xc_set_mem_access_multi, xc_get_mem_access. */
final class XenMemAccess extends XenFamily {
    static final NativeFunction XC_SET_MEM_ACCESS = NativeFunction.xenctrl("xc_set_mem_access",
            Xen::xc_set_mem_access$descriptor);
    static final NativeFunction XC_SET_MEM_ACCESS_MULTI = NativeFunction.xenctrl("xc_set_mem_access_multi",
            Xen::xc_set_mem_access_multi$descriptor);
    static final NativeFunction XC_GET_MEM_ACCESS = NativeFunction.xenctrl("xc_get_mem_access",
            Xen::xc_get_mem_access$descriptor);

    private final Downcall set = bind(XC_SET_MEM_ACCESS), setMulti = bind(XC_SET_MEM_ACCESS_MULTI),
            get = bind(XC_GET_MEM_ACCESS);

    XenMemAccess(XcInterface xc) { super(xc); }

    /** {@code first} = {@link Gfn#INVALID} (~0) sets the domain's default access (p2m_set_mem_access). */
    void set(DomainId d, MemAccess access, Gfn first, int nr) {
        int xen = access.toXen(xc.version);
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) set.handle().invokeExact(slot, xc.xch(), d.value(), xen, first.value(), nr);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_set_mem_access", d, first, null, slot);
    }

    void setMulti(DomainId d, List<GfnAccess> entries) {
        try (Arena a = Arena.ofConfined()) {
            Multi m = Multi.encode(entries, xc.version, a);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) setMulti.handle().invokeExact(slot, xc.xch(), d.value(), m.access(), m.gfns(), m.count());
            if (rc < 0) throw XcInterface.fail("xc_set_mem_access_multi", d, null, null, slot);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    MemAccess get(DomainId d, Gfn gfn) {
        try {
            Scratch a = Scratch.get();
            MemorySegment access = a.allocate(JAVA_INT);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) get.handle().invokeExact(slot, xc.xch(), d.value(), gfn.value(), access);
            if (rc < 0) throw XcInterface.fail("xc_get_mem_access", d, gfn, null, slot);
            return MemAccess.fromXen(access.get(JAVA_INT, 0), xc.version);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    /**
     * The parallel arrays of the *_set_mem_access_multi calls: {@code uint8_t access[nr]} (xenmem_access_t numbers
     * for the running Xen) and {@code uint64_t gfns[nr]}. Shared by the host and altp2m variants.
     */
    record Multi(MemorySegment access, MemorySegment gfns, int count) {
        static Multi encode(List<GfnAccess> entries, XenVersion running, Arena arena) {
            int n = entries.size();
            MemorySegment access = arena.allocate(JAVA_BYTE, Math.max(n, 1));
            MemorySegment gfns = arena.allocate(JAVA_LONG, Math.max(n, 1));
            for (int i = 0; i < n; i++) {
                GfnAccess e = entries.get(i);
                access.setAtIndex(JAVA_BYTE, i, (byte) e.access().toXen(running));
                gfns.setAtIndex(JAVA_LONG, i, e.gfn().value());
            }
            return new Multi(access, gfns, n);
        }
    }
}
