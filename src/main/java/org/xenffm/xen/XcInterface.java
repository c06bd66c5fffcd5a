// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;
import org.xenffm.api.XenVersion;
import org.xenffm.bindings.xen417.Xen;

/**
 * An open {@code xc_interface *} shared by the family files. The pointer handed to C is a segment of a shared
 * arena: FFM keeps that arena alive while any downcall that received it runs, so {@link #close()} cannot free the
 * handle under a call in flight on another thread, and any call after close fails with IllegalStateException
 * instead of passing a dangling pointer to libxenctrl.
 */
final class XcInterface implements AutoCloseable {
    // Every start opens (and closes) a handle and asks the version: signatures by hand (see xenctrlByHand)
    // xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger, unsigned flags)
    static final NativeFunction XC_INTERFACE_OPEN = NativeFunction.xenctrlByHand("xc_interface_open",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
    // int xc_interface_close(xc_interface *xch)
    static final NativeFunction XC_INTERFACE_CLOSE = NativeFunction.xenctrlByHand("xc_interface_close",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    // int xc_version(xc_interface *xch, int cmd, void *arg)
    static final NativeFunction XC_VERSION = NativeFunction.xenctrlByHand("xc_version",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));

    final XenLibrary lib;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment raw;
    private final MemorySegment xch;
    private final Downcall close;
    final XenVersion version;
    private volatile boolean closed;
    private boolean released;

    /** xc_interface_open(logger, logger, 0); NULL → XenNotAvailableException for a missing privcmd device. */
    XcInterface(XenLibrary lib, XenLog log) {
        this(lib, log, 0, null);
    }

    /**
     * An XC_OPENFLAG_DUMMY handle: libxenctrl allocates it without opening any device, so no hypercall may go
     * through it (libxc would dereference its missing xencall handle); only closing it is safe. Lets tests
     * exercise the lifecycle (close, use after close) on a host without Xen.
     */
    static XcInterface dummy(XenLibrary lib, XenLog log, XenVersion assumed) {
        return new XcInterface(lib, log, 1 /* XC_OPENFLAG_DUMMY */, assumed);
    }

    private XcInterface(XenLibrary lib, XenLog log, int openFlags, XenVersion assumed) {
        this.lib = lib;
        Downcall open = lib.downcall(XC_INTERFACE_OPEN);
        close = lib.downcall(XC_INTERFACE_CLOSE);
        MemorySegment slot = Downcall.errnoSlot();
        MemorySegment h;
        try {
            h = (MemorySegment) open.handle().invokeExact(slot, log.logger(), log.logger(), openFlags);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (h.equals(MemorySegment.NULL)) {
            arena.close();
            throw XenException.of("xc_interface_open", null, null, null, Downcall.errno(slot));
        }
        raw = MemorySegment.ofAddress(h.address());
        xch = raw.reinterpret(0, arena, null);
        version = assumed != null ? assumed : XenVersion.fromXenverVersion(queryVersion(lib.downcall(XC_VERSION)));
        if (assumed == null) {
            try {
                lib.checkHypervisor(version);   // the version decides access numbers, layouts, available calls
            } catch (RuntimeException e) {
                closeNow();
                throw e;
            }
        }
    }

    private int queryVersion(Downcall xcVersion) {
        MemorySegment slot = Downcall.errnoSlot();
        int packed;
        try {
            packed = (int) xcVersion.handle().invokeExact(slot, xch(), Xen.XENVER_version(), MemorySegment.NULL);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (packed < 0) {
            int errno = Downcall.errno(slot);
            closeNow();
            throw XenException.of("xc_version", null, null, null, errno);
        }
        return packed;
    }

    /** The handle to pass as a C argument. */
    MemorySegment xch() {
        if (closed) throw new IllegalStateException("the Xen handle is closed");
        return xch;
    }

    boolean isClosed() { return closed; }

    /** Idempotent. Fails (and can be retried) only if another thread is still inside a libxenctrl call. */
    @Override public synchronized void close() {
        closed = true;
        if (!released) closeNow();
    }

    private void closeNow() {
        closed = true;
        try {
            arena.close();
        } catch (IllegalStateException e) {
            throw new IllegalStateException("close() while another thread is inside a libxenctrl call", e);
        }
        released = true;
        try {
            int rc = (int) close.handle().invokeExact(Downcall.errnoSlot(), raw);
            if (rc < 0) org.slf4j.LoggerFactory.getLogger(XcInterface.class).warn("xc_interface_close returned {}", rc);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    /** The exception for a failed call: operation, domain, gfn/view and the captured errno. */
    static XenException fail(String op, DomainId d, Gfn g, ViewId v, MemorySegment slot) {
        return XenException.of(op, d, g, v, Downcall.errno(slot));
    }
}
