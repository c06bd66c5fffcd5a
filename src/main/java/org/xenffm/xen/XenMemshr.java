// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.GrantRef;
import org.xenffm.api.SharingHandle;
import org.xenffm.bindings.xen417.Xen;

/**
 * Memory sharing: xc_memshr_* and xc_sharing_*. Errors come back as errno, including the two sharing-specific
 * codes (9 = client handle invalid, 10 = source handle invalid) which {@link org.xenffm.api.Errno} names EBADF and
 * ECHILD. Count-returning calls (debug_gfn/gref, audit, freed_pages, used_frames) return their count.
 */
final class XenMemshr extends XenFamily {
    static final NativeFunction XC_MEMSHR_CONTROL = NativeFunction.xenctrl("xc_memshr_control",
            Xen::xc_memshr_control$descriptor);
    static final NativeFunction XC_MEMSHR_NOMINATE_GFN = NativeFunction.xenctrl("xc_memshr_nominate_gfn",
            Xen::xc_memshr_nominate_gfn$descriptor);
    static final NativeFunction XC_MEMSHR_NOMINATE_GREF = NativeFunction.xenctrl("xc_memshr_nominate_gref",
            Xen::xc_memshr_nominate_gref$descriptor);
    static final NativeFunction XC_MEMSHR_SHARE_GFNS = NativeFunction.xenctrl("xc_memshr_share_gfns",
            Xen::xc_memshr_share_gfns$descriptor);
    static final NativeFunction XC_MEMSHR_SHARE_GREFS = NativeFunction.xenctrl("xc_memshr_share_grefs",
            Xen::xc_memshr_share_grefs$descriptor);
    static final NativeFunction XC_MEMSHR_ADD_TO_PHYSMAP = NativeFunction.xenctrl("xc_memshr_add_to_physmap",
            Xen::xc_memshr_add_to_physmap$descriptor);
    static final NativeFunction XC_MEMSHR_RANGE_SHARE = NativeFunction.xenctrl("xc_memshr_range_share",
            Xen::xc_memshr_range_share$descriptor);
    static final NativeFunction XC_MEMSHR_AUDIT = NativeFunction.xenctrl("xc_memshr_audit",
            Xen::xc_memshr_audit$descriptor);
    static final NativeFunction XC_MEMSHR_DEBUG_GFN = NativeFunction.xenctrl("xc_memshr_debug_gfn",
            Xen::xc_memshr_debug_gfn$descriptor);
    static final NativeFunction XC_MEMSHR_DEBUG_GREF = NativeFunction.xenctrl("xc_memshr_debug_gref",
            Xen::xc_memshr_debug_gref$descriptor);
    static final NativeFunction XC_MEMSHR_FORK = NativeFunction.xenctrl("xc_memshr_fork",
            Xen::xc_memshr_fork$descriptor);
    static final NativeFunction XC_MEMSHR_FORK_RESET = NativeFunction.xenctrl("xc_memshr_fork_reset",
            Xen::xc_memshr_fork_reset$descriptor);
    static final NativeFunction XC_MEMSHR_RING_ENABLE = NativeFunction.xenctrl("xc_memshr_ring_enable",
            Xen::xc_memshr_ring_enable$descriptor);
    static final NativeFunction XC_MEMSHR_RING_DISABLE = NativeFunction.xenctrl("xc_memshr_ring_disable",
            Xen::xc_memshr_ring_disable$descriptor);
    static final NativeFunction XC_MEMSHR_DOMAIN_RESUME = NativeFunction.xenctrl("xc_memshr_domain_resume",
            Xen::xc_memshr_domain_resume$descriptor);
    static final NativeFunction XC_SHARING_FREED_PAGES = NativeFunction.xenctrl("xc_sharing_freed_pages",
            Xen::xc_sharing_freed_pages$descriptor);
    static final NativeFunction XC_SHARING_USED_FRAMES = NativeFunction.xenctrl("xc_sharing_used_frames",
            Xen::xc_sharing_used_frames$descriptor);

    private final Downcall control = bind(XC_MEMSHR_CONTROL), nominateGfn = bind(XC_MEMSHR_NOMINATE_GFN),
            nominateGref = bind(XC_MEMSHR_NOMINATE_GREF), shareGfns = bind(XC_MEMSHR_SHARE_GFNS),
            shareGrefs = bind(XC_MEMSHR_SHARE_GREFS), addToPhysmap = bind(XC_MEMSHR_ADD_TO_PHYSMAP),
            rangeShare = bind(XC_MEMSHR_RANGE_SHARE), audit = bind(XC_MEMSHR_AUDIT),
            debugGfn = bind(XC_MEMSHR_DEBUG_GFN), debugGref = bind(XC_MEMSHR_DEBUG_GREF),
            fork = bind(XC_MEMSHR_FORK), forkReset = bind(XC_MEMSHR_FORK_RESET),
            ringEnable = bind(XC_MEMSHR_RING_ENABLE), ringDisable = bind(XC_MEMSHR_RING_DISABLE),
            domainResume = bind(XC_MEMSHR_DOMAIN_RESUME), freedPages = bind(XC_SHARING_FREED_PAGES),
            usedFrames = bind(XC_SHARING_USED_FRAMES);

