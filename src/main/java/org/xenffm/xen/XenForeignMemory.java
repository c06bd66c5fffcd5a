// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.LoggerFactory;
import org.xenffm.api.DomainId;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.Gfn;
import org.xenffm.api.XenException;
import org.xenffm.bindings.xen417.Xen;

/**
 * libxenforeignmemory: guest frames mapped into this process. The handle is opened on first use. Each mapping's
 * bytes are a segment of its own shared arena, closed before xenforeignmemory_unmap, so touching a closed mapping
 * is an IllegalStateException rather than a fault.
 */
final class XenForeignMemory implements AutoCloseable {
    static final NativeFunction XENFOREIGNMEMORY_OPEN = NativeFunction.xenforeignmemory("xenforeignmemory_open",
            Xen::xenforeignmemory_open$descriptor);
    static final NativeFunction XENFOREIGNMEMORY_CLOSE = NativeFunction.xenforeignmemory("xenforeignmemory_close",
            Xen::xenforeignmemory_close$descriptor);
    static final NativeFunction XENFOREIGNMEMORY_MAP = NativeFunction.xenforeignmemory("xenforeignmemory_map",
            Xen::xenforeignmemory_map$descriptor);
    static final NativeFunction XENFOREIGNMEMORY_UNMAP = NativeFunction.xenforeignmemory("xenforeignmemory_unmap",
            Xen::xenforeignmemory_unmap$descriptor);

    static final long PAGE = 4096;

    private final Downcall open, close, map, unmap;
    private final XenLog log;
    private final Arena arena = Arena.ofShared();
    private final Set<Mapping> mappings = ConcurrentHashMap.newKeySet();
    private MemorySegment raw;            // written once under the lock
    private volatile MemorySegment fmem;  // raw, scoped to arena
    private volatile boolean closed;

    XenForeignMemory(XenLibrary lib, XenLog log) {
        this.log = log;
        open = lib.downcall(XENFOREIGNMEMORY_OPEN);
        close = lib.downcall(XENFOREIGNMEMORY_CLOSE);
        map = lib.downcall(XENFOREIGNMEMORY_MAP);
        unmap = lib.downcall(XENFOREIGNMEMORY_UNMAP);
    }

    /** xenforeignmemory_open on first use; XenNotAvailableException if privcmd is missing. */
    private MemorySegment fmem() {
        if (closed) throw new IllegalStateException("the Xen handle is closed");
        MemorySegment f = fmem;
        return f != null ? f : openHandle();
    }

    private synchronized MemorySegment openHandle() {
        if (closed) throw new IllegalStateException("the Xen handle is closed");
        if (fmem == null) {
            MemorySegment slot = Downcall.errnoSlot();
            MemorySegment h;
            try {
                h = (MemorySegment) open.handle().invokeExact(slot, log.logger(), 0);
            } catch (Throwable t) {
                throw Downcall.unexpected(t);
            }
            if (h.equals(MemorySegment.NULL))
                throw XenException.of("xenforeignmemory_open", null, null, null, Downcall.errno(slot));
            raw = MemorySegment.ofAddress(h.address());
            fmem = raw.reinterpret(0, arena, null);
        }
        return fmem;
    }

    /**
     * xenforeignmemory_map with PROT_READ (| PROT_WRITE). The call fails as a whole (NULL) or per page (err[i],
     * a negative errno); a per-page failure unmaps everything and names the first failing gfn.
     */
    ForeignMapping map(DomainId domain, boolean writable, List<Gfn> gfns) {
        if (gfns.isEmpty()) throw new IllegalArgumentException("no gfns to map");
        int prot = Xen.PROT_READ() | (writable ? Xen.PROT_WRITE() : 0);
        int n = gfns.size();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment arr = a.allocate(JAVA_LONG, n);
            MemorySegment err = a.allocate(JAVA_INT, n);
            for (int i = 0; i < n; i++) arr.setAtIndex(JAVA_LONG, i, gfns.get(i).value());
            MemorySegment slot = Downcall.errnoSlot();
            MemorySegment addr = (MemorySegment) map.handle().invokeExact(slot, fmem(), domain.value(), prot,
                    (long) n, arr, err);
            if (addr.equals(MemorySegment.NULL))
                throw XcInterface.fail("xenforeignmemory_map", domain, gfns.get(0), null, slot);
            MemorySegment base = MemorySegment.ofAddress(addr.address());
            for (int i = 0; i < n; i++) {
                int e = err.getAtIndex(JAVA_INT, i);
                if (e != 0) {
                    unmapRaw(base, n);
                    throw XenException.of("xenforeignmemory_map", domain, gfns.get(i), null, e);
                }
            }
            Mapping m = new Mapping(domain, List.copyOf(gfns), base, writable);
            mappings.add(m);
            return m;
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    private void unmapRaw(MemorySegment base, long pages) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) unmap.handle().invokeExact(slot, fmem, base, pages); // open: a mapping exists
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw XcInterface.fail("xenforeignmemory_unmap", null, null, null, slot);
    }

    private final class Mapping implements ForeignMapping {
        private final DomainId domain;
        private final List<Gfn> gfns;
        private final MemorySegment base;
        private final Arena scope = Arena.ofShared();
        private final MemorySegment memory;
        private boolean unmapped;

        Mapping(DomainId domain, List<Gfn> gfns, MemorySegment base, boolean writable) {
            this.domain = domain;
            this.gfns = gfns;
            this.base = base;
            MemorySegment m = base.reinterpret(PAGE * gfns.size(), scope, null);
            memory = writable ? m : m.asReadOnly();
        }

        @Override public DomainId domain() { return domain; }
        @Override public List<Gfn> gfns() { return gfns; }
        @Override public MemorySegment memory() { return memory; }

        @Override public synchronized void close() {
            if (unmapped) return;
            unmapped = true;
            scope.close();
            mappings.remove(this);
            unmapRaw(base, gfns.size());
        }

        @Override public String toString() { return "ForeignMapping[" + domain + ", " + gfns.size() + " pages]"; }
    }

    /** Unmaps what is still mapped and closes the handle. Idempotent. */
    @Override public synchronized void close() {
        if (closed) return;
        for (Mapping m : Set.copyOf(mappings)) {
            try {
                m.close();
            } catch (RuntimeException e) {
                LoggerFactory.getLogger(XenForeignMemory.class).warn("unmapping {} at close: {}", m, e.getMessage());
            }
        }
        closed = true;
        if (fmem != null) {
            arena.close();
            try {
                int ignored = (int) close.handle().invokeExact(Downcall.errnoSlot(), raw);
            } catch (Throwable t) {
                throw Downcall.unexpected(t);
            }
        }
    }
}
