// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import java.lang.foreign.MemorySegment;
import org.xenffm.api.DomainId;
import org.xenffm.api.XenException;

/**
 * What the family files share: the open handle, binding of their functions, and the three call shapes most
 * libxenctrl functions have ({@code int f(xch, domid)}, {@code (xch, domid, bool)}, {@code (xch, domid, bool,
 * bool)}). Every call that returns -1 becomes a {@link XenException} with the C name, the domain and the errno
 * captured right after the call.
 */
abstract class XenFamily {
    final XcInterface xc;

    XenFamily(XcInterface xc) { this.xc = xc; }

    final Downcall bind(NativeFunction f) { return xc.lib.downcall(f); }

    /** {@code int f(xc_interface *, uint32_t domid)}. */
    final void dom(Downcall c, DomainId d) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) c.handle().invokeExact(slot, xc.xch(), d.value());
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail(c.name(), d, null, null, slot);
    }

    /** {@code int f(xc_interface *, uint32_t domid, bool)}. */
    final void domBool(Downcall c, DomainId d, boolean b) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) c.handle().invokeExact(slot, xc.xch(), d.value(), b);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail(c.name(), d, null, null, slot);
    }

    /** {@code int f(xc_interface *, uint32_t domid, bool, bool)}. */
    final void domBool2(Downcall c, DomainId d, boolean a, boolean b) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) c.handle().invokeExact(slot, xc.xch(), d.value(), a, b);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail(c.name(), d, null, null, slot);
    }

    /** {@code int f(xc_interface *)} returning a count; -1 is an error. */
    final int count(Downcall c) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) c.handle().invokeExact(slot, xc.xch());
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail(c.name(), null, null, null, slot);
        return rc;
    }
}