    XenMemshr(XcInterface xc) { super(xc); }

    void control(DomainId d, boolean enable) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) control.handle().invokeExact(slot, xc.xch(), d.value(), enable ? 1 : 0);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_memshr_control", d, null, null, slot);
    }

    SharingHandle nominateGfn(DomainId d, Gfn gfn) {
        try {
            Scratch a = Scratch.get();
            MemorySegment handle = a.allocate(JAVA_LONG);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) nominateGfn.handle().invokeExact(slot, xc.xch(), d.value(), gfn.value(), handle);
            if (rc < 0) throw XcInterface.fail("xc_memshr_nominate_gfn", d, gfn, null, slot);
            return SharingHandle.of(handle.get(JAVA_LONG, 0));
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    SharingHandle nominateGref(DomainId d, GrantRef gref) {
        try {
            Scratch a = Scratch.get();
            MemorySegment handle = a.allocate(JAVA_LONG);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) nominateGref.handle().invokeExact(slot, xc.xch(), d.value(), gref.value(), handle);
            if (rc < 0) throw XcInterface.fail("xc_memshr_nominate_gref", d, null, null, slot);
            return SharingHandle.of(handle.get(JAVA_LONG, 0));
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    /** The exception names the source side; the client side is in the message only through the errno hint. */
    void shareGfns(DomainId source, Gfn sourceGfn, SharingHandle sourceHandle, DomainId client, Gfn clientGfn,
                   SharingHandle clientHandle) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) shareGfns.handle().invokeExact(slot, xc.xch(), source.value(), sourceGfn.value(),
                    sourceHandle.value(), client.value(), clientGfn.value(), clientHandle.value());
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_memshr_share_gfns", source, sourceGfn, null, slot);
    }

    void shareGrefs(DomainId source, GrantRef sourceGref, SharingHandle sourceHandle, DomainId client,
                    GrantRef clientGref, SharingHandle clientHandle) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) shareGrefs.handle().invokeExact(slot, xc.xch(), source.value(), sourceGref.value(),
                    sourceHandle.value(), client.value(), clientGref.value(), clientHandle.value());
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_memshr_share_grefs", source, null, null, slot);
    }

    void addToPhysmap(DomainId source, Gfn sourceGfn, SharingHandle sourceHandle, DomainId client, Gfn clientGfn) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) addToPhysmap.handle().invokeExact(slot, xc.xch(), source.value(), sourceGfn.value(),
                    sourceHandle.value(), client.value(), clientGfn.value());
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_memshr_add_to_physmap", client, clientGfn, null, slot);
    }

    void rangeShare(DomainId source, DomainId client, Gfn first, Gfn last) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) rangeShare.handle().invokeExact(slot, xc.xch(), source.value(), client.value(),
                    first.value(), last.value());
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_memshr_range_share", source, first, null, slot);
    }

    int audit() { return count(audit); }

    int debugGfn(DomainId d, Gfn gfn) {
        MemorySegment slot = Downcall.errnoSlot();
        int n;
        try {
            n = (int) debugGfn.handle().invokeExact(slot, xc.xch(), d.value(), gfn.value());
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (n < 0) throw XcInterface.fail("xc_memshr_debug_gfn", d, gfn, null, slot);
        return n;
    }

    int debugGref(DomainId d, GrantRef gref) {
        MemorySegment slot = Downcall.errnoSlot();
        int n;
        try {
            n = (int) debugGref.handle().invokeExact(slot, xc.xch(), d.value(), gref.value());
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (n < 0) throw XcInterface.fail("xc_memshr_debug_gref", d, null, null, slot);
        return n;
    }

    /** The exception names the child: it is the domain whose state (paused, vCPUs) fork checks. */
    void fork(DomainId parent, DomainId child, boolean allowWithIommu, boolean blockInterrupts) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) fork.handle().invokeExact(slot, xc.xch(), parent.value(), child.value(), allowWithIommu,
                    blockInterrupts);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xc_memshr_fork", child, null, null, slot);
    }

    void forkReset(DomainId child, boolean resetState, boolean resetMemory) {
        domBool2(forkReset, child, resetState, resetMemory);
    }

    int ringEnable(DomainId d) {
        try {
            Scratch a = Scratch.get();
            MemorySegment port = a.allocate(JAVA_INT);
            MemorySegment slot = Downcall.errnoSlot();
            int rc = (int) ringEnable.handle().invokeExact(slot, xc.xch(), d.value(), port);
            if (rc < 0) throw XcInterface.fail("xc_memshr_ring_enable", d, null, null, slot);
            return port.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    void ringDisable(DomainId d) { dom(ringDisable, d); }

    void domainResume(DomainId d) { dom(domainResume, d); }

    long freedPages() { return pageCount(freedPages); }

    long usedFrames() { return pageCount(usedFrames); }

    /** {@code long f(xc_interface *)}: a page count, or -1 with errno. */
    private long pageCount(Downcall c) {
        MemorySegment slot = Downcall.errnoSlot();
        long n;
        try {
            n = (long) c.handle().invokeExact(slot, xc.xch());
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (n < 0) throw XcInterface.fail(c.name(), null, null, null, slot);
        return n;
    }
}
