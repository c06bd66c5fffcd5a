// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.xenffm.api.Errno;
import org.xenffm.api.XenException;
import org.xenffm.api.XenNotAvailableException;
import org.xenffm.api.Xenstore;
import org.xenffm.bindings.xen417.Xen;

/**
 * xenstore through libxenstore.so.4 (xs_open(0): xenstored's socket, else /dev/xen/xenbus), as xl and libxl reach
 * it. Independent of {@link XenHypervisor}: it needs libxenstore and a running xenstored, not privcmd, and a dom0
 * without either still runs everything but domain names. Every call is outside a transaction (XBT_NULL). The
 * memory libxenstore returns (xs_read's value, xs_directory's array) is copied and freed at once. Calls may come from
 * several threads (libxenstore serialises requests on a handle); {@link #close()} waits for calls in flight.
 */
public final class XenXenstore implements Xenstore {
    static final NativeFunction XS_OPEN = new NativeFunction(XenLibrary.Lib.XENSTORE, "xs_open",
            Xen::xs_open$descriptor, null);
    static final NativeFunction XS_CLOSE = new NativeFunction(XenLibrary.Lib.XENSTORE, "xs_close",
            Xen::xs_close$descriptor, null);
    static final NativeFunction XS_READ = new NativeFunction(XenLibrary.Lib.XENSTORE, "xs_read",
            Xen::xs_read$descriptor, null);
    static final NativeFunction XS_DIRECTORY = new NativeFunction(XenLibrary.Lib.XENSTORE, "xs_directory",
            Xen::xs_directory$descriptor, null);
    static final NativeFunction XS_WRITE = new NativeFunction(XenLibrary.Lib.XENSTORE, "xs_write",
            Xen::xs_write$descriptor, null);
    static final NativeFunction XS_RM = new NativeFunction(XenLibrary.Lib.XENSTORE, "xs_rm",
            Xen::xs_rm$descriptor, null);
    static final NativeFunction FREE = NativeFunction.libc("free", Xen::free$descriptor);

    /** xenstore.h XBT_NULL: no transaction. */
    private static final int XBT_NULL = 0;
    /** xenstored_core.h XENSTORE_PAYLOAD_MAX: nothing longer comes back, whatever the length word says. */
    private static final long PAYLOAD_MAX = 4096;
    /** A directory reply holds NUL-terminated names within one payload: at most this many. */
    private static final long MAX_ENTRIES = PAYLOAD_MAX / 2;

