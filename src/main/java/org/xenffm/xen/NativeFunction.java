// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import java.lang.foreign.FunctionDescriptor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.xenffm.api.XenVersion;

/**
 * One C function the backend calls: the library exporting it, its symbol name and its signature. The signature
 * comes from the jextract bindings ({@code Xen.xc_foo$descriptor()}); it is a supplier because touching a
 * bindings holder class resolves the symbol, which only works once {@link XenLibrary} has loaded the library.
 * The supplier names the Xen 4.17 bindings (the baseline every function but the newer ones exists in); with a
 * newer libxenctrl, {@link XenLibrary#descriptor} takes the same function from that release's bindings.
 * A few on the open path are written by hand instead ({@link #xenctrlByHand}).
 * Each family file declares its functions as {@code static final NativeFunction} constants, so the complete list
 * is found by reflection ({@link #declaredIn}) and a test can check every one of them resolves.
 */
record NativeFunction(XenLibrary.Lib lib, String name, Supplier<FunctionDescriptor> descriptor, XenVersion since,
                      boolean byHand) {

    NativeFunction(XenLibrary.Lib lib, String name, Supplier<FunctionDescriptor> descriptor, XenVersion since) {
        this(lib, name, descriptor, since, false);
    }

    static NativeFunction xenctrl(String name, Supplier<FunctionDescriptor> d) {
        return new NativeFunction(XenLibrary.Lib.XENCTRL, name, d, null);
    }

    /**
     * A libxenctrl function on the path every start takes (opening the handle), its signature written by hand: the
     * same in every carried release, and the bindings' holder class, which links a second, unused downcall handle as
     * it is initialised, is never touched. XenLibraryTest holds it to every release's bindings.
     */
    static NativeFunction xenctrlByHand(String name, FunctionDescriptor d) {
        return new NativeFunction(XenLibrary.Lib.XENCTRL, name, () -> d, null, true);
    }

    /** A libxenctrl function that first appeared in {@code since}; older libraries do not export it. */
    static NativeFunction xenctrlSince(XenVersion since, String name, Supplier<FunctionDescriptor> d) {
        return new NativeFunction(XenLibrary.Lib.XENCTRL, name, d, since);
    }

    static NativeFunction xenevtchn(String name, Supplier<FunctionDescriptor> d) {
        return new NativeFunction(XenLibrary.Lib.XENEVTCHN, name, d, null);
    }

    static NativeFunction xenforeignmemory(String name, Supplier<FunctionDescriptor> d) {
        return new NativeFunction(XenLibrary.Lib.XENFOREIGNMEMORY, name, d, null);
    }

    static NativeFunction libc(String name, Supplier<FunctionDescriptor> d) {
        return new NativeFunction(XenLibrary.Lib.LIBC, name, d, null);
    }

    /** Whether a library of the given Xen release exports this function. */
    boolean existsIn(XenVersion abi) { return since == null || abi.atLeast(since.major(), since.minor()); }

    /** Every {@code static final NativeFunction} constant declared in the given classes, in declaration order. */
    static List<NativeFunction> declaredIn(Class<?>... classes) {
        List<NativeFunction> all = new ArrayList<>();
        for (Class<?> c : classes) {
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                if (f.getType() != NativeFunction.class || !Modifier.isStatic(m) || !Modifier.isFinal(m)) continue;
                try {
                    f.setAccessible(true);
                    all.add((NativeFunction) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return List.copyOf(all);
    }

    @Override public String toString() { return name + " (" + lib + ")"; }
}
