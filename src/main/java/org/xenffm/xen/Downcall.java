// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.function.Supplier;

/**
 * A downcall handle for one {@link NativeFunction}, linked on first use (linking dozens of handles up front costs
 * seconds on a slow dom0) and always with {@code captureCallState("errno")}: the handle takes a leading
 * capture segment ({@link #errnoSlot()}) into which the JVM stores errno right after the C call returns, before
 * anything else on this thread (GC, class loading, logging) can overwrite it.
 */
final class Downcall {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final long ERRNO = offsetOf(CAPTURE_LAYOUT, "errno");
    /** One capture slot per thread; a slot is read right after the call that filled it, on the same thread. */
    private static final ThreadLocal<MemorySegment> SLOT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    private final NativeFunction function;
    private final SymbolLookup lookup;
    private final String libraryName;
    private final Supplier<FunctionDescriptor> descriptor;
    private volatile MethodHandle handle;

    Downcall(NativeFunction function, SymbolLookup lookup, String libraryName, Supplier<FunctionDescriptor> descriptor) {
        this.function = function;
        this.lookup = lookup;
        this.libraryName = libraryName;
        this.descriptor = descriptor;
    }

    String name() { return function.name(); }

    /** The linked handle: (MemorySegment errnoSlot, C arguments...) → C result. */
    MethodHandle handle() {
        MethodHandle h = handle;
        if (h == null) {
            MemorySegment address = lookup.find(function.name()).orElseThrow(() -> new UnsatisfiedLinkError(
                    function.name() + " is not exported by " + libraryName));
            handle = h = LINKER.downcallHandle(address, descriptor.get(), CAPTURE_ERRNO);
        }
        return h;
    }

    /** This thread's errno capture segment, to pass as the first argument of {@link #handle()}. */
    static MemorySegment errnoSlot() { return SLOT.get(); }

    /** The errno the last call through {@code slot} left. */
    static int errno(MemorySegment slot) { return slot.get(ValueLayout.JAVA_INT, ERRNO); }

    /**
     * A struct member's offset, summed over the members before it (a struct layout lists its padding as members).
     * Not a VarHandle or a layout path: their first use spins method-handle classes, which every start would pay.
     */
    static long offsetOf(StructLayout struct, String member) {
        long offset = 0;
        for (MemoryLayout m : struct.memberLayouts()) {
            if (m.name().filter(member::equals).isPresent()) return offset;
            offset += m.byteSize();
        }
        throw new IllegalArgumentException(struct + " has no member " + member);
    }

    /** invokeExact declares Throwable; C functions throw nothing, so anything checked here is a bug. */
    static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("unexpected checked exception from a downcall", t);
    }
}
