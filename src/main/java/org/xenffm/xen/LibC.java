// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.util.Optional;
import org.xenffm.bindings.xen417.Xen;

/**
 * The few libc calls the backend needs around libxenctrl: poll/munmap (signatures from the bindings) and, for the
 * ones the Xen headers do not declare, plain hand-written descriptors (vsnprintf for xentoollog's va_list,
 * eventfd/read/write/close for the event-channel wakeup, dladdr to find which file a soname resolved to when
 * /proc/self/maps cannot tell).
 */
final class LibC {
    private LibC() {}

    static final NativeFunction POLL = NativeFunction.libc("poll", Xen::poll$descriptor);
    static final NativeFunction MUNMAP = NativeFunction.libc("munmap", Xen::munmap$descriptor);
    // int vsnprintf(char *str, size_t size, const char *format, va_list ap): on x86-64 va_list is a pointer
    static final NativeFunction VSNPRINTF = NativeFunction.libc("vsnprintf",
            () -> FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
    static final NativeFunction STRERROR = NativeFunction.libc("strerror",
            () -> FunctionDescriptor.of(ADDRESS, JAVA_INT));
    static final NativeFunction EVENTFD = NativeFunction.libc("eventfd",
            () -> FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    static final NativeFunction READ = NativeFunction.libc("read",
            () -> FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    static final NativeFunction WRITE = NativeFunction.libc("write",
            () -> FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    static final NativeFunction CLOSE = NativeFunction.libc("close",
            () -> FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    // int dladdr(const void *addr, Dl_info *info); Dl_info = { dli_fname, dli_fbase, dli_sname, dli_saddr }
    static final NativeFunction DLADDR = NativeFunction.libc("dladdr",
            () -> FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

    private static final SymbolLookup LOOKUP = Linker.nativeLinker().defaultLookup();

    static Downcall downcall(NativeFunction f) { return new Downcall(f, LOOKUP, "libc", f.descriptor()); }

    static final Downcall poll = downcall(POLL);
    static final Downcall munmap = downcall(MUNMAP);
    static final Downcall vsnprintf = downcall(VSNPRINTF);
    static final Downcall strerror = downcall(STRERROR);
    static final Downcall eventfd = downcall(EVENTFD);
    static final Downcall read = downcall(READ);
    static final Downcall write = downcall(WRITE);
    static final Downcall close = downcall(CLOSE);
    static final Downcall dladdr = downcall(DLADDR);

    /** EFD_CLOEXEC | EFD_NONBLOCK (Linux values; asm-generic O_CLOEXEC / O_NONBLOCK). */
    static final int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;

    /** strerror text for an errno, e.g. "No such file or directory". */
    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) strerror.handle().invokeExact(Downcall.errnoSlot(), errno);
            return s.equals(MemorySegment.NULL) ? "errno " + errno : s.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    /**
     * The file a symbol's library was loaded from: the line of /proc/self/maps whose range holds the symbol (plain
     * file reading: the dladdr downcall's stub, which the JVM generates on first use, cost every start of the CLI
     * several milliseconds), else dladdr's dli_fname, if the dynamic linker knows it.
     */
    static Optional<Path> fileOf(MemorySegment symbol) {
        Optional<Path> mapped = mappedFile(symbol.address());
        return mapped.isPresent() ? mapped : dladdrFile(symbol);
    }

    /** The file mapped at {@code address} per /proc/self/maps ("start-end perms offset dev inode path"). */
    static Optional<Path> mappedFile(long address) {
        java.util.List<String> lines;
        try {
            lines = java.nio.file.Files.readAllLines(Path.of("/proc/self/maps"));
        } catch (java.io.IOException | RuntimeException e) { // no /proc (a bare chroot): dladdr still answers
            return Optional.empty();
        }
        for (String l : lines) {
            int dash = l.indexOf('-'), space = l.indexOf(' ');
            if (dash <= 0 || space <= dash) continue;
            long start, end;
            try {
                start = Long.parseUnsignedLong(l, 0, dash, 16);
                end = Long.parseUnsignedLong(l, dash + 1, space, 16);
            } catch (NumberFormatException e) {
                continue;
            }
            if (Long.compareUnsigned(address, start) < 0 || Long.compareUnsigned(address, end) >= 0) continue;
            int slash = l.indexOf('/', space);     // no field before the path holds a '/'
            if (slash < 0 || l.endsWith(" (deleted)")) return Optional.empty();
            return Optional.of(Path.of(l.substring(slash)));
        }
        return Optional.empty();
    }

    /** dladdr's dli_fname for a symbol, if the dynamic linker knows it. */
    static Optional<Path> dladdrFile(MemorySegment symbol) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment info = a.allocate(ADDRESS.byteSize() * 4, ADDRESS.byteAlignment());
            int ok = (int) dladdr.handle().invokeExact(Downcall.errnoSlot(), symbol, info);
            if (ok == 0) return Optional.empty();
            MemorySegment fname = info.get(ADDRESS, 0);
            if (fname.equals(MemorySegment.NULL)) return Optional.empty();
            return Optional.of(Path.of(fname.reinterpret(Long.MAX_VALUE).getString(0)));
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }
}