    private final Downcall open, close, read, directory, write, rm, free;
    private final MemorySegment xsh;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    private XenXenstore(XenLibrary lib) {
        open = lib.downcall(XS_OPEN);
        close = lib.downcall(XS_CLOSE);
        read = lib.downcall(XS_READ);
        directory = lib.downcall(XS_DIRECTORY);
        write = lib.downcall(XS_WRITE);
        rm = lib.downcall(XS_RM);
        free = LibC.downcall(FREE);
        MemorySegment slot = Downcall.errnoSlot();
        MemorySegment h;
        try {
            h = (MemorySegment) open.handle().invokeExact(slot, 0L);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (h.equals(MemorySegment.NULL)) throw XenException.of("xs_open", null, null, null, errnoOrEio(slot));
        xsh = h;
    }

    /**
     * xs_open(0) through the libraries {@link XenLibrary#load()} picks.
     *
     * @return an open connection
     * @throws XenNotAvailableException libxenctrl or libxenstore is not installed (ENOENT, naming the package), or
     *         xs_open failed because xenstored cannot be reached (ENOENT, ECONNREFUSED, ENXIO: not dom0 or
     *         xenstored not running; EACCES/EPERM: not root)
     * @throws XenException another errno from xs_open
     */
    public static XenXenstore open() { return open(XenLibrary.load()); }

    /**
     * xs_open(0) through libxenstore.so.4, loaded next to the given libraries.
     *
     * @param lib the libraries the process uses (one Xen release per process)
     * @return an open connection
     * @throws XenNotAvailableException libxenstore is not installed, or xenstored cannot be reached (as {@link #open()})
     * @throws XenException another errno from xs_open
     */
    public static XenXenstore open(XenLibrary lib) { return new XenXenstore(lib); }

    /** Every C function this class calls (for the tests that check each resolves). */
    static List<NativeFunction> nativeFunctions() { return NativeFunction.declaredIn(XenXenstore.class); }

    @Override public Optional<String> read(String path) {
        return fetch(read, path, errno -> {
            if (errno == Errno.ENOENT.value()) return Optional.empty();
            throw fail("xs_read", errno, path);
        }, (v, n) -> {
            if (n > PAYLOAD_MAX) throw fail("xs_read", Errno.E2BIG.value(), path + " (length " + n + ")");
            return Optional.of(new String(v.reinterpret(n).toArray(JAVA_BYTE), StandardCharsets.UTF_8));
        });
    }

    @Override public List<String> directory(String path) {
        return fetch(directory, path, errno -> { throw fail("xs_directory", errno, path); }, (arr, n) -> {
            if (n > MAX_ENTRIES) throw fail("xs_directory", Errno.E2BIG.value(), path + " (" + n + " entries)");
            // xs.c:get_strings: one malloc block, the n pointers first, then the names they point into
            MemorySegment ptrs = arr.reinterpret(n * ADDRESS.byteSize());
            List<String> out = new ArrayList<>((int) n);
            for (long i = 0; i < n; i++) out.add(ptrs.getAtIndex(ADDRESS, i).reinterpret(PAYLOAD_MAX + 1).getString(0));
            return out;
        });
    }

    /** What a fetched block holds, given its count ({@code *len} / {@code *num}); the block is freed afterwards. */
    private interface Use<T> { T read(MemorySegment block, long count); }

    /**
     * xs_read and xs_directory: {@code (h, XBT_NULL, path, unsigned *count)} returning malloc'd memory, or NULL with
     * errno (handed to {@code onNull}).
     */
    private <T> T fetch(Downcall c, String path, java.util.function.IntFunction<T> onNull, Use<T> use) {
        Xenstore.checkPath(path);
        return locked(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment count = a.allocate(JAVA_INT);
                MemorySegment slot = Downcall.errnoSlot();
                MemorySegment block = (MemorySegment) c.handle().invokeExact(slot, xsh, XBT_NULL, a.allocateFrom(path),
                        count);
                if (block.equals(MemorySegment.NULL)) return onNull.apply(errnoOrEio(slot));
                try {
                    return use.read(block, Integer.toUnsignedLong(count.get(JAVA_INT, 0)));
                } finally {
                    free(block);
                }
            }
        });
    }

    @Override public void write(String path, String value) {
        Xenstore.checkPath(path);
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        locked(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment data = a.allocate(Math.max(1, bytes.length));
                MemorySegment.copy(bytes, 0, data, JAVA_BYTE, 0, bytes.length);
                MemorySegment slot = Downcall.errnoSlot();
                boolean ok = (boolean) write.handle().invokeExact(slot, xsh, XBT_NULL, a.allocateFrom(path), data,
                        bytes.length);
                if (!ok) throw fail("xs_write", errnoOrEio(slot), path);
                return null;
            }
        });
    }

    @Override public void rm(String path) {
        Xenstore.checkPath(path);
        locked(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment slot = Downcall.errnoSlot();
                boolean ok = (boolean) rm.handle().invokeExact(slot, xsh, XBT_NULL, a.allocateFrom(path));
                if (!ok) throw fail("xs_rm", errnoOrEio(slot), path);
                return null;
            }
        });
    }

    @Override public void close() {
        lock.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            close.handle().invokeExact(Downcall.errnoSlot(), xsh);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private interface Call<T> { T run() throws Throwable; }

    private <T> T locked(Call<T> c) {
        lock.readLock().lock();
        try {
            if (closed) throw new IllegalStateException("xenstore handle closed");
            return c.run();
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        } finally {
            lock.readLock().unlock();
        }
    }

    private void free(MemorySegment p) throws Throwable { free.handle().invokeExact(Downcall.errnoSlot(), p); }

    /** libxenstore returns NULL/false with errno set; a 0 errno would be a library bug, reported as EIO. */
    private static int errnoOrEio(MemorySegment slot) {
        int e = Downcall.errno(slot);
        return e != 0 ? e : Errno.EIO.value();
    }

    private static XenException fail(String op, int errno, String path) {
        return new XenException(op, null, null, null, errno, "at " + path);
    }
}
